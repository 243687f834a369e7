import type { Cluster } from '../../cluster/build.js';
import type { CreateEvent, DeliverEvent, DropReason, TraceEvent } from '../../trace/events.js';
import { bytesIn, CreateFrameEvent } from '../../trace/framed.js';
import type { FlowSink } from './flow-stream.js';
import { copyOf } from '../../trace/event-store.js';
import type { TrafficSpec } from '../types.js';
import { ConnectionTally } from './connection-tally.js';
import type { FlowResult } from './flows.js';
import { HttpSummary } from './http-summary.js';
import { DeliveryPlaces, Precedents, RequestSummary, unsentResult } from './request-summary.js';
import { PacketMap } from './packet-map.js';

/** A packet's place in the flows that care about it: in a request's lineage, or among what it caused. */
interface Owner {
  readonly summary: RequestSummary;
  readonly ofLineage: boolean;
  readonly tracked: TrackedFlow;
  /** The same summary's owner of what this lineage caused (made once, shared by every such packet). */
  ofCaused?: Owner;
}

/**
 * A flow being followed: its request's summary (it is that summary, once
 * the request is sent: `sent`) and, for TCP and HTTP, what its sockets saw. A
 * class the caller may extend with its own per-flow fields (one object per
 * flow, not several).
 */
export class TrackedFlow extends RequestSummary implements Owner {
  // Set in the constructor, not by field initialisers (see RequestSummary: this class is a base too).
  declare ofCaused: Owner | undefined;
  declare connection: ConnectionTally | undefined;
  declare http: HttpSummary | undefined;
  /** Packets whose state here names this flow (forgotten with it): the first (-1: none yet), then the others. */
  declare named: number;
  declare namedMore: number[] | undefined;
  declare flow: string;
  declare traffic: TrafficSpec;

  /** `precedents`: its summariser's (`FlowSummarizer.precedents`), whose lists its own follow. */
  constructor(flow: string, traffic: TrafficSpec, precedents?: Precedents) {
    super(-1, true, precedents);
    this.ofCaused = undefined;
    this.connection = traffic.protocol === 'TCP' ? new ConnectionTally() : undefined;
    this.http = traffic.http ? new HttpSummary(flow) : undefined;
    this.named = -1;
    this.namedMore = undefined;
    this.flow = flow;
    this.traffic = traffic;
  }

  /** Following a new flow again, as the constructor does with the same `precedents` (a record reused: see ScenarioRun). */
  protected restartFlow(flow: string, traffic: TrafficSpec): void {
    this.restartSummary();
    this.ofCaused = undefined;
    this.connection = traffic.protocol === 'TCP' ? new ConnectionTally() : undefined;
    this.http = traffic.http ? new HttpSummary(flow) : undefined;
    this.named = -1;
    this.namedMore = undefined;
    this.flow = flow;
    this.traffic = traffic;
  }

  /** Its request was sent (`pkt` is the request packet). */
  get sent(): boolean {
    return this.pkt >= 0;
  }

  /** A flow is the owner of its request's lineage (no record of its own for that): `summary` is the flow itself. */
  get ofLineage(): true {
    return true;
  }

  get summary(): RequestSummary {
    return this;
  }

  get tracked(): TrackedFlow {
    return this;
  }
}

/** A packet's owners: one (most packets), or several. */
type Owners = Owner | Owner[];

/**
 * Summarises every flow of a run as the trace streams by, so no one has to
 * keep the trace. Per packet it remembers only which requests it matters to
 * (a packet inherits that from the packet that caused it, at its `create`);
 * once a request's first answer is in, what it causes outside its lineage is
 * not followed any further. Per flow it keeps a summary (RequestSummary,
 * ConnectionTally, HttpSummary), never events. The results are exactly those
 * read from the whole trace (test/scenario/flow-oracle.ts; test/scenarios).
 */
export class FlowSummarizer implements FlowSink {
  private readonly owners = new PacketMap<Owners>();
  /** The last packet whose owners `event` looked up, and them (a packet's hops come one after another). */
  private ownersPkt = -1;
  private ownersOfPkt: Owners | undefined;
  /** TCP and HTTP flows by name (their `tcp` events and `create`s name their flow): what reads those. */
  private readonly byName = new Map<string, TrackedFlow[]>();
  /** HTTP flows by the packet their controller decided on (its upstream SYNs' cause). */
  private readonly byDecision = new Map<number, TrackedFlow[]>();
  /** Flows whose request was sent, waiting for its `create` to be read (the events of a send follow at once: one, at most a few). */
  private readonly awaiting: TrackedFlow[] = [];
  /** Packets created for HTTP flows (their `create` names the flow), for the summaries that read their events. */
  private readonly httpPackets = new Map<number, TrackedFlow[]>();
  /** The `create` being read (reused). */
  private readonly creating = new Creating();
  /** The flow whose request the stream names next (`sending`). */
  private next: TrackedFlow | undefined;
  /** Where flows were delivered, for their results (made for the cluster of the first result). */
  private places: DeliveryPlaces | undefined;
  /** The lists of the last result, which the flows it tracks follow (given to each when it is made). */
  readonly precedents = new Precedents();

  /** Start following a flow (before it is sent). */
  track(f: TrackedFlow): void {
    if (f.connection || f.http) {
      let list = this.byName.get(f.flow);
      if (!list) this.byName.set(f.flow, (list = []));
      list.push(f);
    }
  }

  /** `f`'s request is being sent: the next request the stream names (`request`) is its. */
  sending(f: TrackedFlow): void {
    this.next = f;
  }

  /** A flow's request was sent as packet `pkt` (FlowStream tells it before the packet's events). */
  request(flow: string, pkt: number): void {
    const f = this.next;
    if (f === undefined || f.flow !== flow) return;
    this.next = undefined;
    f.pkt = pkt;
    this.awaiting.push(f);
  }

  /**
   * A flow is over (its result taken): forget what is kept for it. Packets it
   * shares with flows not over stay for those.
   */
  forget(f: TrackedFlow): void {
    if (f.named >= 0) this.forgetPacket(f, f.named);
    if (f.namedMore) for (const p of f.namedMore) this.forgetPacket(f, p);
    f.named = -1;
    f.namedMore = undefined;
    this.ownersPkt = -1;
    this.ownersOfPkt = undefined;
    const named = f.connection || f.http ? this.byName.get(f.flow) : undefined;
    if (named) without(this.byName, f.flow, named, named.filter((x) => x !== f));
    if (this.next === f) this.next = undefined;
    if (this.awaiting.length > 0) removeAt(this.awaiting, this.awaiting.indexOf(f));
  }

  /** `p` no longer matters to `f` (over). */
  private forgetPacket(f: TrackedFlow, p: number): void {
    const owners = this.owners.get(p);
    if (owners !== undefined) {
      if (!Array.isArray(owners)) {
        if (owners.tracked === f) this.owners.delete(p);
      } else without(this.owners, p, owners, owners.filter((o) => o.tracked !== f));
    }
    if (f.http) {
      const http = this.httpPackets.get(p);
      if (http) without(this.httpPackets, p, http, http.filter((x) => x !== f));
      const deciding = this.byDecision.get(p);
      if (deciding) without(this.byDecision, p, deciding, deciding.filter((x) => x !== f));
    }
  }

  /** A `tx`/`rx` by its parts: only a lineage's path reads one (never a delivery, never HTTP's). */
  frame(_kind: 'tx' | 'rx', _t: number, pkt: number, at: string): void {
    const owners = this.ownersOf(pkt);
    if (owners === undefined) return;
    if (!Array.isArray(owners)) {
      if (owners.ofLineage) owners.summary.hop(at);
    } else for (const o of owners) if (o.ofLineage) o.summary.hop(at);
  }

  /** A bridge's `fdb` by its parts: read as a `tx`/`rx` is (a place on the lineage's path). */
  fdb(_t: number, pkt: number, at: string): void {
    this.frame('tx', 0, pkt, at);
  }

  /** A replayed walk's hop events (copies of `segment`'s for `pkt` at `t`): what `event` does with each, at once. */
  copies(segment: readonly TraceEvent[], t: number, pkt: number): void {
    const owners = this.ownersOf(pkt);
    if (owners !== undefined) {
      if (!Array.isArray(owners)) this.replayedTo(owners, segment, t, pkt);
      else for (const o of owners) this.replayedTo(o, segment, t, pkt);
    }
    if (this.httpPackets.size > 0) for (const x of segment) this.httpEvent(copyOf(x, t, pkt));
  }

  /** What `event` does with each of a replayed segment's events, for one owner. */
  private replayedTo(o: Owner, segment: readonly TraceEvent[], t: number, pkt: number): void {
    if (o.ofLineage) o.summary.replayed(segment, t, pkt);
    else for (const x of segment) if (x.kind === 'deliver') o.summary.caused(copyOf(x, t, pkt));
  }

  /** `pkt`'s owners (the last packet looked up kept at hand: a packet's hops come one after another). */
  private ownersOf(pkt: number): Owners | undefined {
    if (pkt !== this.ownersPkt) {
      this.ownersPkt = pkt;
      this.ownersOfPkt = this.owners.get(pkt);
    }
    return this.ownersOfPkt;
  }

  /** A `create` by its parts (TraceSink.create): what `event` does with one, an object made only for HTTP's. */
  create(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], mem: Uint8Array, off: number, len: number, l3only: boolean): void {
    // A packet nothing caused, while no flow reads packets by name: it matters only to a request it is (what
    // `adopt` finds then, without the create's record).
    if (cause === undefined && this.byName.size === 0) return this.createdUncaused(t, pkt, at);
    this.creating.told(t, pkt, at, flow, cause, by, mem, off, len, l3only);
    this.adopt(this.creating);
    this.creating.of(undefined);
    const owners = this.ownersOf(pkt);
    if (owners === undefined) return;
    // A create is never an answer (`caused` reads deliveries only).
    if (!Array.isArray(owners)) {
      if (owners.ofLineage) owners.summary.created(pkt, t, at);
    } else for (const o of owners) if (o.ofLineage) o.summary.created(pkt, t, at);
  }

  /** What `create` does with a packet nothing caused when no flow reads packets by name: a request's own, or nobody's. */
  private createdUncaused(t: number, pkt: number, at: string): void {
    const awaiting = this.awaiting;
    for (let i = 0; i < awaiting.length; i++) {
      const f = awaiting[i]!;
      if (f.pkt !== pkt) continue;
      removeAt(awaiting, i);
      this.owners.set(pkt, f);
      if (pkt === this.ownersPkt) this.ownersOfPkt = f;
      remember(f, pkt);
      return f.created(pkt, t, at);
    }
  }

  /** A `deliver` by its parts (TraceSink.deliver): what `event` does with one. */
  deliver(t: number, pkt: number, at: string, to: DeliverEvent['to'], socket: string | undefined, src: string | undefined, sport: number | undefined): void {
    const owners = this.ownersOf(pkt);
    if (owners === undefined) return;
    if (!Array.isArray(owners)) {
      if (owners.ofLineage) owners.summary.delivery(at, to, src);
      else owners.summary.causedDelivery(t, pkt, at, to, socket, src, sport);
    } else {
      for (const o of owners) {
        if (o.ofLineage) o.summary.delivery(at, to, src);
        else o.summary.causedDelivery(t, pkt, at, to, socket, src, sport);
      }
    }
  }

  event(e: TraceEvent): void {
    if (e.kind === 'create') this.adopt(this.creating.of(e));
    else if (e.kind === 'tcp' && e.flow !== undefined) {
      const named = this.byName.get(e.flow);
      if (named) for (const f of named) f.connection?.add(e);
    }
    const owners = this.ownersOf(e.pkt);
    if (owners !== undefined) {
      if (!Array.isArray(owners)) {
        if (owners.ofLineage) owners.summary.lineage(e);
        else owners.summary.caused(e);
      } else {
        for (const o of owners) {
          if (o.ofLineage) o.summary.lineage(e);
          else o.summary.caused(e);
        }
      }
    }
    if (this.httpPackets.size > 0) this.httpEvent(e);
    if (e.kind === 'create') this.creating.of(undefined);
  }

  /** Packets followed (the state kept per packet; a test checks it does not grow with the trace). */
  get packetsFollowed(): number {
    return this.owners.size + this.httpPackets.size;
  }

  /** A flow's result once the run is over (`unsent`: why a request that never left was dropped). */
  result(f: TrackedFlow, cluster: Cluster, unsent: DropReason): FlowResult {
    if (!f.sent) return unsentResult(f.flow, f.traffic, unsent);
    let places = this.places;
    if (places === undefined || places.cluster !== cluster) this.places = places = new DeliveryPlaces(cluster);
    const first = f.result(f.flow, f.traffic, places, f.connection?.result());
    return f.http ? f.http.result(first, places) : first;
  }

  /** A new packet: which requests it matters to, from its cause (and whether it is a request itself). */
  private adopt(e: Creating): void {
    // Arrays made only when there are several owners: most packets matter to one flow or none.
    let owners: Owners | undefined;
    if (e.cause !== undefined) {
      const causeOwners = this.owners.get(e.cause);
      if (causeOwners !== undefined) {
        if (!Array.isArray(causeOwners)) owners = inherited(owners, causeOwners, e);
        else for (const o of causeOwners) owners = inherited(owners, o, e);
      }
      // An ingress controller's connect() to an upstream: a SYN caused by the request segment it decided on.
      const deciding = e.by === 'app' ? this.byDecision.get(e.cause) : undefined;
      if (deciding) for (const f of deciding) if (e.event().frame.info.startsWith('TCP [S]')) owners = withOwner(owners, { summary: f.http!.leg(e.pkt), ofLineage: true, tracked: f });
    }
    for (let i = 0; i < this.awaiting.length; i++) {
      const f = this.awaiting[i]!;
      if (f.pkt !== e.pkt) continue;
      removeAt(this.awaiting, i);
      owners = withOwner(owners, f);
      break;
    }
    if (owners !== undefined) {
      this.owners.set(e.pkt, owners);
      if (e.pkt === this.ownersPkt) this.ownersOfPkt = owners;
      if (!Array.isArray(owners)) remember(owners.tracked, e.pkt);
      else for (const o of owners) remember(o.tracked, e.pkt);
    }
    if (e.flow === undefined) return;
    const flows = this.byName.size > 0 ? this.byName.get(e.flow) : undefined;
    if (!flows) return;
    let http: TrackedFlow[] | undefined;
    for (const f of flows) if (f.http) (http ??= []).push(f);
    if (!http) return;
    this.httpPackets.set(e.pkt, http);
    for (const f of http) {
      f.http!.adopt(e.event());
      remember(f, e.pkt);
    }
  }

  /** HTTP flows read the `http`, `ingress` and `tcp` events of their own packets. */
  private httpEvent(e: TraceEvent): void {
    if (e.kind !== 'http' && e.kind !== 'ingress' && e.kind !== 'tcp') return;
    for (const f of this.httpPackets.get(e.pkt) ?? []) {
      const h = f.http!;
      const decided = h.decisionPkt !== undefined;
      h.event(e);
      if (decided || h.decisionPkt === undefined) continue;
      let list = this.byDecision.get(h.decisionPkt);
      if (!list) this.byDecision.set(h.decisionPkt, (list = []));
      list.push(f);
      remember(f, h.decisionPkt, true);
    }
  }
}

/** What `o` (an owner of the packet that caused `e`'s) makes of `e`'s packet, added to `owners`. */
function inherited(owners: Owners | undefined, o: Owner, e: Creating): Owners | undefined {
  const ofLineage = o.ofLineage && (e.by === 'bridge' || e.by === 'app');
  if (!ofLineage && !o.summary.wantsAnswers) return owners;
  return withOwner(owners, ofLineage === o.ofLineage ? o : (o.ofCaused ??= { summary: o.summary, ofLineage, tracked: o.tracked }));
}

/** `owners` and `o`. */
function withOwner(owners: Owners | undefined, o: Owner): Owners {
  if (owners === undefined) return o;
  if (!Array.isArray(owners)) return [owners, o];
  owners.push(o);
  return owners;
}

/** `pkt`'s state names `f` (`again`: even if it was the last one remembered). */
function remember(f: TrackedFlow, pkt: number, again = false): void {
  if (f.named < 0) f.named = pkt;
  else if (f.namedMore === undefined) {
    if (again || f.named !== pkt) f.namedMore = [pkt];
  } else if (again || f.namedMore[f.namedMore.length - 1] !== pkt) f.namedMore.push(pkt);
}

/**
 * The `create` being read, by its parts: the event object is made only if
 * something reads it (an HTTP flow's summary). One per summariser, reused.
 */
class Creating {
  t = 0;
  pkt = 0;
  at = '';
  flow: string | undefined = undefined;
  cause: number | undefined = undefined;
  by: CreateEvent['by'] = 'app';
  /** Where its bytes lie (the whole memory, byteOffset 0; as TraceSink.create tells them). */
  private mem: Uint8Array | undefined = undefined;
  private off = 0;
  private len = 0;
  private l3only = false;
  private made: CreateEvent | undefined = undefined;

  /** A create told by its parts. */
  told(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], mem: Uint8Array | undefined, off: number, len: number, l3only: boolean): void {
    this.t = t;
    this.pkt = pkt;
    this.at = at;
    this.flow = flow;
    this.cause = cause;
    this.by = by;
    this.mem = mem;
    this.off = off;
    this.len = len;
    this.l3only = l3only;
    this.made = undefined;
  }

  /** A create given as an object (undefined: let go of the last one). */
  of(e: CreateEvent | undefined): this {
    if (e === undefined) this.told(0, 0, '', undefined, undefined, 'app', undefined, 0, 0, false);
    else {
      this.told(e.t, e.pkt, e.at, e.flow, e.cause, e.by, undefined, 0, 0, false);
      this.made = e;
    }
    return this;
  }

  /** The event itself. */
  event(): CreateEvent {
    return (this.made ??= new CreateFrameEvent(this.t, this.pkt, this.at, this.flow, this.cause, this.by, bytesIn(this.mem!, this.off, this.len), this.l3only));
  }
}

/** Removes `list[i]` (if `i` is an index), keeping the order: no array made (as `splice` makes one for what it removes). */
function removeAt<T>(list: T[], i: number): void {
  if (i < 0) return;
  for (let j = i + 1; j < list.length; j++) list[j - 1] = list[j]!;
  list.pop();
}

/** `map`'s list at `key` is `rest` now, `list` less what left it (gone when empty; unchanged when nothing left). */
function without<K, T>(map: { set(key: K, list: T[]): unknown; delete(key: K): unknown }, key: K, list: T[], rest: T[]): void {
  if (rest.length === list.length) return;
  if (rest.length > 0) map.set(key, rest);
  else map.delete(key);
}
