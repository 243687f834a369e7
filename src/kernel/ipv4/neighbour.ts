import { BROADCAST_MAC, formatIpv4 } from '../../wire/addr.js';
import { ARP_REQUEST, encodeArp, type ArpPacket } from '../../wire/arp.js';
import { encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../wire/ethernet.js';
import type { NetDevice } from '../devices/device.js';
import type { NetNs } from '../netns.js';
import { pushEthernet, type Skb } from '../skb.js';
import { truesize } from '../truesize.js';

export type NeighState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'PERMANENT';

/** NUD_VALID: states that hold a usable address. */
const VALID = new Set<NeighState>(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT']);

/** Linux defaults (net.ipv4.neigh.default.*). */
export const NEIGH_DEFAULTS = {
  mcastSolicit: 3, // broadcast probes before giving up
  ucastSolicit: 3, // unicast probes from PROBE state
  retransNs: 1e9, // retrans_time_ms = 1000
  baseReachableNs: 30e9, // base_reachable_time_ms = 30000, randomized to [0.5, 1.5) x
  delayFirstProbeNs: 5e9, // delay_first_probe_time = 5 s
  unresQlenBytes: 212992, // bytes (skb truesize) queued per unresolved entry; unres_qlen (101) is derived from it
  locktimeNs: 1e9, // locktime = 100 (1 s): a reply for a fresh entry may not change its address
};

/** Forced garbage collection spares entries updated in the last 5 s, and runs at gc_thresh2 at most every 5 s. */
const NEIGH_FORCED_GC_NS = 5e9;

export interface NeighEntry {
  ip: number;
  dev: NetDevice;
  mac: string | undefined;
  state: NeighState;
  confirmedNs: number;
  reachableNs: number;
  probes: number;
  /** Packets (IPv4 bytes) waiting for the address, with the source to use in ARP. */
  queue: Skb[];
  /** Their truesize in all (arp_queue_len_bytes). */
  queueBytes: number;
  /** Bumped on every state change so that stale timers know to stand down. */
  generation: number;
  /** The cached hardware header (neigh->hh) exists: set by the first packet sent through the entry. */
  hh?: boolean;
  /** When the state last changed (neigh->updated): forced garbage collection spares entries younger than 5 s. */
  updatedNs: number;
}

/** Called for every queued packet when resolution fails (the stack sends ICMP host unreachable). */
export type NeighFailure = (skb: Skb, entry: NeighEntry) => void;

/**
 * The ARP neighbour table of one namespace: resolves next hops, queues packets
 * while resolving, retries, and moves entries through Linux's NUD states.
 */
export class NeighTable {
  /** In creation order, which is the order of the kernel's gc_list. */
  private readonly entries = new Map<string, NeighEntry>();
  /** When forced garbage collection last ran (tbl->last_flush). */
  private lastFlushNs = 0;
  /**
   * The entry `entry` found last, until an entry leaves the table: a stream of
   * packets to one next hop finds it without making its key text each time.
   */
  private last: NeighEntry | undefined;
  /** The entry `last` was before it (until an entry leaves the table). */
  private beforeLast: NeighEntry | undefined;
  onFailure: NeighFailure = () => {};

  constructor(private readonly ns: NetNs) {}

  list(): NeighEntry[] {
    for (const e of this.entries.values()) this.age(e);
    return [...this.entries.values()];
  }

  get(dev: NetDevice, ip: number): NeighEntry | undefined {
    const e = this.entries.get(key(dev, ip));
    if (e) this.age(e);
    return e;
  }

  /** The device is gone (neigh_ifdown): its entries go, packets waiting on them are dropped. */
  forgetDevice(dev: NetDevice): void {
    for (const [k, e] of this.entries) {
      if (e.dev !== dev) continue;
      this.entries.delete(k);
      e.generation++;
      this.last = undefined;
      this.beforeLast = undefined;
      e.queueBytes = 0;
      for (const skb of e.queue.splice(0)) this.ns.world.drop(skb, dev.where, 'link-down', `${dev.name} was deleted`);
    }
  }

  /**
   * The device lost its carrier (neigh_carrier_down, with arp_evict_nocarrier
   * 1): every entry but the permanent ones goes, and packets waiting on an
   * address are discarded with it (neigh_flush_dev purges the queue).
   */
  carrierDown(dev: NetDevice): void {
    for (const [k, e] of this.entries) {
      if (e.dev !== dev || e.state === 'PERMANENT') continue;
      this.entries.delete(k);
      e.generation++;
      this.last = undefined;
      this.beforeLast = undefined;
      e.queueBytes = 0;
      for (const skb of e.queue.splice(0)) this.ns.world.drop(skb, dev.where, 'link-down', `${dev.name} lost its carrier while ${formatIpv4(e.ip)} was being resolved`);
    }
  }

  /** `ip neigh del IP dev DEV`. */
  remove(dev: NetDevice, ip: number): boolean {
    const e = this.entries.get(key(dev, ip));
    if (!e) return false;
    this.entries.delete(key(dev, ip));
    e.generation++;
    this.last = undefined;
    this.beforeLast = undefined;
    return true;
  }

  /** `ip neigh replace IP lladdr MAC dev DEV nud permanent`. */
  addPermanent(dev: NetDevice, ip: number, mac: string): void {
    // Permanent entries are exempt from garbage collection and from the table's limits.
    const e = this.entry(dev, ip, true)!;
    e.mac = mac;
    this.setState(e, 'PERMANENT');
  }

  /**
   * neigh_output: send the IPv4 packet in `skb` to `nextHop` out of `dev`,
   * resolving the MAC first if needed. `arpSource` is the address the ARP
   * request will carry as sender (arp_announce = 0 rules, chosen by the caller).
   */
  output(dev: NetDevice, nextHop: number, skb: Skb, arpSource: number): void {
    const w = this.ns.world;
    const e = this.entry(dev, nextHop);
    if (!e) {
      // ip_finish_output2: no neighbour could be created, so the packet cannot be framed (NEIGH_CREATEFAIL).
      const l = this.ns.limits;
      w.drop(skb, dev.where, 'neigh-table-overflow', `arp_cache: neighbor table overflow! (${this.gcEntries()} entries, gc_thresh3 ${l['net.ipv4.neigh.default.gc_thresh3']}; none reclaimable)`);
      return;
    }
    this.age(e);
    // A train's datagram watched (fastpath/train-probe.ts): until when this entry stays as it is without an event.
    const probe = w.fast.probe;
    if (probe !== undefined) probe.neighbour(e.state === 'REACHABLE' ? e.confirmedNs + e.reachableNs : e.state === 'PERMANENT' ? Number.POSITIVE_INFINITY : Number.NaN);
    switch (e.state) {
      case 'PERMANENT':
      case 'REACHABLE':
      case 'DELAY':
      case 'PROBE':
        this.send(e, skb);
        return;
      case 'STALE':
        // Use the cached address, and check it is still right in a while.
        this.setState(e, 'DELAY');
        this.send(e, skb);
        this.armDelay(e, arpSource);
        return;
      case 'INCOMPLETE':
        this.enqueue(e, skb);
        return;
      case 'FAILED':
        // A new packet restarts resolution (neigh_event_send from FAILED).
        e.probes = 0;
        this.setState(e, 'INCOMPLETE');
        if (w.detailed) w.emit({ kind: 'arp', t: w.sched.now, pkt: skb.id, at: dev.where, action: 'resolving', ip: formatIpv4(nextHop), state: 'INCOMPLETE' });
        this.enqueue(e, skb);
        this.solicit(e, arpSource, skb);
        return;
    }
  }

  /**
   * A confirmation from above (TCP's forward progress, sock_confirm_neigh): neigh->confirmed = now, no
   * state change. It keeps a REACHABLE entry REACHABLE (ageing counts from it), and a DELAY entry's timer
   * goes back to REACHABLE instead of probing (neigh_timer_handler).
   */
  confirm(dev: NetDevice, ip: number): void {
    const e = this.entries.get(key(dev, ip));
    if (e === undefined || e.state === 'PERMANENT' || !VALID.has(e.state)) return;
    this.age(e); // an entry past its reachable time went STALE before now (the kernel's timer did)
    e.confirmedNs = this.ns.world.sched.now;
  }

  /** arp_process, once an ARP packet reached this namespace on `dev` and is about us. */
  learn(dev: NetDevice, ip: number, mac: string, how: 'reply' | 'request', pkt: number): string | undefined {
    const w = this.ns.world;
    const existing = this.entries.get(key(dev, ip));
    if (!existing && how === 'reply') return undefined; // unsolicited replies are ignored (arp_accept = 0)
    const e = existing ?? this.entry(dev, ip);
    if (!e || e.state === 'PERMANENT') return undefined; // a full table learns nothing new
    const changed = e.mac !== mac;
    // arp_process: a reply within locktime of the last update does not override a valid address
    // (neigh_update without NEIGH_UPDATE_F_OVERRIDE): when several hosts answer, the first one wins.
    if (how === 'reply' && changed && e.mac !== undefined && VALID.has(e.state) && e.updatedNs !== undefined && w.sched.now - e.updatedNs < NEIGH_DEFAULTS.locktimeNs) {
      return `${formatIpv4(ip)} is already at ${e.mac} (${e.state}, updated ${w.sched.now - e.updatedNs} ns ago, within locktime 1 s): a second answer does not override the first`;
    }
    e.mac = mac;
    e.updatedNs = w.sched.now;
    // A reply confirms reachability; a request only tells us an address (STALE).
    const next: NeighState = how === 'reply' ? 'REACHABLE' : changed || e.state === 'INCOMPLETE' || e.state === 'FAILED' ? 'STALE' : e.state;
    this.setState(e, next);
    if (next === 'REACHABLE') {
      e.confirmedNs = w.sched.now;
      e.reachableNs = this.randomReachable();
    }
    if (w.detailed) w.emit({ kind: 'arp', t: w.sched.now, pkt, at: dev.where, action: existing?.state === 'INCOMPLETE' ? 'resolved' : 'learned', ip: formatIpv4(ip), mac, state: toTraceState(e.state) });
    const queued = e.queue.splice(0);
    e.queueBytes = 0;
    for (const q of queued) this.send(e, q);
    return undefined;
  }

  /** The entry for a neighbour, created if new (neigh_create); undefined when the table is full. */
  private entry(dev: NetDevice, ip: number, exempt = false): NeighEntry | undefined {
    const last = this.last;
    if (last !== undefined && last.ip === ip && last.dev === dev) return last;
    // Two next hops in turn (a tunnel's inner frame to its VTEP, then the outer packet to the underlay's next hop).
    const before = this.beforeLast;
    if (before !== undefined && before.ip === ip && before.dev === dev) {
      this.beforeLast = last;
      return (this.last = before);
    }
    const k = key(dev, ip);
    let e = this.entries.get(k);
    if (!e) {
      if (!exempt && !this.roomForOne()) return undefined;
      e = { ip, dev, mac: undefined, state: 'FAILED', confirmedNs: 0, reachableNs: 0, probes: 0, queue: [], queueBytes: 0, generation: 0, updatedNs: this.ns.world.sched.now };
      this.entries.set(k, e);
    }
    this.beforeLast = last;
    this.last = e;
    return e;
  }

  /**
   * neigh_alloc's limits: at gc_thresh3 entries, or at gc_thresh2 when the last forced collection is
   * more than 5 s old, collect first (neigh_forced_gc); at gc_thresh3 with nothing collected the
   * table is full ("neighbor table overflow!"). Permanent entries do not count.
   */
  private roomForOne(): boolean {
    const l = this.ns.limits;
    const t2 = l['net.ipv4.neigh.default.gc_thresh2'];
    const t3 = l['net.ipv4.neigh.default.gc_thresh3'];
    if (this.entries.size < Math.min(t2, t3)) return true; // cheap: fewer entries than either threshold
    const n = this.gcEntries();
    const now = this.ns.world.sched.now;
    if (n >= t3 || (n >= t2 && now > this.lastFlushNs + NEIGH_FORCED_GC_NS)) {
      if (!this.forcedGc(n - t2) && n >= t3) return false;
    }
    return true;
  }

  /** gc_entries: the entries garbage collection may reclaim (all but PERMANENT). */
  private gcEntries(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.state !== 'PERMANENT') n++;
    return n;
  }

  /**
   * neigh_forced_gc: remove up to `maxClean` entries nothing holds (no timer running: STALE or
   * FAILED, not REACHABLE, INCOMPLETE, DELAY or PROBE) that failed or have not been updated for
   * 5 s, oldest first. Returns whether any went.
   */
  private forcedGc(maxClean: number): boolean {
    const now = this.ns.world.sched.now;
    let shrunk = 0;
    for (const [k, e] of this.entries) {
      if (shrunk >= maxClean) break;
      if (e.state === 'PERMANENT') continue;
      this.age(e);
      if (e.state !== 'STALE' && e.state !== 'FAILED') continue;
      if (e.state === 'STALE' && e.updatedNs > now - NEIGH_FORCED_GC_NS) continue;
      this.entries.delete(k);
      e.generation++;
      this.last = undefined;
      this.beforeLast = undefined;
      shrunk++;
    }
    this.lastFlushNs = now;
    return shrunk > 0;
  }

  private randomReachable(): number {
    const base = NEIGH_DEFAULTS.baseReachableNs;
    return Math.floor(base / 2 + this.ns.rng.next() * base);
  }

  /** REACHABLE silently becomes STALE once reachable_time has passed (checked lazily; updated when it happened). */
  private age(e: NeighEntry): void {
    if (e.state === 'REACHABLE' && this.ns.world.sched.now - e.confirmedNs > e.reachableNs) {
      this.setState(e, 'STALE');
      e.updatedNs = e.confirmedNs + e.reachableNs;
    }
  }

  private setState(e: NeighEntry, state: NeighState): void {
    e.state = state;
    e.generation++;
    e.updatedNs = this.ns.world.sched.now;
  }

  private enqueue(e: NeighEntry, skb: Skb): void {
    const w = this.ns.world;
    // __neigh_event_send: the oldest queued packets are dropped while this one would not fit in unres_qlen_bytes
    // (a limit in bytes of truesize, truesize.ts: 256 small datagrams, 92 full-size ones).
    const size = truesize(skb.len);
    while (e.queue.length > 0 && e.queueBytes + size > NEIGH_DEFAULTS.unresQlenBytes) {
      const old = e.queue.shift()!;
      e.queueBytes -= truesize(old.len);
      w.drop(old, e.dev.where, 'neigh-queue-full', `${e.queue.length + 1} packets (${e.queueBytes + truesize(old.len)} bytes of truesize) waiting for ${formatIpv4(e.ip)}: no room for one more in unres_qlen_bytes 212992`);
    }
    e.queue.push(skb);
    e.queueBytes += size;
    skb.at = e.dev.where;
    if (w.detailed) w.emit({ kind: 'arp', t: w.sched.now, pkt: skb.id, at: e.dev.where, action: 'queued', ip: formatIpv4(e.ip), state: 'INCOMPLETE' });
  }

  /** Send an ARP request (broadcast while INCOMPLETE, unicast while PROBE) and arm the retry. */
  private solicit(e: NeighEntry, arpSource: number, cause: Skb | undefined): void {
    const w = this.ns.world;
    const unicast = e.state === 'PROBE' && e.mac !== undefined;
    e.probes++;
    const arp: ArpPacket = {
      op: ARP_REQUEST,
      senderMac: e.dev.mac,
      senderIp: arpSource,
      targetMac: unicast ? e.mac! : '00:00:00:00:00:00',
      targetIp: e.ip,
    };
    const frame = encodeEthernet({ dst: unicast ? e.mac! : BROADCAST_MAC, src: e.dev.mac, etherType: ETHERTYPE_ARP, payload: encodeArp(arp) });
    const req = w.newSkb(frame, e.dev.where, 'arp', cause?.flow, cause?.id);
    if (w.detailed) w.emit({ kind: 'arp', t: w.sched.now, pkt: req.id, at: e.dev.where, action: 'request', ip: formatIpv4(e.ip), ...(unicast ? { mac: e.mac! } : {}) });
    e.dev.xmit(req);
    const gen = e.generation;
    const limit = e.state === 'PROBE' ? NEIGH_DEFAULTS.ucastSolicit : NEIGH_DEFAULTS.mcastSolicit;
    w.sched.after(NEIGH_DEFAULTS.retransNs, () => {
      if (e.generation !== gen) return; // resolved or changed meanwhile
      if (e.probes < limit) this.solicit(e, arpSource, cause);
      else this.fail(e);
    });
  }

  private armDelay(e: NeighEntry, arpSource: number): void {
    const gen = e.generation;
    const w = this.ns.world;
    w.sched.after(NEIGH_DEFAULTS.delayFirstProbeNs, () => {
      if (e.generation !== gen || e.state !== 'DELAY') return;
      if (w.sched.now - e.confirmedNs <= NEIGH_DEFAULTS.delayFirstProbeNs) {
        // Confirmed meanwhile (TCP's progress): REACHABLE again, counted from the confirmation, no probe.
        this.setState(e, 'REACHABLE');
        if (e.reachableNs === 0) e.reachableNs = this.randomReachable();
        return;
      }
      e.probes = 0;
      this.setState(e, 'PROBE');
      this.solicit(e, arpSource, undefined);
    });
  }

  private fail(e: NeighEntry): void {
    const w = this.ns.world;
    this.setState(e, 'FAILED');
    e.mac = undefined;
    const queued = e.queue.splice(0);
    e.queueBytes = 0;
    if (w.detailed) w.emit({ kind: 'arp', t: w.sched.now, pkt: queued[0]?.id ?? 0, at: e.dev.where, action: 'failed', ip: formatIpv4(e.ip), state: 'FAILED' });
    for (const skb of queued) this.onFailure(skb, e);
  }

  /**
   * br_nf_pre_routing_finish_bridge's test: the entry is NUD_CONNECTED (REACHABLE or PERMANENT,
   * after lazy ageing) and its cached header exists. Then the MAC is returned, and a bridged DNAT
   * copies it into the frame (neigh_hh_bridge) instead of going through neighbour output.
   */
  connectedMac(dev: NetDevice, ip: number): string | undefined {
    const e = this.entries.get(key(dev, ip));
    if (!e) return undefined;
    this.age(e);
    return (e.state === 'REACHABLE' || e.state === 'PERMANENT') && e.hh ? e.mac : undefined;
  }

  /** Frame the IPv4 packet for the resolved neighbour and hand it to the device. */
  private send(e: NeighEntry, skb: Skb): void {
    e.hh = true;
    pushEthernet(skb, e.mac!, e.dev.mac, ETHERTYPE_IPV4, e.dev.macs);
    e.dev.xmit(skb);
  }
}

function key(dev: NetDevice, ip: number): string {
  return `${dev.ifindex}|${ip}`;
}

function toTraceState(s: NeighState): 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'FAILED' | 'PERMANENT' {
  return s === 'DELAY' || s === 'PROBE' ? 'STALE' : s;
}

