import { BROADCAST_MAC, formatMac, isMulticastMac } from '../../wire/addr.js';
import { brNfActive, brNfForward, brNfPrerouting, brNfRefragment } from './br-netfilter.js';
import { NetDevice, type BridgePortOwner } from './device.js';
import { share, type Skb } from '../skb.js';

/** Linux's default forwarding-database ageing time (bridge `ageing_time`, 300 s). */
export const FDB_AGEING_NS = 300e9;

export interface FdbEntry {
  mac: string;
  port: NetDevice | undefined; // undefined: the bridge's own address
  /** local/permanent entries never age (the bridge's and its ports' own MACs). */
  local: boolean;
  updatedNs: number;
}

interface PortState {
  hairpin: boolean;
}

/**
 * A Linux bridge (`ip link add cbr0 type bridge`): learns source MACs per port,
 * forwards known unicast to one port, floods broadcast, multicast and unknown
 * unicast, passes frames for its own MAC (and broadcasts) up to the host stack.
 * A port in hairpin mode may send a frame back out the port it came in on.
 */
export class Bridge extends NetDevice implements BridgePortOwner {
  readonly kind = 'bridge';
  private readonly ports = new Map<NetDevice, PortState>();
  private readonly fdb = new Map<string, FdbEntry>();
  /**
   * Bumped whenever an FDB entry is added, replaced or removed, or a port's
   * hairpin mode changes (not when an entry's updated time is refreshed): the
   * flow table's recorded crossings depend on it (flowtable.ts).
   */
  fdbGeneration = 0;
  ageingNs = FDB_AGEING_NS;
  /**
   * Whether frames for the host (broadcasts, our MAC) go up to this
   * namespace's stack. Off only for the underlay switch, which stands in for a
   * plain L2 switch with no host behind it.
   */
  localDelivery = true;

  /** `ip link set dev master br` (+ `bridge link set dev X hairpin on|off`). */
  addPort(dev: NetDevice, hairpin: boolean): void {
    this.ports.set(dev, { hairpin });
    dev.master = this;
    // Like Linux, the port's own address becomes a permanent local entry.
    this.fdb.set(dev.mac, { mac: dev.mac, port: dev, local: true, updatedNs: 0 });
    this.fdbGeneration++;
    // Linux would switch the bridge's MAC to the lowest port MAC unless it was
    // set explicitly; podwalk keeps the bridge's own MAC (README: not modelled).
  }

  /** `ip link set dev X nomaster` (or the port's deletion): its FDB entries go with it, as br_fdb_delete_by_port does. */
  removePort(dev: NetDevice): void {
    this.ports.delete(dev);
    if (dev.master === this) dev.master = undefined;
    for (const [mac, e] of this.fdb) if (e.port === dev) this.fdb.delete(mac);
    this.fdbGeneration++;
  }

  setHairpin(dev: NetDevice, on: boolean): void {
    const st = this.ports.get(dev);
    if (st) st.hairpin = on;
    this.fdbGeneration++;
  }

  portList(): NetDevice[] {
    return [...this.ports.keys()];
  }

  isHairpin(dev: NetDevice): boolean {
    return this.ports.get(dev)?.hairpin ?? false;
  }

  /** Entries as `bridge fdb show` lists them (expired ones purged first). */
  fdbEntries(): FdbEntry[] {
    this.expire();
    return [...this.fdb.values()];
  }

  /** A frame arrives on one of our ports (br_handle_frame). */
  handleFrame(inPort: NetDevice, skb: Skb): void {
    const w = this.ns.world;
    if (skb.len < 14) {
      w.drop(skb, this.where, 'malformed', `frame of ${skb.len} bytes is shorter than an Ethernet header`);
      return;
    }
    // The fast path: a confirmed connection's crossing replayed from the flow table, or recorded (flowtable.ts).
    const flows = w.fast.enabled && this.ns.nf !== undefined ? this.ns.stack.flows() : undefined;
    if (flows) {
      if (flows.replayBridged(this, inPort, skb)) return;
      flows.recordBridged(this, inPort, skb);
    }
    const src = formatMac(skb.buf, skb.off + 6); // read where the bytes lie (skb.ts: no view per hop)
    this.learn(src, inPort, skb);
    if (!brNfActive(this, skb) || brNfPrerouting(this, inPort, skb) === 'bridge') this.handleFrameFinish(inPort, skb);
    flows?.end();
  }

  /** br_handle_frame_finish: deliver up, flood or forward by destination MAC (after br_netfilter's PREROUTING). */
  handleFrameFinish(inPort: NetDevice, skb: Skb): void {
    const w = this.ns.world;
    const dst = formatMac(skb.buf, skb.off);

    if (dst === BROADCAST_MAC || isMulticastMac(dst)) {
      // Broadcasts go up to the host too; Linux gives the original to the local
      // stack and clones to the ports.
      this.flood(inPort, skb, this.localDelivery);
      return;
    }
    const entry = this.lookup(dst);
    if (entry?.local) {
      // Addressed to the bridge or one of its ports' own MACs: it is for this host.
      if (w.detailed) w.fdbEvent(skb.id, this.where, 'local', dst);
      this.reached(skb, undefined, entry);
      this.passUp(skb);
      return;
    }
    if (!entry) {
      this.flood(inPort, skb, false);
      return;
    }
    this.forwardTo(inPort, entry.port!, skb, dst, entry);
  }

  /** br_forward: hairpin check, then (br_netfilter) FORWARD and POSTROUTING, then out of the port. */
  private forwardTo(inPort: NetDevice, out: NetDevice, skb: Skb, dst: string, entry: FdbEntry): void {
    const w = this.ns.world;
    if (out === inPort) {
      if (!this.isHairpin(inPort)) {
        w.drop(skb, this.where, 'bridge-same-port', `${dst} is behind ${inPort.name}, where the frame came from (hairpin off)`);
        return;
      }
      if (w.detailed) w.fdbEvent(skb.id, this.where, 'hairpin', dst, out.name);
    } else if (w.detailed) {
      w.fdbEvent(skb.id, this.where, 'forward', dst, out.name);
    }
    this.forwardOut(out, skb, entry);
  }

  /** __br_forward: br_netfilter's FORWARD and POSTROUTING for this port, then br_dev_queue_push_xmit. */
  private forwardOut(out: NetDevice, skb: Skb, dstFdb?: FdbEntry): void {
    if (skb.brPrerouted && !brNfForward(this, skb, out)) return;
    // Only a datagram nf_defrag reassembled may leave in fragments (no list made for the others).
    if (skb.fragMaxSize === undefined) this.pushXmit(out, skb, dstFdb);
    else for (const part of brNfRefragment(this, skb, out)) this.pushXmit(out, part, dstFdb);
  }

  /** br_dev_queue_push_xmit: a frame larger than the egress port's MTU is dropped, silently (no ICMP at layer 2). */
  private pushXmit(out: NetDevice, skb: Skb, dstFdb: FdbEntry | undefined): void {
    if (skb.len - 14 > out.mtu) {
      this.ns.world.drop(skb, this.where, 'mtu-exceeded', `${skb.len - 14} B frame payload does not fit ${out.name}'s MTU ${out.mtu} (dropped at layer 2, no ICMP)`);
      return;
    }
    this.reached(skb, out, dstFdb);
    out.xmit(skb);
  }

  /**
   * A crossing the flow table is recording ends here (at `out`, or up to the
   * host): with the FDB entries it used (none when br_netfilter passes it up
   * after DNAT).
   */
  reached(skb: Skb, out: NetDevice | undefined, dstFdb: FdbEntry | undefined): void {
    const flows = this.ns.stack.recordedFlows;
    if (flows?.recording(skb)) flows.reachedBridgePort(skb, out, this.fdb.get(formatMac(skb.data, 6)), dstFdb);
  }

  /** The host stack transmits through the bridge device (br_dev_xmit). */
  protected transmit(skb: Skb): void {
    const w = this.ns.world;
    const dnat = skb.bridgedDnat;
    if (dnat) {
      // br_nf_pre_routing_finish_bridge_slow: back into the bridge from the original port, with the sender's MAC.
      skb.bridgedDnat = undefined;
      const data = skb.data.slice();
      data.set(dnat.srcMac.split(':').map((h) => parseInt(h, 16)), 6);
      skb.data = data;
      this.handleFrameFinish(dnat.port, skb);
      return;
    }
    const dst = formatMac(skb.buf, skb.off);
    const entry = dst === BROADCAST_MAC || isMulticastMac(dst) ? undefined : this.lookup(dst);
    if (!entry || entry.port === undefined) {
      this.flood(undefined, skb, false);
      return;
    }
    if (w.detailed) w.fdbEvent(skb.id, this.where, 'forward', dst, entry.port.name);
    entry.port.xmit(skb);
  }

  /** Hand a frame to this namespace's stack as received on the bridge device. */
  passUp(skb: Skb): void {
    // The frame now appears on the bridge device itself (tcpdump -i cbr0 sees it): one handler for every frame, no closure.
    this.ns.world.sched.call(0, Bridge.receiveUp, this, skb);
  }

  /** The frame `passUp` scheduled arrives on the bridge device, for the host's stack. */
  private static receiveUp(br: Bridge, skb: Skb): void {
    const w = br.ns.world;
    if (w.capture) {
      w.capture(br.where, w.sched.now, skb.data, false, 'rx', skb.id, skb.flow);
      share(skb);
    }
    if (w.detailed) {
      w.frameEvent('rx', skb, br.where);
      share(skb);
    }
    br.ns.stack.receive(br, skb);
  }

  private learn(src: string, port: NetDevice, skb: Skb): void {
    if (src === BROADCAST_MAC || isMulticastMac(src)) return;
    const w = this.ns.world;
    const now = w.sched.now;
    const existing = this.fdb.get(src);
    if (existing?.local) return;
    if (existing && existing.port === port && now - existing.updatedNs <= this.ageingNs) {
      existing.updatedNs = now;
      // A train's period watched (fastpath/train-probe.ts): the entry its walked crossing refreshes.
      w.fast.probe?.learned(existing, now);
      return;
    }
    w.fast.probe?.other();
    this.fdb.set(src, { mac: src, port, local: false, updatedNs: now });
    this.fdbGeneration++;
    if (w.detailed) w.fdbEvent(skb.id, this.where, 'learn', src, port.name);
  }

  private lookup(mac: string): FdbEntry | undefined {
    if (mac === this.mac) return { mac, port: undefined, local: true, updatedNs: 0 };
    const e = this.fdb.get(mac);
    if (!e) return undefined;
    const w = this.ns.world;
    if (!e.local && w.sched.now - e.updatedNs > this.ageingNs) {
      this.fdb.delete(mac);
      this.fdbGeneration++;
      w.fast.probe?.other();
      return undefined;
    }
    // A train's period watched: the last time this entry finds the destination without an event in between.
    if (!e.local) w.fast.probe?.fdbLooked(e.updatedNs + this.ageingNs);
    return e;
  }

  private expire(): void {
    for (const mac of [...this.fdb.keys()]) this.lookup(mac);
  }

  /**
   * Send to every port but the ingress one (unless it is in hairpin mode); with
   * `local`, the original also goes up to the host stack.
   */
  private flood(inPort: NetDevice | undefined, skb: Skb, local: boolean): void {
    const w = this.ns.world;
    const targets = [...this.ports.keys()].filter((p) => p.up && (p !== inPort || this.isHairpin(p)));
    if (w.detailed) {
      w.emit({
        kind: 'fdb',
        t: w.sched.now,
        pkt: skb.id,
        at: this.where,
        action: 'flood',
        mac: formatMac(skb.data, 0),
        port: targets.map((p) => p.name).join(','),
      });
    }
    if (!local && targets.length === 0) {
      w.drop(skb, this.where, 'other-host', 'flooded to no port');
      return;
    }
    // Clones go to the ports; the original to the last port, or up to the host.
    const last = local ? undefined : targets[targets.length - 1];
    for (const port of targets) {
      if (port === last) continue;
      const copy = w.clone(skb, this.where);
      if (skb.brPrerouted) {
        // skb_clone shares the conntrack reference, mark and br_netfilter state: each copy meets FORWARD on its own.
        copy.brPrerouted = true;
        copy.physIn = skb.physIn;
        copy.nfct = skb.nfct;
        copy.mark = skb.mark;
      }
      this.forwardOut(port, copy);
    }
    if (last) this.forwardOut(last, skb);
    else this.passUp(skb);
  }
}
