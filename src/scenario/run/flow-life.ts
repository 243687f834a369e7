import type { FlowHolds } from '../../kernel/fastpath/flow-holds.js';
import type { TraceEvent } from '../../trace/events.js';
import type { TraceSink } from '../../trace/tracer.js';
import { PacketMap } from './packet-map.js';
import { SteadyMap } from './steady-map.js';

/**
 * A flow not yet over: its packets in flight, and the packets that name it
 * (forgotten with it). A started flow's own object is its life (`start`: no
 * record of its own per flow); a flow only packets name has a plain record.
 */
export interface Life<T> {
  readonly flow: string;
  /**
   * What `start` was given, handed back when the flow is over. A flow never started has none: its request was not
   * due yet (the traffic item's time had not come), so it is not over, whatever else holds.
   */
  token: T | undefined;
  inFlight: number;
  /** Its first packet (-1: none yet), and those after it: most flows have one packet, so no array for them. */
  firstPkt: number;
  laterPkts: number[] | undefined;
  /** Since when it has had nothing in flight, while it waits in the candidates (`maybeOver`). */
  since: number;
  /** Its place among the candidates (-1: not one). */
  slot: number;
}

/** The flows a packet belongs to: one (most packets), or several (an answer to packets of several flows). */
type Lives<T> = Life<T> | Life<T>[];

/**
 * Knows when each flow of a run is over, so that its walk can be printed
 * and everything kept about it forgotten while the run goes on.
 *
 * A flow is over once nothing can add to it any more: it has started, none
 * of its packets is in flight, and no kernel object holds it
 * (kernel/fastpath/flow-holds.ts: its TCP connections until they are gone, which
 * for one the application leaves open is the end of the run; a DNS lookup
 * under way). A packet belongs to the flow its `create` names and to every
 * flow of the packet that caused it, a superset of what the walk and the
 * summariser follow, so a flow is never declared over too early for them.
 * Packets start and end in the trace (`create`, then one `deliver` or
 * `drop`), so this reads the events as they stream by.
 *
 * The check waits for the simulated clock to move on: within one instant a
 * packet that was just delivered may still be answered (the answer is
 * created right after the delivery), so a flow whose last packet ended at
 * `t` is looked at with the first event after `t`, before that event is
 * read by anyone (attach this sink first), or with the first flow started
 * after `t` (before any of its packets). Nothing that happens then or later
 * can be about it.
 *
 * Why holders and not the event queue: in a long run the queue is never
 * empty (the next sends, earlier flows' TIME_WAIT and neighbour timers), and
 * a queued timer does not say whose it is; the objects that can still act
 * for a flow do. test/scenarios checks on every scenario that each flow,
 * taken when this says it is over, has every event the whole trace gives it.
 */
export class FlowLife<T extends Life<T>> implements TraceSink {
  /**
   * Flows not yet over by name, but the newest (`newest`) and those in
   * `older`: indexed only once a name is looked up that is not the newest's.
   */
  private readonly lives = new SteadyMap<string, Life<T>>();
  /**
   * The flow made last, kept out of `lives` while it is the newest: in a
   * train of datagrams each flow is over by the time the next one starts, so
   * none is ever added to or removed from the map by name.
   */
  private newest: Life<T> | undefined;
  /**
   * Flows made before the newest and not yet over, oldest first, not in
   * `lives` yet: in a train whose flows overlap (a datagram still in flight
   * when the next one starts) packets name only the newest, so none is ever
   * added to or removed from the map by name either. Entries from `olderHead`
   * on; an entry that is over is `undefined`.
   */
  private readonly older: (Life<T> | undefined)[] = [];
  private olderHead = 0;
  /** Lives made for a name packets gave before its flow started (`life`): only then can `start` find one. */
  private namedFirst = 0;
  /** Packets of flows not yet over, and those flows. */
  private readonly pktLives = new PacketMap<Lives<T>>();
  /**
   * Flows with nothing in flight, to look at once the clock has moved past
   * the time they got there, in the order they became candidates. An entry
   * whose life's `slot` is not its index is stale (the flow took something
   * up again since): skipped, and dropped at the next `settle`.
   */
  private readonly candidates: Life<T>[] = [];
  private lastT = 0;

  /** `clock.now`: the simulated time (a flow started, or let go by its last holder, when no event says so). */
  constructor(
    private readonly holds: FlowHolds,
    private readonly clock: { readonly now: number },
    private readonly over: (token: T) => void,
  ) {
    holds.onFree = (flow) => {
      const l = this.find(flow);
      if (l && l.inFlight === 0) this.maybeOver(l, this.clock.now);
    };
  }

  /**
   * `flow`'s request is about to be sent (its packets, if any, follow in this instant); `flow` comes back when it is
   * over, once `launched` has been told. A flow's object is its own life (its Life fields as a new life has them),
   * unless packets named it first.
   */
  start(flow: T): void {
    // The clock moved on since the last event: flows over by now are taken first (as that event would have).
    this.moved(this.clock.now);
    let l: Life<T> | undefined = this.namedFirst > 0 ? this.find(flow.flow) : undefined;
    if (l === undefined) this.newestIs((l = flow));
    else if (l.token === undefined) this.namedFirst--;
    l.token = flow;
  }

  /**
   * `flow`'s request was handed to its sender (sent, or waiting for its name to resolve): with nothing of it in
   * flight (none sent, or all ended at once) it may be over. (Told after the send, not at `start`: a request's
   * packet is in flight by then, and a flow is a candidate only once it has nothing in flight, as it would be.)
   */
  launched(flow: T): void {
    const l = flow.token === flow ? flow : this.find(flow.flow);
    if (l !== undefined && l.inFlight === 0) this.maybeOver(l, this.clock.now);
  }

  /**
   * The clock moved on (a train replay's window begins: scenario/run/simulate.ts): flows over by now are taken, as
   * the next event or flow start would take them.
   */
  advance(): void {
    this.moved(this.clock.now);
  }

  /** Flows started and not over yet (bounded by what is really in flight or held; a test counts it). */
  get open(): number {
    return this.lives.size + this.olderOpen() + (this.newest === undefined ? 0 : 1);
  }

  /** Packets remembered (those of flows not over). */
  get packets(): number {
    return this.pktLives.size;
  }

  /** A `tx`/`rx` (TraceSink.frame): the clock may have moved, nothing else. */
  frame(): void {
    this.tick();
  }

  /** A replayed walk's hop events (TraceSink.copies): the clock may have moved, nothing else. */
  copies(): void {
    this.tick();
  }

  /** A bridge's `fdb` (TraceSink.fdb): the clock may have moved, nothing else. */
  fdb(): void {
    this.tick();
  }

  /** A packet's `create` by its parts (TraceSink.create): what `event` does with one. */
  create(_t: number, pkt: number, _at: string, flow: string | undefined, cause: number | undefined): void {
    this.tick();
    this.created(pkt, flow, cause);
  }

  /** A packet's `deliver` by its parts (TraceSink.deliver): what `event` does with one. */
  deliver(_t: number, pkt: number): void {
    this.ended(pkt, this.tick());
  }

  event(e: TraceEvent): void {
    const t = this.tick();
    if (e.kind === 'create') this.created(e.pkt, e.flow, e.cause);
    else if (e.kind === 'deliver' || e.kind === 'drop') this.ended(e.pkt, t);
  }

  /** Packet `pkt` was created, naming `flow` and caused by `cause`: it is in flight for their flows. */
  private created(pkt: number, flow: string | undefined, cause: number | undefined): void {
    // A packet naming a flow already over would open it again (never started, so over only at the end):
    // the caller sees the name twice (a test checks that never happens on any scenario).
    let lives: Lives<T> | undefined = flow === undefined ? undefined : this.life(flow);
    const caused = cause === undefined ? undefined : this.pktLives.get(cause);
    if (caused !== undefined) {
      if (!Array.isArray(caused)) lives = joined(lives, caused);
      else for (const l of caused) lives = joined(lives, l);
    }
    if (lives === undefined) return;
    this.pktLives.set(pkt, lives);
    if (!Array.isArray(lives)) this.inFlight(lives, pkt);
    else for (const l of lives) this.inFlight(l, pkt);
  }

  /** Packet `pkt` ended (delivered or dropped) at `t`. */
  private ended(pkt: number, t: number): void {
    const lives = this.pktLives.get(pkt);
    if (lives === undefined) return;
    if (!Array.isArray(lives)) {
      if (--lives.inFlight === 0) this.maybeOver(lives, t);
    } else for (const l of lives) if (--l.inFlight === 0) this.maybeOver(l, t);
  }

  /**
   * An event happens now: flows over before it are settled first. Its time is read off the clock, not off events
   * of many shapes (a fractional time read that way is a number boxed anew each time).
   */
  private tick(): number {
    const t = this.clock.now;
    if (t > this.lastT) this.moved(t);
    return t;
  }

  /** The run is over: every flow still open is over now (their packets were ended by the run's end). */
  finish(): void {
    this.index();
    for (const l of this.lives.values()) this.maybeOver(l, -1);
    if (this.newest) this.maybeOver(this.newest, -1);
    this.settle(Infinity, true);
  }

  /** `pkt` of `l` is in flight: `l` is no candidate any more. */
  private inFlight(l: Life<T>, pkt: number): void {
    l.inFlight++;
    if (l.firstPkt < 0) l.firstPkt = pkt;
    else if (l.laterPkts === undefined) l.laterPkts = [pkt];
    else l.laterPkts.push(pkt);
    l.slot = -1;
  }

  /** `l` has had nothing in flight since `t`: a candidate (where it already was one, if it was). */
  private maybeOver(l: Life<T>, t: number): void {
    l.since = t;
    if (l.slot >= 0) return;
    l.slot = this.candidates.length;
    this.candidates.push(l);
  }

  /** Candidates that got there before `t` (a later instant): over, unless something took them up again. */
  private settle(t: number, all = false): void {
    const q = this.candidates;
    const n = q.length;
    if (n === 0) return;
    let kept = 0;
    // In the order they became candidates: deterministic, and the caller prints in flow order anyway.
    for (let i = 0; i < n; i++) {
      const l = q[i]!;
      if (l.slot !== i) continue;
      if (l.since >= t) {
        l.slot = kept;
        q[kept++] = l;
        continue;
      }
      l.slot = -1;
      if (!all && (l.token === undefined || l.inFlight > 0 || this.holds.held(l.flow))) continue;
      this.unname(l);
      if (l.firstPkt >= 0) this.unlink(l.firstPkt, l);
      if (l.laterPkts !== undefined) for (const p of l.laterPkts) this.unlink(p, l);
      if (l.token !== undefined) this.over(l.token);
    }
    // Candidates that came while the flows over were handed on wait for the next time.
    for (let i = n; i < q.length; i++) {
      const l = q[i]!;
      if (l.slot !== i) continue;
      l.slot = kept;
      q[kept++] = l;
    }
    while (q.length > kept) q.pop(); // (setting `length` is a call into the runtime; a pop or two is not)
  }

  /** `pkt` no longer belongs to `l` (over). */
  private unlink(pkt: number, l: Life<T>): void {
    const lives = this.pktLives.get(pkt);
    if (lives === undefined) return;
    if (!Array.isArray(lives)) {
      if (lives === l) this.pktLives.delete(pkt);
      return;
    }
    const rest = lives.filter((x) => x !== l);
    if (rest.length === 0) this.pktLives.delete(pkt);
    else this.pktLives.set(pkt, rest.length === 1 ? rest[0]! : rest);
  }

  /** The clock reads `t`: once it has moved past the last time seen, the candidates from before are looked at. */
  private moved(t: number): void {
    if (t <= this.lastT) return;
    this.settle(t);
    this.lastT = t;
  }

  /** `flow`'s life, if it is not over. */
  private find(flow: string): Life<T> | undefined {
    const newest = this.newest;
    if (newest !== undefined && newest.flow === flow) return newest;
    // (A train of datagrams has none but the newest: no hash of a new name computed for nothing.)
    if (this.olderHead < this.older.length) this.index();
    return this.lives.size === 0 ? undefined : this.lives.get(flow);
  }

  /** `flow`'s life, made if it has none. */
  private life(flow: string): Life<T> {
    const l = this.find(flow);
    if (l) return l;
    const made: Life<T> = { flow, token: undefined, inFlight: 0, firstPkt: -1, laterPkts: undefined, since: 0, slot: -1 };
    this.namedFirst++;
    this.newestIs(made);
    return made;
  }

  /** `l` is the newest life (the one before it waits in `older`). */
  private newestIs(l: Life<T>): void {
    if (this.newest) this.older.push(this.newest);
    this.newest = l;
  }

  /** `l` is over: no longer found by its name. */
  private unname(l: Life<T>): void {
    if (l.token === undefined) this.namedFirst--;
    if (l === this.newest) {
      this.newest = undefined;
      return;
    }
    const older = this.older;
    // Flows are mostly over in the order they started: the oldest first.
    for (let i = this.olderHead; i < older.length; i++) {
      if (older[i] !== l) continue;
      older[i] = undefined;
      if (i === this.olderHead) this.trimOlder();
      return;
    }
    this.lives.delete(l.flow);
  }

  /**
   * Entries over at the head of `older` dropped; the array emptied once none is left, and those left moved to its
   * start once the dropped ones are most of it (flows that keep overlapping never empty it: it must not grow).
   */
  private trimOlder(): void {
    const older = this.older;
    let head = this.olderHead;
    while (head < older.length && older[head] === undefined) head++;
    if (head === older.length || (head >= 32 && head * 2 >= older.length)) {
      let kept = 0;
      for (let i = head; i < older.length; i++) older[kept++] = older[i];
      while (older.length > kept) older.pop(); // (setting `length` is a call into the runtime; a pop or two is not)
      head = 0;
    }
    this.olderHead = head;
  }

  /** Every flow waiting in `older` goes into `lives` (a name that is not the newest's is looked up). */
  private index(): void {
    const older = this.older;
    for (let i = this.olderHead; i < older.length; i++) {
      const l = older[i];
      if (l !== undefined) this.lives.set(l.flow, l);
    }
    while (older.length > 0) older.pop();
    this.olderHead = 0;
  }

  /** Flows waiting in `older`. */
  private olderOpen(): number {
    let n = 0;
    for (let i = this.olderHead; i < this.older.length; i++) if (this.older[i] !== undefined) n++;
    return n;
  }
}

/** `lives` and `l` (once). */
function joined<T>(lives: Lives<T> | undefined, l: Life<T>): Lives<T> {
  if (lives === undefined) return l;
  if (!Array.isArray(lives)) return lives === l ? lives : [lives, l];
  if (!lives.includes(l)) lives.push(l);
  return lives;
}
