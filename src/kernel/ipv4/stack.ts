import { BROADCAST_MAC, formatIpv4, formatMac } from '../../wire/addr.js';
import { ARP_REPLY, ARP_REQUEST, decodeArp, encodeArp } from '../../wire/arp.js';
import { encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../wire/ethernet.js';
import {
  ICMP_DEST_UNREACH,
  ICMP_TIME_EXCEEDED,
  icmpError,
  UNREACH_FRAG_NEEDED,
  UNREACH_HOST,
  UNREACH_NET,
} from '../../wire/icmp.js';
import { decodeIpv4, decrementTtl, encodeIpv4, fragmentIpv4, IPPROTO_ICMP, IPPROTO_TCP, Reassembler, type Ipv4Packet } from '../../wire/ipv4.js';
import type { DropReason } from '../../trace/events.js';
import type { NetDevice } from '../devices/device.js';
import { routeText, type Route } from './fib.js';
import { IcmpRateLimit } from './icmp-ratelimit.js';
import { readTuple } from '../../wire/l4-rewrite.js';
import type { NetNs } from '../netns.js';
import { rpFilterMode, validateSource } from './rp-filter.js';
import { decrementTtlOf, ipv4HeaderOf, pullEthernet, pushEthernet, type Skb } from '../skb.js';
import { FlowTable } from '../fastpath/flowtable.js';

/**
 * The IPv4 protocol stack of one namespace: ip_rcv, routing decisions,
 * forwarding (TTL, MTU, ICMP errors), local output with source selection and
 * fragmentation, and ARP processing. Transport protocols live in sockets.ts.
 */
export class Stack {
  private readonly reassembler = new Reassembler();
  /** The namespace's ICMP rate limits (icmp_ratelimit per destination, icmp_msgs_per_sec, ip_error's). */
  readonly icmpRate = new IcmpRateLimit();
  /** The fast path's flow table (flowtable.ts): made on the first packet that may use it. */
  private flowtable: FlowTable | undefined;

  /** The namespace's flow table (routed and bridged crossings replayed: flowtable.ts), made when first needed. */
  flows(): FlowTable {
    return (this.flowtable ??= new FlowTable(this.ns));
  }

  /** The flow table if one was made (where a recorded walk may end). */
  get recordedFlows(): FlowTable | undefined {
    return this.flowtable;
  }

  constructor(private readonly ns: NetNs) {
    ns.neigh.onFailure = (skb, entry) => {
      // neigh_invalidate -> ipv4_link_failure: tell the sender the host is unreachable.
      this.icmpError(skb.data, ICMP_DEST_UNREACH, UNREACH_HOST, skb); // queued packets are still unframed IPv4
      this.ns.world.drop(skb, entry.dev.where, 'neigh-failed', `no ARP reply from ${formatIpv4(entry.ip)} after ${entry.probes} requests`);
    };
  }

  /** A frame (or, on L3 devices, a packet) arrived on `dev` for the stack. */
  receive(dev: NetDevice, skb: Skb): void {
    const w = this.ns.world;
    if (!dev.ethernet) {
      this.ipRcv(dev, skb);
      return;
    }
    if (skb.len < 14) {
      w.drop(skb, dev.where, 'malformed', `frame of ${skb.len} bytes`);
      return;
    }
    // Read where the bytes lie (skb.ts: no view made per hop).
    const d = skb.buf;
    const o = skb.off;
    // Not for us: neither a group address (the I/G bit: broadcast, multicast) nor the device's own.
    if ((d[o]! & 1) === 0 && !dev.macs.isSource(d, o, dev.mac)) {
      w.drop(skb, dev.where, 'other-host', `frame for ${formatMac(d, o)}, not for ${dev.mac}`);
      return;
    }
    const etherType = (d[o + 12]! << 8) | d[o + 13]!;
    pullEthernet(skb);
    if (etherType === ETHERTYPE_ARP) this.arpRcv(dev, skb);
    else if (etherType === ETHERTYPE_IPV4) this.ipRcv(dev, skb);
    else w.drop(skb, dev.where, 'no-handler', `ethertype 0x${etherType.toString(16)}`);
  }

  /** arp_process: answer requests for our addresses, learn from those about us. */
  private arpRcv(dev: NetDevice, skb: Skb): void {
    const w = this.ns.world;
    const r = decodeArp(skb.data);
    if (!r.ok) {
      w.drop(skb, dev.where, 'malformed', r.error);
      return;
    }
    const arp = r.value;
    // Our own request coming back (hairpin): its source is one of our addresses.
    if (this.ns.isLocal(arp.senderIp)) {
      w.drop(skb, dev.where, 'arp-ignored', `ARP from our own address ${formatIpv4(arp.senderIp)}`);
      return;
    }
    if (arp.op === ARP_REQUEST) {
      // arp_ignore = 0: answer for any local address, whatever the device.
      if (!this.ns.isLocal(arp.targetIp)) {
        w.drop(skb, dev.where, 'arp-ignored', `who-has ${formatIpv4(arp.targetIp)}: not ours`);
        return;
      }
      // arp_ignore = 1: only for an address configured on the device the request came in on.
      if (this.ns.sysctl.arpIgnore === 1 && !this.ns.addrs.some((a) => a.dev === dev && a.ip === arp.targetIp)) {
        const on = this.ns.addrs.find((a) => a.ip === arp.targetIp)?.dev.name ?? '?';
        w.drop(skb, dev.where, 'arp-ignored', `who-has ${formatIpv4(arp.targetIp)}: ours, but on ${on}, not ${dev.name} (arp_ignore = 1)`);
        return;
      }
      this.ns.neigh.learn(dev, arp.senderIp, arp.senderMac, 'request', skb.id);
      const reply = encodeEthernet({
        dst: arp.senderMac,
        src: dev.mac,
        etherType: ETHERTYPE_ARP,
        payload: encodeArp({ op: ARP_REPLY, senderMac: dev.mac, senderIp: arp.targetIp, targetMac: arp.senderMac, targetIp: arp.senderIp }),
      });
      w.deliver(skb, dev.where, 'arp');
      const out = w.newSkb(reply, dev.where, 'arp', skb.flow, skb.id);
      if (w.detailed) w.emit({ kind: 'arp', t: w.sched.now, pkt: out.id, at: dev.where, action: 'reply', ip: formatIpv4(arp.targetIp), mac: dev.mac });
      dev.xmit(out);
      return;
    }
    // A reply: only useful if it is addressed to us and we asked.
    if (!this.ns.isLocal(arp.targetIp)) {
      w.drop(skb, dev.where, 'arp-ignored', `reply for ${formatIpv4(arp.targetIp)}: not ours`);
      return;
    }
    const ignored = this.ns.neigh.learn(dev, arp.senderIp, arp.senderMac, 'reply', skb.id);
    if (ignored) w.drop(skb, dev.where, 'arp-ignored', ignored);
    else w.deliver(skb, dev.where, 'arp');
  }

  /** ip_rcv + ip_rcv_finish: validate, route, then deliver locally or forward. */
  private ipRcv(dev: NetDevice, skb: Skb): void {
    const w = this.ns.world;
    const h = ipv4HeaderOf(skb);
    if (typeof h === 'string') {
      w.drop(skb, dev.where, 'malformed', h);
      return;
    }
    let ip: Ipv4Packet = h;
    if (skb.len !== h.totalLength) skb.data = skb.data.subarray(0, h.totalLength); // pskb_trim
    const nf = this.ns.nf;
    // br_netfilter already ran PREROUTING for a frame the bridge passed up (ip_sabotage_in).
    const bridged = skb.brPrerouted === true;
    skb.brPrerouted = undefined;
    // The fast path: a confirmed connection's crossing replayed from the flow table, or recorded (flowtable.ts).
    const flows = w.fast.enabled ? this.flows() : undefined;
    if (flows) {
      if (flows.replayRouted(dev, skb, ip, bridged)) return;
      flows.recordRouted(dev, skb, bridged);
    }
    if (nf && !bridged) {
      const after = nf.run('PREROUTING', skb, ip, { inDev: dev });
      if (!after) {
        flows?.end();
        return;
      }
      ip = after;
    }
    this.route(dev, skb, ip);
    flows?.end();
  }

  /** ip_rcv_finish's routing decision: deliver locally or forward. */
  private route(dev: NetDevice, skb: Skb, ip: Ipv4Packet): void {
    const w = this.ns.world;
    const route = this.ns.fib.lookup(ip.dst);
    // ip_route_input_slow -> fib_validate_source (loopback packets keep their route and skip it).
    if (dev !== this.ns.lo && !this.sourceValid(dev, skb, ip)) return;
    if (route && (route.type === 'local' || route.type === 'broadcast')) {
      this.traceRoute(skb, ip.dst, route, 'local');
      this.localDeliver(dev, skb, ip);
      return;
    }
    // ip_route_input_slow: the limited broadcast is never forwarded (brd_input: local delivery, where nothing
    // without SO_BROADCAST takes it), whatever route matches it (the default route would).
    if (ip.dst === LIMITED_BROADCAST) {
      this.traceRoute(skb, ip.dst, limitedBroadcastRoute(dev), 'local');
      this.localDeliver(dev, skb, ip);
      return;
    }
    if (!this.ns.sysctl.ipForward) {
      w.drop(skb, this.ns.name, 'forwarding-disabled', `${formatIpv4(ip.dst)} is not ours and net.ipv4.ip_forward = 0`);
      return;
    }
    if (route && (route.type === 'unreachable' || route.type === 'blackhole')) {
      // fib_props: the route's error (EHOSTUNREACH, EINVAL) becomes the input route's, and ip_error answers
      // host unreachable for the first and nothing for a blackhole.
      this.traceRoute(skb, ip.dst, route, 'forward');
      if (route.type === 'unreachable') {
        this.icmpError(skb.data, ICMP_DEST_UNREACH, UNREACH_HOST, skb, undefined, { inDev: dev, routeError: true });
        w.drop(skb, this.ns.name, 'unreachable-route', `${formatIpv4(ip.dst)} matches ${routeText(route)}: ICMP host unreachable`);
      } else w.drop(skb, this.ns.name, 'blackhole-route', `${formatIpv4(ip.dst)} matches ${routeText(route)}: discarded without a word`);
      return;
    }
    if (!route || route.type !== 'unicast' || !route.dev) {
      if (w.detailed) w.emit({ kind: 'route', t: w.sched.now, pkt: skb.id, at: this.ns.name, dst: formatIpv4(ip.dst), route: 'none', decision: 'forward' });
      this.icmpError(skb.data, ICMP_DEST_UNREACH, UNREACH_NET, skb, undefined, { inDev: dev, routeError: true });
      w.drop(skb, this.ns.name, 'no-route', `no route to ${formatIpv4(ip.dst)}`);
      return;
    }
    if (route.nexthops) {
      // fib_select_multipath: one path per flow.
      // The flow dissector finds ports in TCP, UDP and SCTP only (not in ICMP).
      const t = ip.protocol === IPPROTO_ICMP ? { src: ip.src, dst: ip.dst, protocol: ip.protocol } : readTuple(skb.data);
      const nh = this.ns.nexthopFor(route, t);
      this.flowtable?.end(); // one path per flow, but not recorded (a nexthop's weight may change without a route event)
      if (w.detailed) w.emit({ kind: 'route', t: w.sched.now, pkt: skb.id, at: this.ns.name, dst: formatIpv4(ip.dst), route: routeText(route), decision: 'forward', nexthop: `via ${formatIpv4(nh.via)} dev ${nh.dev.name}`, nexthops: route.nexthops.length });
      this.forward(dev, skb, ip, { ...route, via: nh.via, dev: nh.dev });
      return;
    }
    this.traceRoute(skb, ip.dst, route, 'forward');
    this.forward(dev, skb, ip, route);
  }

  /** The reverse-path check of IP input (rp-filter.ts): false when the packet was dropped. */
  private sourceValid(dev: NetDevice, skb: Skb, ip: Ipv4Packet): boolean {
    const c = validateSource(this.ns, dev, ip.src);
    if (c.ok && !c.asymmetric) return true;
    const w = this.ns.world;
    if (w.detailed) {
      const mode = rpFilterMode(this.ns.sysctl.rpFilter, dev);
      w.emit({ kind: 'rpfilter', t: w.sched.now, pkt: skb.id, at: dev.where, src: formatIpv4(ip.src), mode, reverse: c.ok ? c.asymmetric!.reverse : c.reverse, result: c.ok ? 'loose-pass' : c.reason === 'martian' ? 'martian' : 'drop' });
    }
    if (c.ok) return true;
    w.drop(skb, dev.where, c.reason, c.detail);
    return false;
  }

  /** ip_forward: TTL, the size against the MTU, the TTL decrement, the FORWARD hook, then output (POSTROUTING, neighbour). */
  private forward(inDev: NetDevice, skb: Skb, ip: Ipv4Packet, route: Route): void {
    const w = this.ns.world;
    if (ip.ttl <= 1) {
      this.icmpError(skb.data, ICMP_TIME_EXCEEDED, 0, skb, undefined, { inDev });
      w.drop(skb, this.ns.name, 'ttl-exceeded', `TTL ${ip.ttl} would reach 0 forwarding to ${formatIpv4(ip.dst)}`);
      return;
    }
    // ip_exceeds_mtu, before the TTL is decremented and before FORWARD: the error quotes the packet as it came in
    // (its TTL unchanged), even one the FORWARD chain would drop. A forwarded packet is measured against the
    // device's MTU, not a path MTU this node learned (ip_dst_mtu_maybe_forward, ip_forward_use_pmtu 0);
    // a datagram nf_defrag reassembled, against the largest fragment it came in.
    const dev = route.dev!;
    if (ip.df && skb.data.length > dev.mtu && (skb.fragMaxSize === undefined || skb.fragMaxSize > dev.mtu)) {
      this.icmpError(skb.data, ICMP_DEST_UNREACH, UNREACH_FRAG_NEEDED, skb, dev.mtu);
      w.drop(skb, dev.where, 'frag-needed', `${skb.data.length} bytes > mtu ${dev.mtu} of ${dev.name} with DF set`);
      return;
    }
    const ttl = decrementTtlOf(skb); // skb_cow, then the header written
    if (w.detailed) w.emit({ kind: 'forward', t: w.sched.now, pkt: skb.id, at: this.ns.name, ttl });
    let packet: Ipv4Packet | undefined = { ...ip, ttl };
    const nf = this.ns.nf;
    if (nf) {
      packet = nf.run('FORWARD', skb, packet, { inDev, outDev: route.dev! });
      if (!packet) return;
    }
    // ip_vs_reply4 (FORWARD, after filter): a real server's answer gets the VIP back as its source.
    const rep = this.ns.ipvs?.reply(skb, packet);
    if (rep?.kind === 'rewritten') packet = rep.packet;
    this.output(skb, packet, route);
  }

  /**
   * ip_finish_output: fragment if the packet exceeds the device MTU (or send
   * "fragmentation needed" if DF forbids it), then resolve the next hop.
   */
  output(skb: Skb, packet: Ipv4Packet, route: Route): void {
    const w = this.ns.world;
    const dev = route.dev!;
    let ip = packet;
    const nf = this.ns.nf;
    if (nf) {
      const after = nf.run('POSTROUTING', skb, ip, { outDev: dev, nextHop: route.via ?? ip.dst });
      if (!after) return;
      ip = after;
    }
    const nextHop = route.via ?? ip.dst;
    // A broadcast route's next hop needs no ARP (arp_constructor: NUD_NOARP, the device's broadcast address).
    const broadcast = route.type === 'broadcast' || ip.dst === LIMITED_BROADCAST;
    // dst_mtu: the device's MTU, or less once a path MTU was learned for this destination.
    const learned = this.ns.pmtu.get(ip.dst, w.sched.now);
    let mtu = learned !== undefined && learned < dev.mtu ? learned : dev.mtu;
    // ip_do_fragment: a datagram nf_defrag reassembled leaves in fragments no larger than those it came in.
    const fragMax = skb.fragMaxSize;
    skb.fragMaxSize = undefined;
    if (fragMax !== undefined && fragMax < mtu) mtu = fragMax;
    if (skb.data.length > mtu) {
      if (ip.df) {
        this.icmpError(skb.data, ICMP_DEST_UNREACH, UNREACH_FRAG_NEEDED, skb, mtu);
        w.drop(skb, dev.where, 'frag-needed', `${skb.data.length} bytes > mtu ${mtu} ${mtu === dev.mtu ? `of ${dev.name}` : `(path MTU learned for ${formatIpv4(ip.dst)})`} with DF set`);
        return;
      }
      const frags = fragmentIpv4(ip, mtu);
      // The original becomes the first fragment; the others are new packets.
      frags.forEach((f, i) => {
        const bytes = encodeIpv4(f);
        const part = i === 0 ? skb : w.newSkb(bytes, dev.where, 'app', skb.flow, skb.id, true);
        part.data = bytes;
        this.neighOutput(dev, nextHop, part, ip.src, broadcast);
      });
      return;
    }
    this.neighOutput(dev, nextHop, skb, ip.src, broadcast);
  }

  private neighOutput(dev: NetDevice, nextHop: number, skb: Skb, src: number, broadcast: boolean): void {
    if (broadcast && dev.needsArp) {
      // Framed to ff:ff:ff:ff:ff:ff at once, no entry resolved (`ip neigh` hides NOARP entries). Not a
      // crossing the flow table keeps: the walk ends here unrecorded.
      pushEthernet(skb, BROADCAST_MAC, dev.mac, ETHERTYPE_IPV4, dev.macs);
      dev.xmit(skb);
      return;
    }
    if (!dev.needsArp) {
      this.flowtable?.reachedNeighbour(skb, dev, nextHop, 0);
      dev.xmit(skb);
      return;
    }
    // arp_announce = 0: the packet's own source if it is ours, else the device's address;
    // 2: always the device's best address for the target (never, say, a VIP bound to kube-ipvs0).
    const arpSource = this.ns.isLocal(src) && this.ns.sysctl.arpAnnounce !== 2 ? src : (this.ns.selectSource(dev, nextHop) ?? src);
    this.flowtable?.reachedNeighbour(skb, dev, nextHop, arpSource);
    this.ns.neigh.output(dev, nextHop, skb, arpSource);
  }

  /**
   * Send a locally generated IPv4 packet (ip_queue_xmit / ip_push_pending_frames):
   * route it, fill in the source if unset, and output. Returns the error the
   * sending socket gets when route output refuses the packet (it is dropped
   * here then), else undefined.
   */
  sendLocal(skb: Skb, packet: Ipv4Packet): OutputErrno | undefined {
    // The fast path: a confirmed connection's local output replayed from the flow table, or recorded (flowtable.ts).
    const flows = this.ns.world.fast.enabled ? this.flows() : undefined;
    if (!flows) return this.localOutput(skb, packet);
    if (flows.replayOutput(skb)) return undefined;
    flows.recordOutput(skb);
    const err = this.localOutput(skb, packet);
    flows.end();
    return err;
  }

  /**
   * ip_route_output's refusals, as the sending socket meets them: no route (ENETUNREACH), an `unreachable`
   * or `blackhole` route (fib_props: EHOSTUNREACH, EINVAL), or a broadcast destination (RTCF_BROADCAST: the
   * local table's `broadcast` route of one of our subnets, or 255.255.255.255, which __mkroute_output makes
   * a broadcast route out of the device the lookup chose, never via a gateway), or a destination in 0.0.0.0/8
   * (EINVAL). No socket here has
   * SO_BROADCAST (nothing in a scenario sets it, and a pod's plain socket has not), so udp_sendmsg,
   * ping_v4_sendmsg and raw_sendmsg answer EACCES; tcp_v4_connect answers ENETUNREACH for any broadcast.
   * Undefined: the packet may go.
   */
  private outputRefusal(ip: Ipv4Packet, route: Route | undefined): { errno: OutputErrno; reason: DropReason; detail: string; route: Route | undefined } | undefined {
    const dst = formatIpv4(ip.dst);
    if (route && (route.type === 'unreachable' || route.type === 'blackhole')) {
      return route.type === 'unreachable'
        ? { errno: 'EHOSTUNREACH', reason: 'unreachable-route', detail: `${verbOf(ip)}: No route to host (${dst} matches ${routeText(route)})`, route }
        : { errno: 'EINVAL', reason: 'blackhole-route', detail: `${verbOf(ip)}: Invalid argument (${dst} matches ${routeText(route)})`, route };
    }
    if (!route || !route.dev || (route.type !== 'unicast' && route.type !== 'local' && route.type !== 'broadcast')) {
      return { errno: 'ENETUNREACH', reason: 'no-route', detail: `${verbOf(ip)}: Network is unreachable (${dst})`, route: undefined };
    }
    if (route.type !== 'broadcast' && ip.dst !== LIMITED_BROADCAST) {
      // __mkroute_output: a destination in 0.0.0.0/8 (ipv4_is_zeronet; 0.0.0.0 itself was turned into a local
      // address before the lookup) makes no route: EINVAL, after the FIB found one (no route stays ENETUNREACH).
      if (ip.dst >>> 24 === 0 && ip.dst !== 0) return { errno: 'EINVAL', reason: 'zeronet-destination', detail: `${verbOf(ip)}: Invalid argument (${dst} is in 0.0.0.0/8)`, route };
      return undefined;
    }
    const bc = route.type === 'broadcast' ? route : limitedBroadcastRoute(route.dev);
    if (ip.protocol === IPPROTO_TCP) return { errno: 'ENETUNREACH', reason: 'broadcast-denied', detail: `${verbOf(ip)}: Network is unreachable (${dst} is a broadcast address: TCP does not connect to one)`, route: bc };
    return { errno: 'EACCES', reason: 'broadcast-denied', detail: `sendmsg: Permission denied (${dst} is a broadcast address and the socket has no SO_BROADCAST)`, route: bc };
  }

  /** ip_queue_xmit's walk: route output, OUTPUT (split around IPVS's hooks), then output. */
  private localOutput(skb: Skb, packet: Ipv4Packet): OutputErrno | undefined {
    const w = this.ns.world;
    let ip = packet;
    let route = this.ns.fib.lookup(ip.dst);
    if (!route || !route.dev || (route.type !== 'unicast' && route.type !== 'local') || ip.dst === LIMITED_BROADCAST || (ip.dst >>> 24 === 0 && ip.dst !== 0)) {
      const refused = this.outputRefusal(ip, route);
      if (refused) {
        if (refused.route) this.traceRoute(skb, ip.dst, refused.route, 'output');
        else if (w.detailed) w.emit({ kind: 'route', t: w.sched.now, pkt: skb.id, at: this.ns.name, dst: formatIpv4(ip.dst), route: 'none', decision: 'output' });
        w.drop(skb, this.ns.name, refused.reason, refused.detail);
        return refused.errno;
      }
    }
    route = route!;
    this.traceRoute(skb, ip.dst, route, 'output');
    const nf = this.ns.nf;
    const ipvs = this.ns.ipvs;
    if (nf) {
      // With IPVS loaded, OUTPUT is split around its LOCAL_OUT hooks (between nat and filter).
      const after = nf.run('OUTPUT', skb, ip, { outDev: route.type === 'local' ? this.ns.lo : route.dev, ...(ipvs ? { part: 'until-nat' as const } : {}) });
      if (!after) return undefined;
      if (after.dst !== ip.dst) {
        // ip_route_me_harder: the nat OUTPUT chain changed the destination, so route again.
        const again = this.ns.fib.lookup(after.dst);
        if (!again || !again.dev) {
          w.drop(skb, this.ns.name, 'no-route', `no route to ${formatIpv4(after.dst)} after NAT`);
          return undefined;
        }
        // __ip_route_output_key: a loopback source may leave by another device only with route_localnet.
        if (again.type !== 'local' && after.src >>> 24 === 127 && !this.ns.sysctl.routeLocalnet) {
          w.drop(skb, this.ns.name, 'martian', `ip_route_me_harder: source ${formatIpv4(after.src)} cannot leave by ${again.dev.name} towards ${formatIpv4(after.dst)} (net.ipv4.conf.all.route_localnet = 0)`);
          return undefined;
        }
        route = again;
        this.traceRoute(skb, after.dst, route, 'output');
      }
      ip = after;
    }
    // ip_vs_local_reply4 (LOCAL_OUT): a real server on this host answering gets the VIP back as its source.
    const rep = ipvs?.reply(skb, ip);
    if (rep?.kind === 'rewritten') ip = rep.packet;
    // ip_vs_local_request4 (LOCAL_OUT): the node itself connecting to a virtual service.
    else if (ipvs?.wants(skb, ip)) {
      const v = ipvs.request(skb, ip);
      if (v.kind === 'drop') return undefined;
      if (v.kind === 'forward') {
        const again = this.ns.fib.lookup(v.packet.dst);
        if (!again || !again.dev) {
          w.drop(skb, this.ns.name, 'no-route', `IPVS: no route to real server ${formatIpv4(v.packet.dst)}`);
          return undefined;
        }
        route = again;
        this.traceRoute(skb, v.packet.dst, route, 'output');
        ip = v.packet;
      }
    }
    if (nf && ipvs) {
      // The rest of OUTPUT: filter. A packet IPVS transmitted re-enters LOCAL_OUT whole (ip_vs_nat_send_or_cont),
      // where conntrack and nat have already decided, so filter sees the real server, not the VIP.
      const after = nf.run('OUTPUT', skb, ip, { outDev: route.type === 'local' ? this.ns.lo : route.dev!, part: 'after-nat' });
      if (!after) return undefined;
      ip = after;
    }
    const dev = route.type === 'local' ? this.ns.lo : route.dev!;
    this.output(skb, ip, dev === route.dev ? route : { ...route, dev });
    return undefined;
  }

  /** sock_confirm_neigh for a packet to `dst`: its next hop's neighbour entry is confirmed now (neighbour.ts `confirm`). */
  confirmNeighbour(dst: number): void {
    const route = this.ns.fib.lookup(dst);
    if (!route?.dev || route.type !== 'unicast' || !route.dev.needsArp) return;
    this.ns.neigh.confirm(route.dev, route.via ?? dst);
  }

  /** The source address the kernel would pick to reach `dst` (ip route get). */
  sourceFor(dst: number): number | undefined {
    // Asked for every datagram a socket sends: the last answer holds while routes, links (and with the routes the
    // addresses: each adds and takes its local route) are the same generation (fast-path.ts).
    const c = this.lastSource;
    const fast = this.ns.world.fast;
    if (fast.enabled && c.dst === dst && c.fibGeneration === this.ns.fib.generation && c.linkGeneration === fast.linkGeneration) return c.src;
    const route = this.ns.fib.lookup(dst);
    const src = !route || !route.dev ? undefined : route.src !== undefined ? route.src : route.type === 'local' ? dst : this.ns.selectSource(route.dev, route.via ?? dst);
    c.dst = dst;
    c.fibGeneration = this.ns.fib.generation;
    c.linkGeneration = fast.linkGeneration;
    c.src = src;
    return src;
  }

  private readonly lastSource: { dst: number; fibGeneration: number; linkGeneration: number; src: number | undefined } = { dst: -1, fibGeneration: -1, linkGeneration: -1, src: undefined };

  /** MTU of the device the route to `dst` leaves by (what TCP derives its MSS from). */
  mtuFor(dst: number): number | undefined {
    const route = this.ns.fib.lookup(dst);
    if (!route?.dev) return undefined;
    const dev = route.type === 'local' ? this.ns.lo.mtu : route.dev.mtu;
    const learned = this.ns.pmtu.get(dst, this.ns.world.sched.now);
    return learned !== undefined && learned < dev ? learned : dev;
  }

  /** The MTU of the route to `dst` without any learned path MTU (what a new report is compared with). */
  routeMtu(dst: number): number | undefined {
    const route = this.ns.fib.lookup(dst);
    if (!route?.dev) return undefined;
    return route.type === 'local' ? this.ns.lo.mtu : route.dev.mtu;
  }

  /**
   * ip_local_deliver: reassemble fragments, then hand to the transport protocol. `ipvsDone`: IPVS already
   * sent this packet to a real server on this host (skb->ipvs_property): IPVS does not take it again.
   */
  private localDeliver(dev: NetDevice, skb: Skb, ip: Ipv4Packet, ipvsDone = false): void {
    const w = this.ns.world;
    let packet = ip;
    if (ip.mf || ip.fragmentOffset > 0) {
      const key = Reassembler.keyOf(ip);
      const open = this.reassembler.startedNs(key) !== undefined;
      if (ip.fragmentOffset === 0) this.fragHeads.set(key, skb);
      const whole = this.reassembler.push(ip, w.sched.now);
      if (!whole && !open) this.armFragTimer(key, w.sched.now);
      if (whole) this.fragHeads.delete(key);
      if (!whole) {
        // Held until the rest arrives: this fragment's journey ends in the reassembly queue.
        w.deliver(skb, dev.where, 'reassembly');
        return;
      }
      packet = whole;
      skb.data = encodeIpv4(whole);
    }
    const nf = this.ns.nf;
    const ipvs = this.ns.ipvs;
    const forIpvs = !ipvsDone && (ipvs?.wants(skb, packet) ?? false);
    if (nf) {
      // A packet IPVS sent here goes on from where IPVS took it: filter INPUT already judged it.
      const after = nf.run('INPUT', skb, packet, ipvsDone ? { inDev: dev, part: 'from-nat' } : { inDev: dev, keepUnconfirmed: forIpvs });
      if (!after) return;
      packet = after;
    }
    if (ipvs && !ipvsDone) {
      // ip_vs_reply4 at LOCAL_IN: the answer to the node's own connection through a VIP.
      const rep = ipvs.reply(skb, packet);
      if (rep.kind === 'rewritten') packet = rep.packet;
      else if (forIpvs) {
        // ip_vs_remote_request4 (LOCAL_IN, after filter): IPVS takes the packet and sends it to a real server.
        const v = ipvs.request(skb, packet);
        if (v.kind === 'drop') return;
        if (v.kind === 'forward') return this.ipvsXmit(skb, v.packet);
      }
    }
    this.flowtable?.reachedSocket(skb);
    this.ns.sockets.rcv(dev, skb, packet);
  }

  /** The first fragment's packet of each datagram being reassembled (the ICMP error's cause if it times out). */
  private readonly fragHeads = new Map<string, Skb>();

  /**
   * ip_expire after ipfrag_time (30 s, the default and only value modelled): the datagram's fragments
   * are freed and, if its first fragment had come (INET_FRAG_FIRST_IN), the source gets ICMP time
   * exceeded, fragment reassembly time exceeded (code 1), about that fragment. The timer is not
   * cancelled when the datagram completes (Linux's is): it finds the queue gone and does nothing.
   */
  private armFragTimer(key: string, startedNs: number): void {
    this.ns.world.sched.after(IPFRAG_TIME_NS, () => {
      const first = this.reassembler.expireQueue(key, startedNs);
      if (first === undefined) return;
      const head = this.fragHeads.get(key);
      this.fragHeads.delete(key);
      if (first === null || head === undefined) return;
      this.icmpError(encodeIpv4(first), ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, head);
    });
  }

  /**
   * ip_vs_nat_xmit: route the rewritten packet to the real server, decrement
   * its TTL, and send it through LOCAL_OUT (the OUTPUT chain) and POSTROUTING
   * (ip_vs_nat_send_or_cont), not through FORWARD.
   */
  private ipvsXmit(skb: Skb, ip: Ipv4Packet): void {
    const w = this.ns.world;
    const route = this.ns.fib.lookup(ip.dst);
    if (route?.type === 'local') {
      // A real server on this host (a hostNetwork endpoint): IPVS hands the packet to the local stack, marked
      // (ip_vs_nat_send_or_cont sets ipvs_property) so that IPVS lets it by: a real server that is itself a
      // virtual address (an EndpointSlice naming a ClusterIP) is not scheduled again, without end.
      // ip_vs_nat_send_or_cont: `if (!local) NF_HOOK(LOCAL_OUT, ...) else NF_ACCEPT`: no OUTPUT rule sees it.
      this.traceRoute(skb, ip.dst, route, 'local', true);
      this.localDeliver(this.ns.lo, skb, ip, true);
      return;
    }
    if (!route || !route.dev || route.type !== 'unicast') {
      w.drop(skb, this.ns.name, 'no-route', `IPVS: no route to real server ${formatIpv4(ip.dst)}`);
      return;
    }
    this.traceRoute(skb, ip.dst, route, 'forward');
    if (ip.ttl <= 1) {
      this.icmpError(skb.data, ICMP_TIME_EXCEEDED, 0, skb);
      w.drop(skb, this.ns.name, 'ttl-exceeded', `TTL ${ip.ttl} would reach 0 forwarding to ${formatIpv4(ip.dst)}`);
      return;
    }
    const data = skb.data.slice();
    const ttl = decrementTtl(data, 0);
    skb.data = data;
    if (w.detailed) w.emit({ kind: 'forward', t: w.sched.now, pkt: skb.id, at: this.ns.name, ttl });
    let packet: Ipv4Packet | undefined = { ...ip, ttl };
    const nf = this.ns.nf;
    if (nf) {
      packet = nf.run('OUTPUT', skb, packet, { outDev: route.dev });
      if (!packet) return;
    }
    this.output(skb, packet, route);
  }

  /**
   * Would a packet to `dst` arriving here be routed as a broadcast (RTCF_BROADCAST: the local table's
   * `broadcast` route of a subnet of ours, e.g. 10.244.2.255 on the node owning 10.244.2.0/24, or the
   * limited broadcast)? Asked on the rare paths that treat such packets apart (no reply, no ICMP error);
   * our own addresses answer no at once.
   */
  routedAsBroadcast(dst: number): boolean {
    if (dst === 0xffffffff) return true;
    if (this.ns.isLocal(dst)) return false;
    return this.ns.fib.lookup(dst)?.type === 'broadcast';
  }

  /**
   * Send an ICMP error about `offending` (IPv4 bytes) back to its source (icmp_send), unless a rate
   * limit withholds it (icmp-ratelimit.ts; said in an `icmp` event with `suppressed`). `inDev`: the
   * device the offending packet came in on (lo: the namespace's limit is not asked); `routeError`: the
   * error is routing input's (ip_error: no route or an unreachable route while forwarding), whose own
   * bucket is asked first.
   */
  icmpError(offending: Uint8Array, type: number, code: number, cause: Skb, mtu?: number, opts?: { inDev?: NetDevice; routeError?: boolean }): void {
    const w = this.ns.world;
    const r = decodeIpv4(offending);
    if (!r.ok) return;
    const orig = r.value;
    // Never about ICMP errors, non-first fragments, or broadcast/multicast destinations (icmp_send: the
    // offending packet's route has RTCF_BROADCAST or RTCF_MULTICAST, as a subnet broadcast routed here has).
    if (orig.fragmentOffset > 0) return;
    if (orig.protocol === IPPROTO_ICMP && orig.payload.length > 0 && ![0, 8].includes(orig.payload[0]!)) return;
    if ((orig.dst >>> 28) === 0xe || this.routedAsBroadcast(orig.dst)) return;
    // The source: the address the packet was sent to if it is ours, else what routing picks.
    const src = this.ns.isLocal(orig.dst) ? orig.dst : this.sourceFor(orig.src);
    if (src === undefined) return;
    const now = w.sched.now;
    const limited =
      opts?.routeError && !this.icmpRate.allowRouteError(orig.src, now)
        ? 'ip_rt_error_cost'
        : this.icmpRate.allowError(orig.src, type, code, now, opts?.inDev === this.ns.lo, this.ns.fib.lookup(orig.src)?.type === 'local');
    if (limited !== undefined) {
      if (w.detailed) w.emit({ kind: 'icmp', t: now, pkt: cause.id, at: this.ns.name, message: describeIcmpError(type, code, mtu), about: cause.id, suppressed: limited });
      return;
    }
    const payload = icmpError(type, code, offending, mtu);
    const pkt: Ipv4Packet = { tos: 0xc0, id: this.ns.rng.int(0, 0xffff), df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_ICMP, src, dst: orig.src, payload };
    const bytes = encodeIpv4(pkt);
    const err = w.newSkb(bytes, this.ns.name, 'icmp', cause.flow, cause.id, true);
    // nf_ct_attach: the error belongs to the offending packet's connection, as RELATED, in the other direction.
    if (cause.nfct) err.nfct = { ...cause.nfct, dir: cause.nfct.dir === 0 ? 1 : 0, related: true };
    if (w.detailed) w.emit({ kind: 'icmp', t: w.sched.now, pkt: err.id, at: this.ns.name, message: describeIcmpError(type, code, mtu), about: cause.id });
    this.sendLocal(err, pkt);
  }

  private traceRoute(skb: Skb, dst: number, route: Route, decision: 'local' | 'forward' | 'output', ipvsLocal = false): void {
    const w = this.ns.world;
    if (w.detailed) w.emit({ kind: 'route', t: w.sched.now, pkt: skb.id, at: this.ns.name, dst: formatIpv4(dst), route: routeText(route), decision, ...(ipvsLocal ? { ipvsLocal: true as const } : {}) });
  }
}

/** net.ipv4.ipfrag_time: how long an incomplete datagram waits for its fragments. */
const IPFRAG_TIME_NS = 30e9;
/** ICMP_EXC_FRAGTIME: time exceeded's code for a reassembly that timed out. */
const ICMP_EXC_FRAGTIME = 1;

/** The errors route output gives a sending socket (connect, sendmsg). */
export type OutputErrno = 'ENETUNREACH' | 'EHOSTUNREACH' | 'EINVAL' | 'EACCES';

/** 255.255.255.255, the limited broadcast (ipv4_is_lbcast). */
const LIMITED_BROADCAST = 0xffffffff;

/** The route __mkroute_output (and brd_input) make for 255.255.255.255: a broadcast out of `dev`, no gateway. */
function limitedBroadcastRoute(dev: NetDevice | undefined): Route {
  const known = dev && limitedBroadcastRoutes.get(dev);
  if (known) return known;
  const r: Route = { table: 'local', type: 'broadcast', dst: { network: LIMITED_BROADCAST, prefix: 32, address: LIMITED_BROADCAST }, dev, proto: 'kernel', scope: 'link' };
  if (dev) limitedBroadcastRoutes.set(dev, r);
  return r;
}
const limitedBroadcastRoutes = new WeakMap<NetDevice, Route>();

/** What the application called: a SYN is a connect()'s, another TCP segment a write()'s, anything else a sendmsg()'s. */
function verbOf(ip: Ipv4Packet): string {
  if (ip.protocol !== IPPROTO_TCP) return 'sendmsg';
  return ((ip.payload[13] ?? 0) & 0x12) === 0x02 ? 'connect' : 'write';
}

function describeIcmpError(type: number, code: number, mtu?: number): string {
  if (type === ICMP_TIME_EXCEEDED) return code === ICMP_EXC_FRAGTIME ? 'fragment reassembly time exceeded' : 'time exceeded in transit';
  const names: Record<number, string> = { 0: 'net unreachable', 1: 'host unreachable', 2: 'protocol unreachable', 3: 'port unreachable', 4: `fragmentation needed (mtu ${mtu ?? 0})` };
  return names[code] ?? `destination unreachable code ${code}`;
}
