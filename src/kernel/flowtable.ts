import type { TraceEvent } from '../trace/events.js';
import type { Ipv4Packet } from '../wire/ipv4.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../wire/ipv4.js';
import type { CtEntry, CtTuple } from './conntrack.js';
import type { NetDevice } from './device.js';
import { addCost } from './cost-model.js';
import type { Counters, FlowRecording, Hook } from './netfilter/types.js';
import type { RuleEngine } from './nf-hooks.js';
import type { NetNs } from './netns.js';
import { decrementTtlOf, type Skb } from './skb.js';

/**
 * A namespace's forwarding flow table, in the spirit of Linux's nf_flowtable
 * (and of the first step of Open vSwitch's megaflow replay): once a packet of
 * a connection has been routed through this namespace the long way — route
 * lookup, reverse-path check, TTL, the FORWARD and POSTROUTING hooks — the
 * next packet with the same key replays what that walk decided: the same TTL
 * decrement, the same rule and policy counters bumped by its own length, the
 * mark the walk left, and neighbour output to the same next hop out of the
 * same device. Unlike nf_flowtable it is invisible (see fast-path.ts): it
 * skips only decisions that are pure functions of the key and of state whose
 * generation it checks, and it replays every side effect of the walk.
 *
 * What is replayed starts after PREROUTING (which runs as always: conntrack
 * looks the packet up and refreshes its connection, DNAT applies) and ends
 * at neighbour output (which runs as always: the neighbour's state machine,
 * framing, the device). With tracing on, the walk's hop events (route,
 * rpfilter, forward, netfilter, policy) are recorded too and emitted again,
 * re-stamped with the time and the packet's id. A walk is recorded only when
 * it was plain: iptables only (no nftables, no
 * IPVS), a UDP or TCP packet of a confirmed connection, not a fragment,
 * unicast route without multipath, no learned path MTU, no fragmentation,
 * no NAT on these hooks (the bytes leave with only TTL and checksum changed),
 * and no rule walk that reached a volatile rule (`-m statistic`, `-m recent`,
 * `-m physdev`, unknown matches: walk-cache.ts). A replay checks that the
 * routes, link states, rule sets and ipsets are of the same generation, that
 * the connection is the same entry in the same state (direction, replied,
 * NAT binding), and that the packet still fits the device.
 */

interface FlowEntry {
  inDev: NetDevice;
  bridged: boolean;
  src: number;
  dst: number;
  protocol: number;
  ports: number;
  tcpFlags: number;
  /** The TTL the packet came with (the `forward` event shows the one it leaves with). */
  ttl: number;
  /** skb.mark as the walk found it (-1: unset). */
  markIn: number;
  ct: CtEntry;
  dir: 0 | 1;
  seenReply: boolean;
  reply: CtTuple;
  fibGeneration: number;
  linkGeneration: number;
  nfGeneration: number;
  setsGeneration: number;
  outDev: NetDevice;
  nextHop: number;
  arpSource: number;
  counters: Counters[];
  /** Rules evaluated by each table walk of FORWARD, then of POSTROUTING (the cost model charges them). */
  forwardRules: number[];
  postroutingRules: number[];
  markOut: number | undefined;
  /** Tracing on: the walk's hop events without their time and packet id, emitted again re-stamped. */
  events: readonly TraceEvent[] | undefined;
  next: FlowEntry | undefined;
}

/** Entries per namespace before the table starts over (bounded memory). */
const FLOWTABLE_MAX = 4096;

interface Pending {
  skb: Skb;
  key: number;
  entry: Omit<FlowEntry, 'outDev' | 'nextHop' | 'arpSource' | 'counters' | 'forwardRules' | 'postroutingRules' | 'markOut' | 'events' | 'next'>;
  /** The IPv4 bytes as the walk started: the walk may change only TTL and checksum. */
  before: Uint8Array;
  recording: FlowRecording;
  /** Tracing on: the hop events the walk emitted (route, rpfilter, forward, netfilter, policy). */
  events: TraceEvent[] | undefined;
}

export class FlowTable {
  private readonly flows = new Map<number, FlowEntry>();
  private size = 0;
  private pending: Pending | undefined;

  constructor(private readonly ns: NetNs) {}

  /**
   * After PREROUTING, before the route lookup: replay the packet's recorded
   * walk (true: it was sent on to neighbour output), or start recording
   * this walk (false: the caller walks as usual, then calls `end`).
   */
  replayOrRecord(dev: NetDevice, skb: Skb, ip: Ipv4Packet, bridged: boolean): boolean {
    const engine = this.eligible(skb, ip);
    if (!engine) return false;
    const detailed = this.ns.world.detailed;
    const d = skb.data;
    const ports = (d[20]! << 24) | (d[21]! << 16) | (d[22]! << 8) | d[23]!;
    const tcpFlags = ip.protocol === IPPROTO_TCP ? d[33]! : -1;
    const markIn = skb.mark ?? -1; // undefined and 0 both read as 0, but a replay must leave the one the walk left
    const ct = skb.nfct!;
    const key = hash(dev.ifindex, ip.src, ip.dst, ports, (ip.protocol << 9) ^ (tcpFlags & 0x1ff) ^ (bridged ? 0x10000 : 0), markIn);
    const fib = this.ns.fib.generation;
    const fast = this.ns.world.fast;
    for (let e = this.flows.get(key); e !== undefined; e = e.next) {
      if (e.inDev !== dev || e.src !== ip.src || e.dst !== ip.dst || e.ports !== ports || e.protocol !== ip.protocol || e.tcpFlags !== tcpFlags || e.ttl !== ip.ttl || e.markIn !== markIn || e.bridged !== bridged) continue;
      if ((e.events !== undefined) !== detailed) continue;
      if (e.ct !== ct.entry || e.dir !== ct.dir || e.seenReply !== ct.entry.seenReply || e.reply !== ct.entry.reply) continue;
      if (e.fibGeneration !== fib || e.linkGeneration !== fast.linkGeneration || e.nfGeneration !== engine.generation || e.setsGeneration !== engine.ipsets.generation) continue;
      if (d.length > e.outDev.mtu || this.ns.pmtu.get(ip.dst, this.ns.world.sched.now) !== undefined) continue;
      this.replay(e, skb);
      return true;
    }
    // Record this walk; `end` keeps it if it went all the way to neighbour output as a plain walk.
    const recording: FlowRecording = { counters: [], volatile: false, walks: [] };
    engine.flowRecording = recording;
    const events: TraceEvent[] | undefined = detailed ? [] : undefined;
    this.ns.world.eventRecording = events;
    this.pending = {
      skb,
      key,
      entry: { inDev: dev, bridged, src: ip.src, dst: ip.dst, protocol: ip.protocol, ports, tcpFlags, ttl: ip.ttl, markIn, ct: ct.entry, dir: ct.dir, seenReply: ct.entry.seenReply, reply: ct.entry.reply, fibGeneration: fib, linkGeneration: fast.linkGeneration, nfGeneration: engine.generation, setsGeneration: engine.ipsets.generation },
      before: d.slice(), // the walk may write the bytes in place (skb.ts cow)
      recording,
      events,
    };
    return false;
  }

  /**
   * The recorded walk reached neighbour output for `skb`: keep it if it was
   * plain (called from the stack's neighbour output, before anything else
   * happens to the packet).
   */
  reached(skb: Skb, outDev: NetDevice, nextHop: number, arpSource: number): void {
    const p = this.pending;
    if (p === undefined || p.skb !== skb) return;
    this.pending = undefined;
    const engine = this.ns.nf!.engine;
    engine.flowRecording = undefined;
    this.ns.world.eventRecording = undefined;
    if (p.recording.volatile || !sameButTtl(p.before, skb.data)) return;
    // Only this packet's hop events, none that describes its bytes (a frame is read when printed).
    if (p.events?.some((x) => x.pkt !== skb.id || 'frame' in x || !REPLAYABLE_EVENTS.has(x.kind))) return;
    // The state the walk read must not have changed during it (a rule set restored by a REJECT's answer, say).
    const e = p.entry;
    if (e.fibGeneration !== this.ns.fib.generation || e.nfGeneration !== engine.generation || e.setsGeneration !== engine.ipsets.generation || e.linkGeneration !== this.ns.world.fast.linkGeneration) return;
    if (skb.nfct?.entry !== e.ct || !e.ct.confirmed || e.ct.reply !== e.reply || e.ct.seenReply !== e.seenReply) return;
    if (this.size >= FLOWTABLE_MAX) {
      this.flows.clear();
      this.size = 0;
    }
    const walks = p.recording.walks;
    if (walks.some((x) => x.hook !== 'FORWARD' && x.hook !== 'POSTROUTING')) return;
    const rules = (hook: Hook): number[] => walks.filter((x) => x.hook === hook).map((x) => x.evaluated);
    this.flows.set(p.key, { ...e, outDev, nextHop, arpSource, counters: p.recording.counters, forwardRules: rules('FORWARD'), postroutingRules: rules('POSTROUTING'), markOut: skb.mark, events: p.events?.map((x) => ({ ...x })), next: this.flows.get(p.key) });
    this.size++;
  }

  /** The walk started by `replayOrRecord` is over (sent, dropped, delivered, or handed elsewhere). */
  end(): void {
    if (this.pending === undefined) return;
    this.pending = undefined;
    this.ns.world.eventRecording = undefined;
    const engine = this.ns.nf?.engine;
    if (engine) engine.flowRecording = undefined;
  }

  /** The engine to record through, when this packet's walk may be recorded or replayed at all. */
  private eligible(skb: Skb, ip: Ipv4Packet): RuleEngine | undefined {
    const ns = this.ns;
    const w = ns.world;
    if (!w.fast.enabled || ns.ipvs || !ns.sysctl.ipForward) return undefined;
    const nf = ns.nf;
    if (!nf || nf.nft) return undefined;
    if (ip.protocol !== IPPROTO_UDP && ip.protocol !== IPPROTO_TCP) return undefined;
    const d = skb.data;
    // A plain IPv4 header (no options), whole datagram, the length the header says.
    if (d.length < 40 || d[0] !== 0x45 || ip.mf || ip.fragmentOffset !== 0 || ip.ttl <= 1 || d.length !== ((d[2]! << 8) | d[3]!)) return undefined;
    const ct = skb.nfct;
    if (!ct || ct.table !== nf.conntrack || ct.related || !ct.entry.confirmed || ct.entry.ipvs) return undefined;
    if (skb.fragMaxSize !== undefined || skb.bridgedDnat !== undefined) return undefined;
    return nf.engine;
  }

  /** What the recorded walk did, for this packet: TTL, counters, mark, then neighbour output. */
  private replay(e: FlowEntry, skb: Skb): void {
    const w = this.ns.world;
    w.fast.hits++;
    w.fast.replays++;
    const events = e.events;
    if (events) {
      // The walk's hop events in their order, each a new object with this packet's id and the time now.
      for (let i = 0; i < events.length; i++) w.emitCopy(events[i]!, skb.id);
    }
    decrementTtlOf(skb); // as forwarding does: in place when the packet alone holds its bytes
    const data = skb.data;
    const counters = e.counters;
    const len = data.length;
    for (let i = 0; i < counters.length; i++) {
      counters[i]!.pkts++;
      counters[i]!.bytes += len;
    }
    skb.mark = e.markOut;
    const costs = w.costs;
    if (costs) {
      // What nf-hooks.ts charges, in its order and with its arithmetic: a hook, then each table walked on it.
      addCost(skb, costs.netfilterHook, len);
      for (const n of e.forwardRules) skb.cost = (skb.cost ?? 0) + costs.netfilterRuleNs * n;
      addCost(skb, costs.netfilterHook, len);
      for (const n of e.postroutingRules) skb.cost = (skb.cost ?? 0) + costs.netfilterRuleNs * n;
    }
    if (e.outDev.needsArp) this.ns.neigh.output(e.outDev, e.nextHop, skb, e.arpSource);
    else e.outDev.xmit(skb);
  }
}

/** Hop events a routed walk emits that depend only on the flow key and on generation-counted state. */
const REPLAYABLE_EVENTS: ReadonlySet<TraceEvent['kind']> = new Set(['route', 'rpfilter', 'forward', 'netfilter', 'policy']);

/** Only the TTL (byte 8) and the header checksum (10, 11) differ. */
function sameButTtl(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && i !== 8 && i !== 10 && i !== 11) return false;
  return a[8] === b[8]! + 1;
}

function hash(ifindex: number, src: number, dst: number, ports: number, proto: number, mark: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ dst, 0xc2b2ae35);
  h = Math.imul(h ^ ports, 0x27d4eb2f);
  h = Math.imul(h ^ proto ^ (ifindex << 18), 0x165667b1);
  h = Math.imul(h ^ mark, 0x85ebca6b);
  return h ^ (h >>> 15);
}
