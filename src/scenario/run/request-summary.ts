import type { Cluster } from '../../cluster/build.js';
import type { DeliverEvent, DropEvent, DropReason, NatEvent, PolicyEvent, TraceEvent } from '../../trace/events.js';
import { copyOf } from '../../trace/event-store.js';
import type { TrafficSpec } from '../types.js';
import { refForNetns, type FlowResult } from './flows.js';

/** A socket (not ARP, not reassembly, not a tunnel daemon) took the packet. */
function finalDelivery(e: TraceEvent): e is DeliverEvent {
  return e.kind === 'deliver' && e.to !== 'arp' && e.to !== 'reassembly' && e.to !== 'tunnel';
}

/**
 * What became of one request packet, folded from the events as they stream
 * by. Its lineage (the request, and the bridge clones, fragments and tunnel
 * daemons' packets that carried it on) gives the path, the NAT (and the endpoints
 * it chose among), policies and rules taken and where it ended: delivered if any of them reached a socket,
 * else dropped with the reason the request itself ended with (or the last
 * drop of the lineage). The other packets it caused are its answers: the
 * first one a socket of the sender took ends the round trip. Only these
 * fields are kept, never the events (list fields grow with the lineage's
 * hops, not with the run).
 */
export class RequestSummary {
  private readonly path: string[] = [];
  private delivered: DeliverEvent | undefined;
  private ownDrop: DropEvent | undefined;
  private anyDrop: DropEvent | undefined;
  private sentAt = 0;
  private senderNs: string | undefined;
  private readonly nat: NatEvent[] = [];
  private readonly policies: PolicyEvent[] = [];
  private readonly rules: string[] = [];
  private candidates: string[] | undefined;
  private answer: DeliverEvent | undefined;

  /** `answers: false`: only the lineage matters (an ingress controller's upstream connection). */
  constructor(
    readonly pkt: number,
    private readonly answers = true,
  ) {}

  /** Still looking for the first answer: packets the request causes from now on still matter to it. */
  get wantsAnswers(): boolean {
    return this.answers && this.answer === undefined;
  }

  /** An event of a packet of the lineage (the hops first: most events are). */
  lineage(e: TraceEvent): void {
    switch (e.kind) {
      case 'tx':
      case 'rx':
      case 'fdb':
      case 'encap':
      case 'decap':
        if (this.path[this.path.length - 1] !== e.at) this.path.push(e.at);
        return;
      case 'netfilter':
      case 'nftables':
        for (const r of e.rules) this.rules.push(r);
        return;
      case 'create':
        if (e.pkt === this.pkt) {
          this.sentAt = e.t;
          this.senderNs = e.at;
        }
        return;
      case 'deliver':
        if (!this.delivered && finalDelivery(e)) this.delivered = e;
        return;
      case 'drop':
        if (e.pkt === this.pkt) this.ownDrop = e;
        this.anyDrop = e;
        return;
      case 'nat':
        if (e.type !== 'reverse') this.nat.push(e);
        if (e.type !== 'reverse' && e.candidates && !this.candidates) this.candidates = e.candidates;
        return;
      case 'ipvs':
        // A real server is described as `ip:port (weight w, n active, m inactive)`.
        if ((e.action === 'schedule' || e.action === 'persistent') && e.candidates && !this.candidates) this.candidates = e.candidates.map((c) => c.split(' ')[0]!);
        return;
      case 'policy':
        this.policies.push(e);
        return;
    }
  }

  /** A `tx`/`rx` of a packet of the lineage, told by where it happened: what `lineage` does with one. */
  hop(at: string): void {
    if (this.path[this.path.length - 1] !== at) this.path.push(at);
  }

  /**
   * Copies of `segment`'s events for packet `pkt` at time `t` (a replayed
   * walk's hop events) of a packet of the lineage: each read as `lineage`
   * reads it. An event whose time or packet it reads, or that it keeps, is
   * copied; for the rest (where, rules, candidates) the template says the same.
   */
  replayed(segment: readonly TraceEvent[], t: number, pkt: number): void {
    for (const x of segment) this.lineage(x.kind === 'policy' || x.kind === 'nat' || x.kind === 'create' || x.kind === 'deliver' || x.kind === 'drop' ? copyOf(x, t, pkt) : x);
  }

  /** An event of a packet the request caused outside its lineage (a reply, an ICMP error, ARP). */
  caused(e: TraceEvent): void {
    if (this.wantsAnswers && finalDelivery(e) && this.senderNs !== undefined && e.at.startsWith(`${this.senderNs}:`)) this.answer = e;
  }

  /** The flow's result as far as this request goes (`connection` added by the caller for TCP). */
  result(flow: string, traffic: TrafficSpec, cluster: Cluster, connection?: FlowResult['connection']): FlowResult {
    const { pkt, delivered, answer, nat, policies } = this;
    const path = exact(this.path);
    const rules = exact(this.rules);
    // Built field by field in the order the JSON has always printed them (no spreads: one object per flow).
    let r: FlowResult;
    if (delivered && !answer && !this.candidates && !connection) {
      // The common case as one literal: every field in the object itself, none added later (a second store).
      const to = deliveredTo(delivered.at, cluster);
      return delivered.src === undefined
        ? { flow, traffic, pkt, verdict: 'delivered', deliveredTo: to, path, nat, policies, rules }
        : { flow, traffic, pkt, verdict: 'delivered', deliveredTo: to, seenSource: delivered.src, path, nat, policies, rules };
    }
    if (delivered) {
      const to = deliveredTo(delivered.at, cluster);
      r = delivered.src === undefined ? { flow, traffic, pkt, verdict: 'delivered', deliveredTo: to, path } : { flow, traffic, pkt, verdict: 'delivered', deliveredTo: to, seenSource: delivered.src, path };
      if (answer) r.rttNs = answer.t - this.sentAt;
      if (answer?.src !== undefined && (answer.to === 'udp' || answer.to === 'tcp')) r.replySource = answer.sport === undefined ? answer.src : `${answer.src}:${answer.sport}`;
    } else {
      const drop = this.ownDrop ?? this.anyDrop;
      r = drop ? { flow, traffic, pkt, verdict: 'dropped', dropReason: drop.reason, dropDetail: drop.detail, path } : { flow, traffic, pkt, verdict: 'dropped', path };
    }
    r.nat = this.nat;
    if (this.candidates) r.candidates = this.candidates;
    r.policies = this.policies;
    r.rules = this.rules;
    if (connection) r.connection = connection;
    return r;
  }
}

/**
 * `list` as a result keeps it: a copy just long enough, when it has anything
 * (an array grown by pushes has room for 16 more, and a result is kept to the
 * end of the run).
 */
function exact<T>(list: T[]): T[] {
  return list.length === 0 ? list : list.slice();
}

/** A delivery place (`<netns>:<where>`): its namespace's ref, as of when the cluster had these many namespaces. */
interface Place {
  readonly netns: string;
  ref: string;
  nodes: number;
  hosts: number;
  pods: number;
}

/** Per cluster, each delivery place: its ref made once, not once per flow. */
const places = new WeakMap<Cluster, Map<string, Place>>();

/**
 * `deliveredTo` of a delivery at `at`: `refForNetns` of its namespace as the
 * cluster is now. Steps add pods (and the cluster never lets a namespace go:
 * a deleted pod's stays, traces name it), so a ref can only change when the
 * cluster has more namespaces than when it was made.
 */
function deliveredTo(at: string, cluster: Cluster): string {
  let known = places.get(cluster);
  if (!known) places.set(cluster, (known = new Map()));
  let place = known.get(at);
  if (!place) known.set(at, (place = { netns: at.slice(0, at.lastIndexOf(':')), ref: '', nodes: -1, hosts: -1, pods: -1 }));
  const { nodes, hosts, pods } = cluster;
  if (place.nodes !== nodes.size || place.hosts !== hosts.size || place.pods !== pods.size) {
    place.ref = refForNetns(place.netns, cluster);
    place.nodes = nodes.size;
    place.hosts = hosts.size;
    place.pods = pods.size;
  }
  return place.ref;
}

/** A flow whose request was never sent: the run stopped (event budget) before the traffic item's time came. */
export function unsentResult(flow: string, traffic: TrafficSpec, unsent: DropReason): FlowResult {
  return { flow, traffic, pkt: undefined, verdict: 'dropped', dropReason: unsent, dropDetail: 'never sent: the run stopped first', path: [] };
}
