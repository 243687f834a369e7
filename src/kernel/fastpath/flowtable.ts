import type { TraceEvent } from '../../trace/events.js';
import { decrementTtl, get32, IPPROTO_TCP, IPPROTO_UDP, type Ipv4Packet } from '../../wire/ipv4.js';
import { rewriteDatagramInPlace, wholeTcpOrUdp, type AddrChange } from '../../wire/l4-rewrite.js';
import type { Bridge, FdbEntry } from '../devices/bridge.js';
import type { CtEntry, CtTuple } from '../conntrack/conntrack.js';
import { addCost } from '../cost-model.js';
import type { NetDevice } from '../devices/device.js';
import type { Ipvs, IpvsPassKeys } from '../ipvs/ipvs.js';
import type { Counters, FlowRecording, IpvsTouch } from '../netfilter/types.js';
import type { NetNs } from '../netns.js';
import { stateEpoch } from './state-epoch.js';
import { cow, decrementTtlOf, ipv4Of, type Skb } from '../skb.js';

/**
 * A namespace's flow table, in the spirit of Linux's nf_flowtable (and of the
 * first step of Open vSwitch's megaflow replay): once a packet of a confirmed
 * connection has crossed this namespace the long way, the next packet with the
 * same key replays what that walk decided, as one step — its segment of the
 * connection's walk through this namespace. Unlike nf_flowtable it is
 * invisible (see fast-path.ts): it skips only decisions that are pure
 * functions of the key and of state whose generation it checks, and it
 * replays every side effect of the walk, in order.
 *
 * The segments replayed (the entry points, for whoever replays more of a
 * walk: `replayRouted`, `replayOutput`, `replayBridged`; each returns false
 * when the packet must walk, and the caller then records the walk with
 * `recordRouted` / `recordOutput` / `recordBridged`, marks where the segment
 * ends with `reachedNeighbour` / `reachedSocket` / `reachedBridgePort`, and
 * calls `end` once the walk is over):
 *
 * - **Routed** (stack.ts, from ip_rcv): PREROUTING — the connection's
 *   conntrack refresh (state, timeout, TCP sequence end), its rule and policy
 *   counters — unless br_netfilter already ran it on the bridge, then route
 *   lookup and reverse-path check; then either forwarding (TTL, FORWARD and
 *   POSTROUTING with their counters and the mark they leave) up to neighbour
 *   output, which runs as always (the neighbour's state machine, framing, the
 *   device), or local input (INPUT) up to the socket layer, which runs as
 *   always (socket lookup, queueing, the `deliver` event).
 * - **Local output** (stack.ts, ip_queue_xmit in the sender's namespace):
 *   route output, OUTPUT with the conntrack refresh, POSTROUTING, up to
 *   neighbour output.
 * - **Bridged** (bridge.ts, a frame entering a bridge port with br_netfilter
 *   on, up to the port it leaves by or up to the host): the FDB refresh of
 *   the sender's MAC (learning: its updated time), br_netfilter's PREROUTING
 *   with the conntrack refresh, the FDB lookup of the destination (ageing),
 *   and for a bridged frame FORWARD and POSTROUTING; then the port's transmit
 *   or the pass up to the host stack, which run as always.
 *
 * In both, the cost model's charges are made again in the same order, the
 * counters are bumped by the packet's own length, and with tracing on the
 * walk's hop events (conntrack, nat, fdb, route, rpfilter, forward,
 * netfilter, nftables, ipvs, policy) are emitted again as new objects re-stamped with the time and the
 * packet's id. A namespace without netfilter (a pod) replays the same
 * segments without hooks.
 *
 * NAT is replayed as nf_flowtable offloads NAT'd flows: a confirmed
 * connection's binding is fixed, so its later packets get the same rewrite
 * (nf_nat_packet) — the destination before routing (PREROUTING, OUTPUT), the
 * source after (POSTROUTING, INPUT), replies un-NATed the other way round —
 * which the replay does again in place with the checksums recomputed as the
 * walk's rewrite computes them (`rewriteDatagramInPlace`), around the TTL
 * decrement as forwarding orders them. A frame br_netfilter DNATs on the
 * bridge and passes up to be routed (a pod to a ClusterIP whose endpoint is
 * elsewhere) is a bridged segment that ends at the pass up, with the bridge's
 * MAC written in. A DNAT back onto the same bridge ("bridged DNAT": an
 * endpoint behind the client's own bridge, or the client itself, hairpinned
 * and masqueraded) takes the MAC of the new destination's neighbour entry
 * while that is NUD_CONNECTED: the replay asks the neighbour table again and
 * walks when it answers otherwise (through neighbour output and cbr0, which
 * is not replayed). A walk is kept only if
 * redoing its rewrites on the bytes it started with gives the bytes it left
 * with (`reproduces`).
 *
 * IPVS's NAT is replayed the same way: a request of an established IPVS
 * connection (LOCAL_IN, then ip_vs_nat_xmit through LOCAL_OUT: a routed
 * segment INPUT, OUTPUT, POSTROUTING) gets its real server as destination
 * before the TTL, an answer (FORWARD, or LOCAL_IN for the node's own
 * connection) the VIP as source after it; the replay moves the IPVS
 * connection's state and timer again (`Ipvs.retouch`, after the conntrack
 * refresh as the hooks order them, the conntrack entry's timer capped by it)
 * while the connection is live in the state the walk found it in. Every
 * replay in a namespace with IPVS checks `Ipvs.generation` (services, real
 * servers, weights, timeouts, templates, connection entries removed): what
 * IPVS answered the walk it answers again. A walk IPVS passed untouched
 * (none of its business) asks IPVS again for its keys once connections were
 * added (`Ipvs.connAdds`, `Ipvs.passes`), so that other flows' new
 * connections do not make it walk. A connection's first packet (the
 * scheduling) is never kept.
 *
 * A walk is recorded only when it was plain: a whole UDP or TCP
 * datagram (no SYN) of a confirmed connection where netfilter tracks them, no
 * NAT decided (a connection's first packet), unicast route without multipath,
 * no learned path MTU, no fragmentation, no iptables walk that reached a
 * volatile rule (`-m statistic`, `-m recent`, `-m physdev`, unknown matches:
 * walk-cache.ts) and no nftables walk that read what changes without a commit
 * (a `numgen`, a set the packet path writes or whose elements time out:
 * nftables/rule.ts). A replay checks that routes,
 * link states, rule sets (iptables and nftables), ipsets, the namespace's sysctls and the bridge's
 * forwarding database are of the same generation, that the connection is the same live entry in the same
 * state (direction, replied, NAT binding), that the FDB entries have not aged
 * out and the sender has not moved, and that the packet fits the device.
 */

/** A kept walk as a train replay names it (train.ts): opaque outside the flow table. */
export type TrainStep = Readonly<Pick<FlowEntry, 'ends'>>;

/** Where a recorded segment ends: neighbour output, the socket layer, a bridge port or the pass up to the host. */
type SegmentEnd = 'neighbour' | 'socket' | 'bridge';

interface FlowEntry {
  /** Routed: the device the packet came in by; bridged: the bridge port; local output: none. */
  inDev: NetDevice | undefined;
  ends: SegmentEnd;
  /** Bridged: the frame's Ethernet header (both MACs, the ethertype). */
  header: Uint8Array | undefined;
  /** Bridged: `header` as numbers (its bytes 0-3, 4-7, 8-11 and 12-13), compared with the frame's without a loop. */
  header0: number;
  header4: number;
  header8: number;
  header12: number;
  /** Routed: whether br_netfilter ran PREROUTING on the bridge (then the replay starts after it). */
  bridged: boolean;
  src: number;
  dst: number;
  protocol: number;
  ports: number;
  tcpFlags: number;
  /** Routed: the TTL the packet came with (the `forward` event shows the one it leaves with); bridged: -1. */
  ttl: number;
  /** skb.mark as the walk found it (-1: unset). */
  markIn: number;
  /** The replay refreshes the connection itself (it includes PREROUTING or OUTPUT): its tuple, for `Conntrack.peek`. */
  tuple: CtTuple | undefined;
  /** The packet's connection (none in a namespace without netfilter). */
  ct: CtEntry | undefined;
  /** Conntrack.removals when `tuple` was last found to map to `ct` (-1: never checked; `valid` looks it up then). */
  ctRemovals: number;
  dir: 0 | 1;
  /** Whether the connection had seen an answer once the recorded walk was over (a replay must find it so). */
  seenReply: boolean;
  reply: CtTuple;
  fibGeneration: number;
  linkGeneration: number;
  nfGeneration: number;
  setsGeneration: number;
  /** The namespace's nftables ruleset (-1: none): its commits (Nftables.generation). */
  nftGeneration: number;
  /** The namespace's IPVS table (-1: none): its services, real servers and connection entries (Ipvs.generation). */
  ipvsGeneration: number;
  /** IPVS forwarded the packet on this established connection (its rewrite is in manipDst or manipSrc). */
  ipvs: IpvsTouch | undefined;
  /**
   * IPVS passed the packet (a namespace with IPVS, `ipvs` undefined): its keys
   * as IPVS looks them up (after the destination NAT; before and after the
   * source NAT), asked again when connections were added since
   * (`ipvsConnAdds`: Ipvs.connAdds when last asked).
   */
  ipvsPass: readonly IpvsPassKeys[] | undefined;
  ipvsConnAdds: number;
  /** `stateEpoch` when the generations above were last found unchanged (-1: never checked). */
  epoch: number;
  /** The namespace's sysctls (ip_forward, rp_filter, bridge-nf-call-iptables, arp_announce: sysctls.ts). */
  sysctlGeneration: number;
  counters: Counters[];
  /** The cost model's netfilter charges in order (FlowRecording.charges). */
  charges: number[];
  markOut: number | undefined;
  /**
   * NAT of an established connection (nf_nat_packet), as the walk rewrote the
   * packet: its destination before routing (PREROUTING, OUTPUT: before the
   * TTL), its source after (POSTROUTING, INPUT). Each replayed with
   * `rewriteDatagramInPlace`, the bytes `rewriteAddrs` makes in the walk.
   */
  manipDst: AddrChange | undefined;
  manipSrc: AddrChange | undefined;
  /** The destination as the packet leaves (after NAT): the one whose learned path MTU output reads. */
  outDst: number;
  /** Bridged: the Ethernet header the frame leaves with when the walk changed it (DNAT passes it up to the bridge's MAC). */
  headerOut: Uint8Array | undefined;
  /**
   * Bridged DNAT (the new destination behind the same bridge): the next hop
   * whose neighbour entry, found NUD_CONNECTED, gave the frame its new
   * destination MAC (br_nf_pre_routing_finish_bridge); the replay asks the
   * neighbour table again (its lazy ageing included, as the walk does) and
   * walks when the answer differs.
   */
  dnatNextHop: number;
  dnatMac: string | undefined;
  /** Tracing on: the walk's hop events without their time and packet id, emitted again re-stamped. */
  events: readonly TraceEvent[] | undefined;
  /** Ends at neighbour output: to `nextHop` out of `outDev`, ARP asking from `arpSource`. */
  outDev: NetDevice | undefined;
  nextHop: number;
  arpSource: number;
  /**
   * Bridged: the bridge, its MAC and FDB generation, the sender's and the
   * destination's FDB entries (none for one of the bridge's own addresses),
   * and the port out (undefined: up to the host).
   */
  bridge: Bridge | undefined;
  bridgeMac: string;
  fdbGeneration: number;
  srcFdb: FdbEntry | undefined;
  dstFdb: FdbEntry | undefined;
  port: NetDevice | undefined;
  next: Entry | undefined;
}

/**
 * A kept walk, as `FlowEntry` describes it: a class whose fields V8 lays out
 * in the object itself, in this order — what every packet with the entry's
 * hash compares first, then what a replay checks and does, the rarely read
 * last — so a replay reads one object, mostly from its first cache lines
 * (an object spread together from the recording kept half its fields out of
 * line).
 */
class Entry implements FlowEntry {
  inDev: FlowEntry['inDev'];
  header: FlowEntry['header'];
  bridged: FlowEntry['bridged'];
  ttl: FlowEntry['ttl'];
  src: FlowEntry['src'];
  dst: FlowEntry['dst'];
  ports: FlowEntry['ports'];
  protocol: FlowEntry['protocol'];
  tcpFlags: FlowEntry['tcpFlags'];
  markIn: FlowEntry['markIn'];
  header0: FlowEntry['header0'];
  header4: FlowEntry['header4'];
  header8: FlowEntry['header8'];
  header12: FlowEntry['header12'];
  next: FlowEntry['next'];
  events: FlowEntry['events'];
  epoch: FlowEntry['epoch'];
  ct: FlowEntry['ct'];
  tuple: FlowEntry['tuple'];
  ctRemovals: FlowEntry['ctRemovals'];
  dir: FlowEntry['dir'];
  seenReply: FlowEntry['seenReply'];
  reply: FlowEntry['reply'];
  ipvs: FlowEntry['ipvs'];
  ipvsPass: FlowEntry['ipvsPass'];
  ipvsConnAdds: FlowEntry['ipvsConnAdds'];
  ends: FlowEntry['ends'];
  counters: FlowEntry['counters'];
  charges: FlowEntry['charges'];
  markOut: FlowEntry['markOut'];
  manipDst: FlowEntry['manipDst'];
  manipSrc: FlowEntry['manipSrc'];
  outDev: FlowEntry['outDev'];
  outDst: FlowEntry['outDst'];
  nextHop: FlowEntry['nextHop'];
  arpSource: FlowEntry['arpSource'];
  bridge: FlowEntry['bridge'];
  fdbGeneration: FlowEntry['fdbGeneration'];
  bridgeMac: FlowEntry['bridgeMac'];
  srcFdb: FlowEntry['srcFdb'];
  dstFdb: FlowEntry['dstFdb'];
  port: FlowEntry['port'];
  headerOut: FlowEntry['headerOut'];
  dnatMac: FlowEntry['dnatMac'];
  dnatNextHop: FlowEntry['dnatNextHop'];
  fibGeneration: FlowEntry['fibGeneration'];
  linkGeneration: FlowEntry['linkGeneration'];
  nfGeneration: FlowEntry['nfGeneration'];
  setsGeneration: FlowEntry['setsGeneration'];
  nftGeneration: FlowEntry['nftGeneration'];
  ipvsGeneration: FlowEntry['ipvsGeneration'];
  sysctlGeneration: FlowEntry['sysctlGeneration'];

  constructor(f: FlowEntry) {
    this.inDev = f.inDev;
    this.header = f.header;
    this.bridged = f.bridged;
    this.ttl = f.ttl;
    this.src = f.src;
    this.dst = f.dst;
    this.ports = f.ports;
    this.protocol = f.protocol;
    this.tcpFlags = f.tcpFlags;
    this.markIn = f.markIn;
    this.header0 = f.header0;
    this.header4 = f.header4;
    this.header8 = f.header8;
    this.header12 = f.header12;
    this.next = f.next;
    this.events = f.events;
    this.epoch = f.epoch;
    this.ct = f.ct;
    this.tuple = f.tuple;
    this.ctRemovals = f.ctRemovals;
    this.dir = f.dir;
    this.seenReply = f.seenReply;
    this.reply = f.reply;
    this.ipvs = f.ipvs;
    this.ipvsPass = f.ipvsPass;
    this.ipvsConnAdds = f.ipvsConnAdds;
    this.ends = f.ends;
    this.counters = f.counters;
    this.charges = f.charges;
    this.markOut = f.markOut;
    this.manipDst = f.manipDst;
    this.manipSrc = f.manipSrc;
    this.outDev = f.outDev;
    this.outDst = f.outDst;
    this.nextHop = f.nextHop;
    this.arpSource = f.arpSource;
    this.bridge = f.bridge;
    this.fdbGeneration = f.fdbGeneration;
    this.bridgeMac = f.bridgeMac;
    this.srcFdb = f.srcFdb;
    this.dstFdb = f.dstFdb;
    this.port = f.port;
    this.headerOut = f.headerOut;
    this.dnatMac = f.dnatMac;
    this.dnatNextHop = f.dnatNextHop;
    this.fibGeneration = f.fibGeneration;
    this.linkGeneration = f.linkGeneration;
    this.nfGeneration = f.nfGeneration;
    this.setsGeneration = f.setsGeneration;
    this.nftGeneration = f.nftGeneration;
    this.ipvsGeneration = f.ipvsGeneration;
    this.sysctlGeneration = f.sysctlGeneration;
  }
}

/**
 * A packet's flow key as `FlowTable.eligible` reads it. Addresses and ports
 * are read as signed 32-bit numbers (small integers to V8: no heap number
 * per field read), as an entry keeps them; `>>> 0` makes them addresses again.
 */
interface FlowKey {
  src: number;
  dst: number;
  /** Source port << 16 | destination port. */
  ports: number;
  protocol: number;
  /** TCP's flags; -1 for UDP. */
  tcpFlags: number;
  ttl: number;
  /** skb.mark (-1: unset). */
  markIn: number;
}

/** The segments a key may start (mixed into its hash): routed, routed after br_netfilter's PREROUTING, bridged, local output. */
const ROUTED = 0;
const ROUTED_AFTER_BRIDGE = 0x10000;
const BRIDGED = 0x20000;
const OUTPUT = 0x40000;

/** Entries per namespace before the table starts over (bounded memory). */
const FLOWTABLE_MAX = 4096;

type Recorded = Omit<FlowEntry, 'ctRemovals' | 'ipvs' | 'ipvsPass' | 'ipvsConnAdds' | 'epoch' | 'ends' | 'counters' | 'charges' | 'markOut' | 'manipDst' | 'manipSrc' | 'outDst' | 'headerOut' | 'dnatNextHop' | 'dnatMac' | 'events' | 'outDev' | 'nextHop' | 'arpSource' | 'srcFdb' | 'dstFdb' | 'port' | 'next'>;

interface Pending {
  skb: Skb;
  key: number;
  entry: Recorded;
  /** The bytes as the walk started (IPv4, or the frame when bridged): the walk may change only what a replay redoes. */
  before: Uint8Array;
  /** What the rule engine reported (a namespace without netfilter: nothing). */
  recording: FlowRecording;
  /** Tracing on: the hop events the walk emitted. */
  events: TraceEvent[] | undefined;
  /** Bridged DNAT: the neighbour that steered the frame (`steeredBy`). */
  dnatNextHop: number;
  dnatMac: string | undefined;
}

export class FlowTable {
  private readonly flows = new Map<number, Entry>();
  private size = 0;
  private pending: Pending | undefined;
  /** The key of the packet at hand (`eligible` reads it): one record, read afresh for each packet. */
  private readonly key: FlowKey = { src: 0, dst: 0, ports: 0, protocol: 0, tcpFlags: -1, ttl: 0, markIn: -1 };
  /**
   * The entry each kind of segment last replayed or kept, tried before the
   * key's hash and its chain: a connection's next packet finds it with no
   * hash computed and no lookup. Set only to an entry no entry ahead of it
   * in its chain has the same key (a chain's head when kept; when replayed,
   * the first of its key the scan met), so a replay that starts from it
   * meets what the scan from the chain's head would meet: the entries ahead
   * of it could not match.
   */
  private lastRouted: Entry | undefined;
  private lastOutput: Entry | undefined;
  private lastBridged: Entry | undefined;

  constructor(private readonly ns: NetNs) {}

  /** How many recorded walks the table keeps (tests: what a traffic pattern costs it). */
  get entries(): number {
    return this.size;
  }

  /**
   * A packet at ip_rcv, before PREROUTING (after it when br_netfilter ran it
   * on the bridge: `bridged`): replay its recorded walk up to neighbour output
   * (true: it was sent on), or false: walk it (`recordRouted` first).
   */
  replayRouted(dev: NetDevice, skb: Skb, ip: Ipv4Packet, bridged: boolean): boolean {
    if (!this.eligible(skb, 0, bridged)) return false;
    const k = this.key;
    // The first entry of the key that is usable now: from the last one replayed when the key is its key.
    let e = this.lastRouted;
    if (e === undefined || !routedMatches(e, dev, bridged, k)) e = this.flows.get(this.hashOf(skb, 0, dev.ifindex, bridged ? ROUTED_AFTER_BRIDGE : ROUTED));
    let first = true;
    for (; e !== undefined; e = e.next) {
      if (!routedMatches(e, dev, bridged, k)) continue;
      if (this.valid(e, skb) && (e.ends === 'socket' || this.fitsOut(e, skb.len))) break;
      first = false;
    }
    if (e === undefined) return false;
    if (first) this.lastRouted = e;
    // The packet's bytes read where they lie (skb.ts: no view made per hop).
    this.replay(e, skb, skb.buf, skb.off + 20, skb.len);
    if (e.ends === 'socket') {
      if (e.manipDst === undefined && e.manipSrc === undefined) this.ns.sockets.rcv(dev, skb, ip);
      else {
        natReplay(skb, 0, e.manipDst);
        natReplay(skb, 0, e.manipSrc);
        this.ns.sockets.rcv(dev, skb, (ipv4Of(skb) as { value: Ipv4Packet }).value);
      }
      return true;
    }
    natReplay(skb, 0, e.manipDst);
    decrementTtlOf(skb); // as forwarding does: in place when the packet alone holds its bytes
    natReplay(skb, 0, e.manipSrc);
    this.neighbourOutput(e, e.outDev!, skb);
    return true;
  }

  /** Whether a packet of `len` bytes replayed by `e` (ending at neighbour output) leaves without fragmentation or a learned path MTU. */
  private fitsOut(e: Entry, len: number): boolean {
    return len <= e.outDev!.mtu && this.ns.pmtu.get(e.outDst, this.ns.world.sched.now) === undefined;
  }

  /** The routed walk `replayRouted` turned down starts: record it (when it may be replayed at all). */
  recordRouted(dev: NetDevice, skb: Skb, bridged: boolean): void {
    if (!this.eligible(skb, 0, bridged)) return;
    const k = this.key;
    const key = this.hashOf(skb, 0, dev.ifindex, bridged ? ROUTED_AFTER_BRIDGE : ROUTED);
    if (this.firstSighting(key)) return;
    this.start(skb, key, { inDev: dev, header: undefined, ...NO_HEADER, bridged, ...keyFields(k), ttl: k.ttl, ...this.connection(skb, k, bridged), bridge: undefined, bridgeMac: '', fdbGeneration: 0 });
  }

  /**
   * A locally generated packet at ip_queue_xmit, before its route lookup:
   * replay its recorded walk up to neighbour output (true: it was sent on),
   * or false: walk it (`recordOutput` first).
   */
  replayOutput(skb: Skb): boolean {
    if (!this.eligible(skb, 0, false)) return false;
    const k = this.key;
    let e = this.lastOutput;
    if (e === undefined || !outputMatches(e, k)) e = this.flows.get(this.hashOf(skb, 0, 0, OUTPUT));
    let first = true;
    for (; e !== undefined; e = e.next) {
      if (!outputMatches(e, k)) continue;
      if (this.valid(e, skb) && this.fitsOut(e, skb.len)) break;
      first = false;
    }
    if (e === undefined) return false;
    if (first) this.lastOutput = e;
    this.replay(e, skb, skb.buf, skb.off + 20, skb.len);
    natReplay(skb, 0, e.manipDst);
    natReplay(skb, 0, e.manipSrc);
    this.neighbourOutput(e, e.outDev!, skb);
    return true;
  }

  /** The local output `replayOutput` turned down starts: record it (when it may be replayed at all). */
  recordOutput(skb: Skb): void {
    if (!this.eligible(skb, 0, false)) return;
    const k = this.key;
    const key = this.hashOf(skb, 0, 0, OUTPUT);
    if (this.firstSighting(key)) return;
    this.start(skb, key, { inDev: undefined, header: undefined, ...NO_HEADER, bridged: false, ...keyFields(k), ttl: k.ttl, ...this.connection(skb, k, false), bridge: undefined, bridgeMac: '', fdbGeneration: 0 });
  }

  private neighbourOutput(e: FlowEntry, out: NetDevice, skb: Skb): void {
    if (out.needsArp) this.ns.neigh.output(out, e.nextHop, skb, e.arpSource);
    else out.xmit(skb);
  }

  /**
   * A frame entering bridge `br` by `port`, before learning and br_netfilter's
   * PREROUTING: replay its recorded crossing up to the port it leaves by or
   * up to the host (true), or false: walk it (`recordBridged` first).
   */
  replayBridged(br: Bridge, port: NetDevice, skb: Skb): boolean {
    if (this.ns.nf === undefined || !this.eligible(skb, 14, false)) return false;
    const k = this.key;
    const d = skb.buf;
    const off = skb.off;
    const now = this.ns.world.sched.now;
    let e = this.lastBridged;
    if (e === undefined || !bridgedMatches(e, port, k, d, off)) e = this.flows.get(this.hashOf(skb, 14, port.ifindex, BRIDGED));
    let first = true;
    for (; e !== undefined; e = e.next) {
      if (!bridgedMatches(e, port, k, d, off)) continue;
      if (this.bridgedUsable(e, br, port, skb, now)) break;
      first = false;
    }
    if (e === undefined) return false;
    if (first) this.lastBridged = e;
    e.srcFdb!.updatedNs = now;
    skb.physIn = port;
    this.replay(e, skb, d, off + 34, skb.len - 14);
    natReplay(skb, 14, e.manipDst);
    natReplay(skb, 14, e.manipSrc);
    if (e.headerOut !== undefined) cow(skb).set(e.headerOut, 0);
    const out = e.port;
    if (out !== undefined) out.xmit(skb);
    else {
      skb.brPrerouted = true;
      br.passUp(skb);
    }
    return true;
  }

  /** Whether `e`, a bridged entry of the frame's key, may be replayed for it now (`bridgedMatches` first). */
  private bridgedUsable(e: Entry, br: Bridge, port: NetDevice, skb: Skb, now: number): boolean {
    if (e.bridge !== br || e.fdbGeneration !== br.fdbGeneration || e.bridgeMac !== br.mac) return false;
    // learn: the sender is still behind this port and has not aged out (else learning starts its entry anew).
    const s = e.srcFdb!;
    if (s.port !== port || now - s.updatedNs > br.ageingNs) return false;
    // br_fdb_find: the destination has not aged out either (the bridge's own MAC never does).
    const t = e.dstFdb;
    if (t !== undefined && now - t.updatedNs > br.ageingNs) return false;
    const out = e.port;
    if (out !== undefined && skb.len - 14 > out.mtu) return false;
    if (!this.valid(e, skb)) return false;
    return e.dnatMac === undefined || this.ns.neigh.connectedMac(br, e.dnatNextHop) === e.dnatMac;
  }

  /** The bridged walk `replayBridged` turned down starts: record it (when it may be replayed at all). */
  recordBridged(br: Bridge, port: NetDevice, skb: Skb): void {
    if (!br.ns.sysctl.bridgeNfCallIptables || this.ns.nf === undefined || !this.eligible(skb, 14, false)) return;
    const k = this.key;
    const key = this.hashOf(skb, 14, port.ifindex, BRIDGED);
    if (this.firstSighting(key)) return;
    this.start(skb, key, { inDev: port, header: skb.data.slice(0, 14), ...headerWords(skb.buf, skb.off), bridged: false, ...keyFields(k), ttl: -1, ...this.connection(skb, k, false), bridge: br, bridgeMac: br.mac, fdbGeneration: br.fdbGeneration });
  }

  /**
   * The hash of the key `eligible` read from `skb` (its IPv4 header at `at`:
   * 0, or 14 behind an Ethernet header) coming in by `ifindex` (0: local
   * output) to `segment`. A bridged frame's mixes in part of its destination
   * MAC (the entry compares the whole header).
   */
  private hashOf(skb: Skb, at: number, ifindex: number, segment: number): number {
    const k = this.key;
    return hash(ifindex, k.src, k.dst, k.ports, (k.protocol << 9) ^ (k.tcpFlags & 0x1ff) ^ segment, at === 14 ? k.markIn ^ int32(skb.buf, skb.off + 2) : k.markIn);
  }

  /**
   * The routed walk being recorded reached neighbour output for `skb` (called
   * from the stack, before anything else happens to the packet): keep it if
   * it was plain.
   */
  reachedNeighbour(skb: Skb, outDev: NetDevice, nextHop: number, arpSource: number): void {
    const p = this.finish(skb);
    if (p === undefined || p.entry.header !== undefined) return;
    const output = p.entry.inDev === undefined;
    if (!reproduces(p, skb, 0, !output, undefined)) return;
    // IPVS takes a request at LOCAL_IN and sends it on through LOCAL_OUT (ip_vs_nat_xmit), not FORWARD.
    const through = p.recording.ipvs?.dir === 'input' && !output ? ['INPUT', 'OUTPUT', 'POSTROUTING'] : ['FORWARD', 'POSTROUTING'];
    if (!this.hooksWere(p, output ? ['OUTPUT', 'POSTROUTING'] : p.entry.bridged ? through : ['PREROUTING', ...through])) return;
    this.keep(p, skb, { ends: 'neighbour', outDev, nextHop, arpSource, srcFdb: undefined, dstFdb: undefined, port: undefined, headerOut: undefined });
  }

  /** The routed walk being recorded reached the socket layer (ip_local_deliver_finish) for `skb`: keep it if it was plain. */
  reachedSocket(skb: Skb): void {
    const p = this.finish(skb);
    if (p === undefined || p.entry.header !== undefined || p.entry.inDev === undefined) return;
    if (!reproduces(p, skb, 0, false, undefined)) return;
    if (!this.hooksWere(p, p.entry.bridged ? ['INPUT'] : ['PREROUTING', 'INPUT'])) return;
    this.keep(p, skb, { ends: 'socket', outDev: undefined, nextHop: 0, arpSource: 0, srcFdb: undefined, dstFdb: undefined, port: undefined, headerOut: undefined });
  }

  /** The hooks the walk ran were these, in this order (none without netfilter). */
  private hooksWere(p: Pending, expected: readonly string[]): boolean {
    const hooks = p.recording.hooks;
    if (this.ns.nf === undefined) return hooks.length === 0;
    return hooks.length === expected.length && hooks.every((h, i) => h === expected[i]);
  }

  /**
   * The bridged walk being recorded reached `port`'s transmit (or, `port`
   * undefined, the pass up to the host) for `skb`, with the FDB entries it
   * learnt the sender into and found the destination in (none: DNAT in
   * PREROUTING sent it up to be routed, br_nf_pre_routing_finish): keep it if
   * it was plain.
   */
  reachedBridgePort(skb: Skb, port: NetDevice | undefined, srcFdb: FdbEntry | undefined, dstFdb: FdbEntry | undefined): void {
    const p = this.finish(skb);
    if (p === undefined || p.entry.header === undefined || srcFdb === undefined || srcFdb.local) return;
    // Forwarded by a learnt entry to a port, passed up for one of the bridge's own addresses, or passed up after DNAT.
    const routedAfterDnat = dstFdb === undefined && port === undefined && p.recording.manipDst !== undefined;
    if (!routedAfterDnat && (dstFdb === undefined || dstFdb.local !== (port === undefined))) return;
    const headerOut = sameHeader(p.before, skb.data, 0) ? undefined : skb.data.slice(0, 14);
    if (!reproduces(p, skb, 14, false, headerOut) || skb.fragMaxSize !== undefined || skb.physIn !== p.entry.inDev) return;
    if (!this.hooksWere(p, port === undefined ? ['PREROUTING'] : ['PREROUTING', 'FORWARD', 'POSTROUTING'])) return;
    // The pass up keeps br_netfilter's mark of PREROUTING done; a bridged frame leaves without it.
    if (skb.brPrerouted !== (port === undefined ? true : undefined)) return;
    if (p.entry.bridge!.fdbGeneration !== p.entry.fdbGeneration) return;
    this.keep(p, skb, { ends: 'bridge', outDev: undefined, nextHop: 0, arpSource: 0, srcFdb, dstFdb: dstFdb?.local ? undefined : dstFdb, port, headerOut });
  }

  /**
   * The bridged walk being recorded was DNATed back onto its bridge and
   * given `mac`, the NUD_CONNECTED neighbour entry's of `nextHop` (br-netfilter.ts).
   */
  steeredBy(nextHop: number, mac: string): void {
    const p = this.pending!;
    p.dnatNextHop = nextHop;
    p.dnatMac = mac;
  }

  /** Whether the walk of `skb` is being recorded (what a `reached...` call would read need not be looked up otherwise). */
  recording(skb: Skb): boolean {
    return this.pending?.skb === skb;
  }

  /** The walk started by `recordRouted` or `recordBridged` is over (sent, dropped, delivered, or handed elsewhere). */
  end(): void {
    if (this.pending === undefined) return;
    this.pending = undefined;
    this.ns.world.eventRecording = undefined;
    const engine = this.ns.nf?.engine;
    if (engine) engine.flowRecording = undefined;
  }

  /**
   * Whether this packet may be recorded or replayed at all (`at`: where its
   * IPv4 header starts; `bridged`: br_netfilter already ran PREROUTING and
   * attached its connection).
   */
  private eligible(skb: Skb, at: number, bridged: boolean): boolean {
    const ns = this.ns;
    const w = ns.world;
    // Not while another walk of this namespace is being recorded (an ICMP error that walk sends, say).
    if (!w.fast.enabled || this.pending !== undefined || w.eventRecording !== undefined) return false;
    const nf = ns.nf;
    if (nf && nf.engine.flowRecording !== undefined) return false;
    const d = skb.buf;
    const len = skb.len;
    const o = skb.off;
    const h = o + at;
    // A plain IPv4 header (no options), a whole UDP or TCP datagram (no SYN), the length the header says.
    if (len < at + 40 || d[h] !== 0x45 || ((d[h + 6]! & 0x3f) | d[h + 7]!) !== 0 || len - at !== ((d[h + 2]! << 8) | d[h + 3]!)) return false;
    if (at === 14 && ((d[o + 12]! << 8) | d[o + 13]!) !== 0x0800) return false;
    const protocol = d[h + 9]!;
    if (protocol === IPPROTO_TCP ? (d[h + 33]! & 0x02) !== 0 : protocol !== IPPROTO_UDP) return false;
    if (skb.fragMaxSize !== undefined || skb.bridgedDnat !== undefined) return false;
    const k = this.key;
    k.src = int32(d, h + 12);
    k.dst = int32(d, h + 16);
    k.ports = int32(d, h + 20);
    k.protocol = protocol;
    k.tcpFlags = protocol === IPPROTO_TCP ? d[h + 33]! : -1;
    k.ttl = d[h + 8]!;
    k.markIn = skb.mark ?? -1;
    if (bridged) {
      const ct = skb.nfct;
      return nf !== undefined && ct !== undefined && ct.table === nf.conntrack && !ct.related && ct.entry.confirmed;
    }
    return skb.nfct === undefined && !skb.brPrerouted;
  }

  /** The packet's connection as the walk will find it (peeked: PREROUTING has not run yet unless `bridged`). */
  private connection(skb: Skb, k: FlowKey, bridged: boolean): Pick<FlowEntry, 'tuple' | 'ct' | 'dir' | 'seenReply' | 'reply' | 'fibGeneration' | 'linkGeneration' | 'nfGeneration' | 'setsGeneration' | 'nftGeneration' | 'ipvsGeneration' | 'sysctlGeneration'> {
    const ns = this.ns;
    const engine = ns.nf?.engine;
    const gens = { fibGeneration: ns.fib.generation, linkGeneration: ns.world.fast.linkGeneration, nfGeneration: engine?.generation ?? -1, setsGeneration: engine?.ipsets.generation ?? -1, nftGeneration: ns.nf?.nft?.generation ?? -1, ipvsGeneration: ns.ipvs?.generation ?? -1, sysctlGeneration: ns.sysctl.generation };
    if (engine === undefined) return { tuple: undefined, ct: undefined, dir: 0, seenReply: false, reply: NO_TUPLE, ...gens };
    let tuple: CtTuple | undefined;
    let ct: CtEntry | undefined;
    let dir: 0 | 1 = 0;
    if (bridged) {
      ct = skb.nfct!.entry;
      dir = skb.nfct!.dir;
    } else {
      tuple = { src: k.src >>> 0, dst: k.dst >>> 0, protocol: k.protocol, sport: k.ports >>> 16, dport: k.ports & 0xffff };
      const hit = ns.nf!.conntrack.peek(tuple, ns.world.sched.now);
      ct = hit?.entry;
      dir = hit?.dir ?? 0;
    }
    // No live connection yet: the walk is recorded but not kept (`finish` checks it is the one the walk found).
    return { tuple, ct, dir, seenReply: ct?.seenReply ?? false, reply: ct?.reply ?? NO_TUPLE, ...gens };
  }

  private start(skb: Skb, key: number, entry: Recorded): void {
    // Netfilter tracks this packet but has no live connection for it yet: a first packet is never kept.
    if (this.ns.nf !== undefined && entry.ct === undefined) return;
    const w = this.ns.world;
    const recording: FlowRecording = { counters: [], volatile: false, hooks: [], charges: [], manipDst: undefined, manipSrc: undefined, ipvs: undefined };
    const engine = this.ns.nf?.engine;
    if (engine) engine.flowRecording = recording;
    const events: TraceEvent[] | undefined = w.detailed ? [] : undefined;
    w.eventRecording = events;
    this.pending = { skb, key, entry, before: skb.data.slice(), recording, events, dnatNextHop: 0, dnatMac: undefined };
  }

  /** Keys seen once and not recorded yet: bounded as the table is. */
  private readonly seen = new Set<number>();

  /**
   * A key is recorded the second time it comes (or when an entry of it is
   * stale), so that a flow of one packet — a new socket per datagram, where
   * even a namespace with conntrack keeps the first packet's routed walk once
   * br_netfilter made the connection — pays no recording nobody replays.
   */
  private firstSighting(key: number): boolean {
    if (this.flows.has(key) || this.seen.delete(key)) return false;
    if (this.seen.size >= FLOWTABLE_MAX) this.seen.clear();
    this.seen.add(key);
    return true;
  }

  /** The recording of `skb`'s walk stops here (whatever the outcome); undefined when it may not be kept. */
  private finish(skb: Skb): Pending | undefined {
    const p = this.pending;
    if (p === undefined || p.skb !== skb) return undefined;
    this.end();
    if (p.recording.volatile) return undefined;
    // Only this packet's hop events, none that describes its bytes (a frame is read when printed).
    // A connection's NAT is decided by its first packet, never replayed (nor are the candidates it had).
    if (p.events?.some((x) => x.pkt !== skb.id || 'frame' in x || !REPLAYABLE_EVENTS.has(x.kind) || (x.kind === 'nat' && x.first))) return undefined;
    // The state the walk read must not have changed during it (a rule set restored by a REJECT's answer, say).
    const e = p.entry;
    const nf = this.ns.nf;
    if (e.fibGeneration !== this.ns.fib.generation || e.nfGeneration !== (nf?.engine.generation ?? -1) || e.setsGeneration !== (nf?.engine.ipsets.generation ?? -1) || e.nftGeneration !== (nf?.nft?.generation ?? -1) || e.ipvsGeneration !== (this.ns.ipvs?.generation ?? -1) || e.linkGeneration !== this.ns.world.fast.linkGeneration || e.sysctlGeneration !== this.ns.sysctl.generation) return undefined;
    if (nf === undefined) return skb.nfct === undefined ? p : undefined;
    // The connection the walk found (or, replaying PREROUTING or OUTPUT, would find by its tuple) is live, confirmed and unchanged.
    const ct = skb.nfct;
    const c = e.ct;
    if (ct === undefined || c === undefined || ct.table !== nf.conntrack || ct.related || ct.entry !== c || ct.dir !== e.dir || !c.confirmed || c.reply !== e.reply || c.seenReply !== (e.seenReply || e.dir === 1)) return undefined;
    return p;
  }

  private keep(p: Pending, skb: Skb, end: Pick<FlowEntry, 'ends' | 'outDev' | 'nextHop' | 'arpSource' | 'srcFdb' | 'dstFdb' | 'port' | 'headerOut'>): void {
    if (this.size >= FLOWTABLE_MAX) {
      this.flows.clear();
      this.size = 0;
      this.lastRouted = this.lastOutput = this.lastBridged = undefined;
    }
    const r = p.recording;
    // The connection as the walk left it: the first answer's walk marks it replied (`finish` checked it did, and
    // nothing else), and the next answer finds it so. The state the walk found would never match again.
    const seenReply = p.entry.ct?.seenReply ?? false;
    const outDst = get32(skb.data, p.entry.header === undefined ? 16 : 30);
    const ipvs = this.ns.ipvs;
    const ipvsPass = ipvs !== undefined && r.ipvs === undefined ? passKeys(ipvs, p.entry, r) : undefined;
    const e = new Entry({ ...p.entry, ...end, seenReply, ctRemovals: -1, epoch: -1, counters: r.counters, charges: r.charges, markOut: skb.mark, ipvs: r.ipvs, ipvsPass, ipvsConnAdds: ipvs?.connAdds ?? -1, manipDst: r.manipDst, manipSrc: r.manipSrc, outDst, dnatNextHop: p.dnatNextHop, dnatMac: p.dnatMac, events: p.events?.map((x) => ({ ...x })), next: this.flows.get(p.key) });
    this.flows.set(p.key, e);
    this.size++;
    // The chain's head now: the first entry of its key.
    if (e.header !== undefined) this.lastBridged = e;
    else if (e.inDev === undefined) this.lastOutput = e;
    else this.lastRouted = e;
  }

  /** Whether the state `e` was recorded under is unchanged, and the packet's connection is the one it found. */
  private valid(e: FlowEntry, skb: Skb): boolean {
    const w = this.ns.world;
    if ((e.events !== undefined) !== w.detailed) return false;
    const nf = this.ns.nf;
    const engine = nf?.engine;
    // Nothing any generation counts has changed anywhere since they were last found the same: they still are.
    if (e.epoch !== stateEpoch.n) {
      if (e.fibGeneration !== this.ns.fib.generation || e.linkGeneration !== w.fast.linkGeneration || e.nfGeneration !== (engine?.generation ?? -1) || e.setsGeneration !== (engine?.ipsets.generation ?? -1) || e.nftGeneration !== (nf?.nft?.generation ?? -1) || e.ipvsGeneration !== (this.ns.ipvs?.generation ?? -1) || e.sysctlGeneration !== this.ns.sysctl.generation) return false;
      e.epoch = stateEpoch.n;
    }
    const ipvs = this.ns.ipvs;
    if (ipvs !== undefined) {
      if (e.ipvs !== undefined) {
        if (!ipvs.replayable(e.ipvs)) return false;
      } else if (e.ipvsConnAdds !== ipvs.connAdds) {
        // Connections were added since IPVS was last found to pass this packet: is none of them its business?
        const keys = e.ipvsPass!;
        for (let i = 0; i < keys.length; i++) if (!ipvs.passes(keys[i]!)) return false;
        e.ipvsConnAdds = ipvs.connAdds;
      }
    }
    const ct = e.ct;
    if (ct === undefined) return engine === undefined;
    if (ct.seenReply !== e.seenReply || ct.reply !== e.reply) return false;
    if (e.tuple === undefined) {
      const n = skb.nfct!;
      return n.entry === ct && n.dir === e.dir;
    }
    const conntrack = this.ns.nf!.conntrack;
    const now = w.sched.now;
    // No tuple left the table since the tuple was last found to map to this direction of `ct`: it still does.
    if (e.ctRemovals === conntrack.removals) return ct.expiresNs > now;
    const hit = conntrack.peek(e.tuple, now);
    if (hit === undefined || hit.entry !== ct || hit.dir !== e.dir) return false;
    e.ctRemovals = conntrack.removals;
    return true;
  }

  /**
   * Whether a train replay (train.ts) may stand for `step` replayed again and
   * again in closed form (`trainRepeat`): a UDP datagram of a connection in
   * its original direction, no NAT, IPVS or hop events, ending at the socket
   * layer or handed to a veth (whose hand-off the train redoes) — nothing
   * whose effect depends on more than the time and the count.
   */
  trainSafe(step: TrainStep): boolean {
    const e = step as Entry;
    if (e.events !== undefined || e.ipvs !== undefined || this.ns.ipvs !== undefined || e.manipDst !== undefined || e.manipSrc !== undefined || e.headerOut !== undefined || e.dnatMac !== undefined) return false;
    if (e.protocol !== IPPROTO_UDP || e.dir !== 0) return false;
    // Out of a veth (its hand-off), a NIC (its CPU charge and wire: train-lag.ts) or a bridge device (its lookup, then a port's transmit).
    if (e.ends === 'neighbour') return e.outDev!.kind === 'veth' || e.outDev!.kind === 'uplink' || e.outDev!.kind === 'bridge';
    // Bridged to a veth, or passed up to the host for the bridge's own address (the pass up is an event of its own).
    if (e.ends === 'bridge') return e.port === undefined ? e.dstFdb === undefined && e.manipDst === undefined : e.port.kind === 'veth';
    return true;
  }

  /**
   * The last time `step` may be replayed again, as far as its own checks go,
   * with no event in between: the destination's FDB entry ages (a bridged
   * crossing refreshes only the sender's), and a connection the step does not
   * refresh itself expires (the train's other step that does is not known
   * here: this errs on the early side).
   */
  trainUntilNs(step: TrainStep): number {
    const e = step as Entry;
    let until = Number.POSITIVE_INFINITY;
    const br = e.bridge;
    if (br !== undefined && e.dstFdb !== undefined && !e.dstFdb.local && e.dstFdb !== e.srcFdb) until = e.dstFdb.updatedNs + br.ageingNs;
    if (e.ct !== undefined && e.tuple === undefined) until = Math.min(until, e.ct.expiresNs - 1);
    return until;
  }

  /**
   * `step` replayed `times` more times for packets of `len` bytes, the last
   * at `lastNs`, in closed form: what `times` calls of `replay` leave — the
   * counters bumped, the connection refreshed as its last packet refreshes it
   * (UDP's state depends only on the last time, `Conntrack.update`), the
   * sender's FDB entry updated then. (The cost model's charges are the
   * train's hand-offs; the mark is the packet's own.)
   */
  trainRepeat(step: TrainStep, lastNs: number, times: number, len: number): void {
    const e = step as Entry;
    const counters = e.counters;
    for (let i = 0; i < counters.length; i++) {
      counters[i]!.pkts += times;
      counters[i]!.bytes += times * len;
    }
    if (e.tuple !== undefined) this.ns.nf!.conntrack.update(e.ct!, 0, IPPROTO_UDP, undefined, lastNs);
    if (e.header !== undefined) e.srcFdb!.updatedNs = lastNs;
  }

  /**
   * What the recorded walk did to `skb` (its IPv4 header at `l4` - 20 of `d`,
   * the memory its bytes lie in, `len` bytes long), in order: the connection refreshed, the hop events, the
   * counters, the mark, the cost model's charges.
   */
  private replay(e: FlowEntry, skb: Skb, d: Uint8Array, l4: number, len: number): void {
    const w = this.ns.world;
    w.fast.hits++;
    w.fast.replays++;
    const probe = w.fast.probe;
    if (probe !== undefined) probe.replayed(this, e, w.sched.now, len);
    if (e.tuple !== undefined) this.ns.nf!.refresh(skb, e.ct!, e.dir, e.protocol, d, l4, l4 + len - 20);
    // IPVS's state and timer of the connection, after the conntrack refresh as the walk's hooks order them.
    if (e.ipvs !== undefined) this.ns.ipvs!.retouch(e.ipvs, skb, e.tcpFlags);
    // The walk's hop events in their order, each a new object with this packet's id and the time now.
    if (e.events) w.emitCopies(e.events, skb.id);
    const counters = e.counters;
    for (let i = 0; i < counters.length; i++) {
      counters[i]!.pkts++;
      counters[i]!.bytes += len;
    }
    skb.mark = e.markOut;
    const costs = w.costs;
    if (costs) {
      // What nf-hooks.ts charges, in its order and with its arithmetic: a hook, then each table walked on it.
      const charges = e.charges;
      for (let i = 0; i < charges.length; i++) {
        const n = charges[i]!;
        if (n < 0) addCost(skb, costs.netfilterHook, len);
        else skb.cost = (skb.cost ?? 0) + costs.netfilterRuleNs * n;
      }
    }
  }
}

const NO_TUPLE: CtTuple = { src: 0, dst: 0, protocol: 0, sport: 0, dport: 0 };

type HeaderWords = Pick<FlowEntry, 'header0' | 'header4' | 'header8' | 'header12'>;
const NO_HEADER: HeaderWords = { header0: 0, header4: 0, header8: 0, header12: 0 };

/** The Ethernet header at `d[at..]` as a bridged entry compares it (FlowEntry.header0...). */
function headerWords(d: Uint8Array, at: number): HeaderWords {
  return { header0: int32(d, at), header4: int32(d, at + 4), header8: int32(d, at + 8), header12: (d[at + 12]! << 8) | d[at + 13]! };
}

/** Hop events a walk emits that depend only on the flow key and on generation-counted state. */
const REPLAYABLE_EVENTS: ReadonlySet<TraceEvent['kind']> = new Set(['conntrack', 'nat', 'fdb', 'route', 'rpfilter', 'forward', 'netfilter', 'nftables', 'ipvs', 'policy']);

/**
 * The keys IPVS looks a recorded packet up by (Ipvs.passKeys): its tuple
 * after the destination NAT (PREROUTING, OUTPUT: before IPVS's hooks), and,
 * when the walk also rewrote its source, after that too (INPUT's SNAT comes
 * before IPVS's LOCAL_IN hook, POSTROUTING's after its others: both asked).
 */
function passKeys(ipvs: Ipvs, e: Recorded, r: FlowRecording): IpvsPassKeys[] {
  const d = r.manipDst;
  const dst = d?.dst ?? e.dst >>> 0;
  const dport = d?.dport ?? e.ports & 0xffff;
  const out: IpvsPassKeys[] = [];
  const k = ipvs.passKeys(e.protocol, e.src >>> 0, e.ports >>> 16, dst, dport);
  if (k !== undefined) out.push(k);
  const s = r.manipSrc;
  const k2 = s === undefined ? undefined : ipvs.passKeys(e.protocol, s.src ?? e.src >>> 0, s.sport ?? e.ports >>> 16, dst, dport);
  if (k2 !== undefined) out.push(k2);
  return out;
}

/** What a replay compares of the key (besides where the packet came in and, routed, its TTL). */
function sameKey(e: FlowEntry, k: FlowKey): boolean {
  return e.src === k.src && e.dst === k.dst && e.ports === k.ports && e.protocol === k.protocol && e.tcpFlags === k.tcpFlags && e.markIn === k.markIn;
}

/** `e` is a routed entry of the packet's key coming in by `dev` (after br_netfilter's PREROUTING when `bridged`). */
function routedMatches(e: Entry, dev: NetDevice, bridged: boolean, k: FlowKey): boolean {
  return e.inDev === dev && e.header === undefined && e.bridged === bridged && e.ttl === k.ttl && sameKey(e, k);
}

/** `e` is a local output entry of the packet's key. */
function outputMatches(e: Entry, k: FlowKey): boolean {
  return e.inDev === undefined && e.header === undefined && e.ttl === k.ttl && sameKey(e, k);
}

/** `e` is a bridged entry of the frame's key (its Ethernet header at `d[off..]`) coming in by `port`. */
function bridgedMatches(e: Entry, port: NetDevice, k: FlowKey, d: Uint8Array, off: number): boolean {
  return e.inDev === port && e.header !== undefined && sameKey(e, k) && int32(d, off) === e.header0 && int32(d, off + 4) === e.header4 && int32(d, off + 8) === e.header8 && ((d[off + 12]! << 8) | d[off + 13]!) === e.header12;
}

/** Big-endian 32 bits at `d[at..]` as a signed number (a small integer to V8, where an unsigned one above 2^31 is a heap number). */
function int32(d: Uint8Array, at: number): number {
  return (d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!;
}

/** The key's fields an entry keeps (a new object: the key is the table's scratch record). */
function keyFields(k: FlowKey): Pick<FlowEntry, 'src' | 'dst' | 'protocol' | 'ports' | 'tcpFlags' | 'markIn'> {
  return { src: k.src, dst: k.dst, protocol: k.protocol, ports: k.ports, tcpFlags: k.tcpFlags, markIn: k.markIn };
}

/**
 * Whether what a replay does to the bytes (the NAT rewrites, the TTL when
 * forwarding, the Ethernet header out) makes of the bytes the walk started
 * with (`p.before`, the IPv4 header at `at`) the bytes it left with: a walk
 * that changed anything else is not kept.
 */
function reproduces(p: Pending, skb: Skb, at: number, forwarded: boolean, headerOut: Uint8Array | undefined): boolean {
  const r = p.recording;
  const b = r.manipDst === undefined && r.manipSrc === undefined && !forwarded && headerOut === undefined ? p.before : p.before.slice();
  if ((r.manipDst !== undefined || r.manipSrc !== undefined) && !wholeTcpOrUdp(b, at)) return false;
  if (r.manipDst !== undefined) rewriteDatagramInPlace(b, at, r.manipDst);
  if (forwarded) decrementTtl(b, at);
  if (r.manipSrc !== undefined) rewriteDatagramInPlace(b, at, r.manipSrc);
  if (headerOut !== undefined) b.set(headerOut, 0);
  return equalBytes(b, skb.data);
}

/** A recorded NAT rewrite done again to `skb`'s IPv4 packet at `at` (in place when the packet alone holds its bytes). */
function natReplay(skb: Skb, at: number, change: AddrChange | undefined): void {
  if (change !== undefined) rewriteDatagramInPlace(cow(skb), at, change);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The 14 bytes of `d` from `at` (an Ethernet header) are the header `h`. */
function sameHeader(h: Uint8Array, d: Uint8Array, at: number): boolean {
  for (let i = 0; i < 14; i++) if (h[i] !== d[at + i]) return false;
  return true;
}

function hash(ifindex: number, src: number, dst: number, ports: number, proto: number, mark: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ dst, 0xc2b2ae35);
  h = Math.imul(h ^ ports, 0x27d4eb2f);
  h = Math.imul(h ^ proto ^ (ifindex << 18), 0x165667b1);
  h = Math.imul(h ^ mark, 0x85ebca6b);
  return h ^ (h >>> 15);
}
