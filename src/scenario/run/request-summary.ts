import type { Cluster } from '../../cluster/build.js';
import type { DeliverEvent, DropEvent, DropReason, NatEvent, PolicyEvent, TraceEvent } from '../../trace/events.js';
import { copyOf, deliverEvent } from '../../trace/event-store.js';
import type { TrafficSpec } from '../types.js';
import { refForNetns, type FlowResult } from './flows.js';

/** A socket (not ARP, not reassembly, not a tunnel daemon) took the packet. */
function finalDelivery(e: TraceEvent): e is DeliverEvent {
  return e.kind === 'deliver' && toSocket(e.to);
}

/** A `deliver` to `to` is to a socket. */
function toSocket(to: DeliverEvent['to']): boolean {
  return to !== 'arp' && to !== 'reassembly' && to !== 'tunnel';
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
 * hops, not with the run). A tracked flow is its request's summary
 * (flow-summarizer.ts: no second object per flow); an HTTP flow's upstream
 * legs have one each.
 */
export class RequestSummary {
  // Every field is set in the constructor, none declared with an initialiser: V8 (Node 20) builds an instance of a
  // class whose base has field initialisers two to three times slower (measured: a tracked flow is one per datagram).
  // The path and the rules follow the last result's (`Precedents`) while they agree with it: `pathSame` entries
  // so far; a list of its own is made only where they differ (a train's results share one list each).
  private declare path: string[] | undefined;
  private declare pathLike: readonly string[];
  private declare pathSame: number;
  private declare rulesLike: readonly string[];
  private declare rulesSame: number;
  private declare readonly precedents: Precedents | undefined;
  /** Where a socket first took a packet of the lineage, and the source it saw (undefined: none yet). */
  private declare deliveredAt: string | undefined;
  private declare deliveredSrc: string | undefined;
  private declare ownDrop: DropEvent | undefined;
  private declare anyDrop: DropEvent | undefined;
  private declare sentAt: number;
  private declare senderNs: string | undefined;
  private declare nat: NatEvent[] | undefined;
  private declare policies: PolicyEvent[] | undefined;
  private declare rules: string[] | undefined;
  private declare candidates: string[] | undefined;
  private declare answer: DeliverEvent | undefined;
  /** The request packet (-1: not sent yet, set once it is). */
  declare pkt: number;
  /** `false`: only the lineage matters (an ingress controller's upstream connection). */
  private declare readonly answers: boolean;

  /**
   * `pkt`: the request packet (-1: not sent yet). `answers: false`: only the lineage matters (an ingress
   * controller's upstream connection). `precedents`: the lists of the results before it, which its own follow.
   */
  constructor(pkt: number, answers = true, precedents?: Precedents) {
    this.path = undefined;
    this.pathLike = precedents?.path ?? NONE;
    this.pathSame = 0;
    this.rulesLike = precedents?.rules ?? NONE;
    this.rulesSame = 0;
    this.precedents = precedents;
    this.deliveredAt = undefined;
    this.deliveredSrc = undefined;
    this.ownDrop = undefined;
    this.anyDrop = undefined;
    this.sentAt = 0;
    this.senderNs = undefined;
    this.nat = undefined;
    this.policies = undefined;
    this.rules = undefined;
    this.candidates = undefined;
    this.answer = undefined;
    this.pkt = pkt;
    this.answers = answers;
  }

  /**
   * A summary of a new request again, as the constructor makes one with the same `answers` and `precedents` (a
   * record reused once its result is taken: see ScenarioRun). Every field the constructor sets, but those two,
   * written out again on purpose: a method shared with the constructor measured 4-6 % fewer packets per CPU second
   * across nodes (this class and its subclasses' constructors).
   */
  protected restartSummary(): void {
    const precedents = this.precedents;
    this.path = undefined;
    this.pathLike = precedents?.path ?? NONE;
    this.pathSame = 0;
    this.rulesLike = precedents?.rules ?? NONE;
    this.rulesSame = 0;
    this.deliveredAt = undefined;
    this.deliveredSrc = undefined;
    this.ownDrop = undefined;
    this.anyDrop = undefined;
    this.sentAt = 0;
    this.senderNs = undefined;
    this.nat = undefined;
    this.policies = undefined;
    this.rules = undefined;
    this.candidates = undefined;
    this.answer = undefined;
    this.pkt = -1;
  }

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
        this.hop(e.at);
        return;
      case 'netfilter':
      case 'nftables':
        for (const r of e.rules) this.rule(r);
        return;
      case 'create':
        return this.created(e.pkt, e.t, e.at);
      case 'deliver':
        return this.delivery(e.at, e.to, e.src);
      case 'drop':
        if (e.pkt === this.pkt) this.ownDrop = e;
        this.anyDrop = e;
        return;
      case 'nat':
        if (e.type !== 'reverse') (this.nat ??= []).push(e);
        if (e.type !== 'reverse' && e.candidates && !this.candidates) this.candidates = e.candidates;
        return;
      case 'ipvs':
        // A real server is described as `ip:port (weight w, n active, m inactive)`.
        if ((e.action === 'schedule' || e.action === 'persistent') && e.candidates && !this.candidates) this.candidates = e.candidates.map((c) => c.split(' ')[0]!);
        return;
      case 'policy':
        (this.policies ??= []).push(e);
        return;
    }
  }

  /** A `create` of a packet of the lineage, told by its parts: what `lineage` does with one. */
  created(pkt: number, t: number, at: string): void {
    if (pkt !== this.pkt) return;
    this.sentAt = t;
    this.senderNs = at;
  }

  /** A `deliver` of a packet of the lineage, told by its parts: what `lineage` does with one. */
  delivery(at: string, to: DeliverEvent['to'], src: string | undefined): void {
    if (this.deliveredAt !== undefined || !toSocket(to)) return;
    this.deliveredAt = at;
    this.deliveredSrc = src;
  }

  /** A `tx`/`rx` of a packet of the lineage, told by where it happened: what `lineage` does with one. */
  hop(at: string): void {
    const path = this.path;
    if (path !== undefined) {
      if (path[path.length - 1] !== at) path.push(at);
      return;
    }
    // Still the precedent's path: a repeat of its last place matched, its next place matched, or a path of its own.
    const like = this.pathLike;
    const n = this.pathSame;
    if (n > 0 && like[n - 1] === at) return;
    if (n < like.length && like[n] === at) this.pathSame = n + 1;
    else (this.path = like.slice(0, n)).push(at);
  }

  /** A rule a packet of the lineage took (the precedent's next one, or a list of its own from there). */
  private rule(r: string): void {
    const rules = this.rules;
    if (rules !== undefined) rules.push(r);
    else if (this.rulesSame < this.rulesLike.length && this.rulesLike[this.rulesSame] === r) this.rulesSame++;
    else (this.rules = this.rulesLike.slice(0, this.rulesSame)).push(r);
  }

  /**
   * Copies of `segment`'s events for packet `pkt` at time `t` (a replayed
   * walk's hop events) of a packet of the lineage: each read as `lineage`
   * reads it. An event whose time or packet it reads, or that it keeps, is
   * copied; for the rest (where, rules, candidates) the template says the same.
   */
  replayed(segment: readonly TraceEvent[], t: number, pkt: number): void {
    for (const x of segment) {
      if (x.kind === 'create') this.created(pkt, t, x.at);
      else if (x.kind === 'deliver') this.delivery(x.at, x.to, x.src);
      else this.lineage(x.kind === 'policy' || x.kind === 'nat' || x.kind === 'drop' ? copyOf(x, t, pkt) : x);
    }
  }

  /** An event of a packet the request caused outside its lineage (a reply, an ICMP error, ARP). */
  caused(e: TraceEvent): void {
    if (this.wantsAnswers && finalDelivery(e) && this.inSender(e.at)) this.answer = e;
  }

  /** A `deliver` of a packet the request caused outside its lineage, told by its parts: what `caused` does with one. */
  causedDelivery(t: number, pkt: number, at: string, to: DeliverEvent['to'], socket: string | undefined, src: string | undefined, sport: number | undefined): void {
    if (this.wantsAnswers && toSocket(to) && this.inSender(at)) this.answer = deliverEvent(t, pkt, at, to, socket, src, sport);
  }

  /** A delivery at `at` is in the sender's namespace. */
  private inSender(at: string): boolean {
    return this.senderNs !== undefined && at.startsWith(`${this.senderNs}:`);
  }

  /** The flow's result as far as this request goes (`connection` added by the caller for TCP). */
  result(flow: string, traffic: TrafficSpec, places: DeliveryPlaces, connection?: FlowResult['connection']): FlowResult {
    const { pkt, deliveredAt, answer } = this;
    const path = settled(this.path, this.pathLike, this.pathSame);
    const nat = this.nat ?? (NONE as NatEvent[]);
    const policies = this.policies ?? (NONE as PolicyEvent[]);
    const rules = settled(this.rules, this.rulesLike, this.rulesSame);
    const precedents = this.precedents;
    if (precedents !== undefined) {
      precedents.path = path;
      precedents.rules = rules;
    }
    // Built field by field in the order the JSON has always printed them (no spreads: one object per flow).
    let r: FlowResult;
    const seenSource = this.deliveredSrc;
    if (deliveredAt !== undefined && !answer && !this.candidates && !connection) {
      // The common case as one literal: every field in the object itself, none added later (a second store).
      const to = places.refOf(deliveredAt);
      return seenSource === undefined
        ? { flow, traffic, pkt, verdict: 'delivered', deliveredTo: to, path, nat, policies, rules }
        : { flow, traffic, pkt, verdict: 'delivered', deliveredTo: to, seenSource, path, nat, policies, rules };
    }
    if (deliveredAt !== undefined) {
      const to = places.refOf(deliveredAt);
      r = seenSource === undefined ? { flow, traffic, pkt, verdict: 'delivered', deliveredTo: to, path } : { flow, traffic, pkt, verdict: 'delivered', deliveredTo: to, seenSource, path };
      if (answer) r.rttNs = answer.t - this.sentAt;
      if (answer?.src !== undefined && (answer.to === 'udp' || answer.to === 'tcp')) r.replySource = answer.sport === undefined ? answer.src : `${answer.src}:${answer.sport}`;
    } else {
      const drop = this.ownDrop ?? this.anyDrop;
      r = drop ? { flow, traffic, pkt, verdict: 'dropped', dropReason: drop.reason, dropDetail: drop.detail, path } : { flow, traffic, pkt, verdict: 'dropped', path };
    }
    r.nat = nat;
    if (this.candidates) r.candidates = this.candidates;
    r.policies = policies;
    r.rules = rules;
    if (connection) r.connection = connection;
    return r;
  }
}

/**
 * A list as a result keeps it, frozen (results share lists): the
 * precedent's when it is all of it, one just long enough otherwise (an
 * array grown by pushes has room for 16 more, and a result is kept to the
 * end of the run), the shared empty list when there is nothing.
 */
function settled(own: string[] | undefined, like: readonly string[], same: number): string[] {
  if (own !== undefined) return Object.freeze(own.slice()) as string[];
  if (same === like.length) return like as string[];
  return same === 0 ? (NONE as string[]) : (Object.freeze(like.slice(0, same)) as string[]);
}

/**
 * The path and rules of the last result, which a new request's own follow
 * while they agree: in a train of datagrams every result's are the same,
 * so one list each is kept for all of them, and nothing is pushed per hop.
 */
export class Precedents {
  path: readonly string[] = NONE;
  rules: readonly string[] = NONE;
}

/**
 * A result's empty list (path, nat, policies, rules): one frozen array for
 * every result, not four new ones each (with tracing off a train of
 * datagrams has nothing else in them, and every result is kept to the end
 * of the run: half of what each young-generation GC copied was these).
 */
const NONE: never[] = Object.freeze([]) as never[];

/** A delivery place (`<netns>:<where>`): its namespace's ref, as of when the cluster had these many namespaces. */
interface Place {
  readonly at: string;
  readonly netns: string;
  ref: string;
  nodes: number;
  hosts: number;
  pods: number;
}

/**
 * A cluster's delivery places (`deliveredTo` of a delivery at `at`), each
 * ref made once, not once per flow, and the last one asked for at hand (a
 * train of datagrams is delivered to one place). A ref is `refForNetns` of
 * the place's namespace as the cluster is now: steps add pods (and the
 * cluster never lets a namespace go: a deleted pod's stays, traces name it),
 * so a ref can only change when the cluster has more namespaces than when it
 * was made.
 */
export class DeliveryPlaces {
  private readonly known = new Map<string, Place>();
  private last: Place | undefined;

  constructor(readonly cluster: Cluster) {}

  /** `deliveredTo` of a delivery at `at`. */
  refOf(at: string): string {
    let place = this.last;
    if (place === undefined || place.at !== at) {
      place = this.known.get(at);
      if (!place) this.known.set(at, (place = { at, netns: at.slice(0, at.lastIndexOf(':')), ref: '', nodes: -1, hosts: -1, pods: -1 }));
      this.last = place;
    }
    const { nodes, hosts, pods } = this.cluster;
    if (place.nodes !== nodes.size || place.hosts !== hosts.size || place.pods !== pods.size) {
      place.ref = refForNetns(place.netns, this.cluster);
      place.nodes = nodes.size;
      place.hosts = hosts.size;
      place.pods = pods.size;
    }
    return place.ref;
  }
}

/** A flow whose request was never sent: the run stopped (event budget) before the traffic item's time came. */
export function unsentResult(flow: string, traffic: TrafficSpec, unsent: DropReason): FlowResult {
  return { flow, traffic, pkt: undefined, verdict: 'dropped', dropReason: unsent, dropDetail: 'never sent: the run stopped first', path: [] };
}
