import { rngDraws } from '../../engine/rng.js';
import type { Cpu } from '../cost-model.js';
import type { NetNs } from '../netns.js';
import type { SendRequest } from '../sockets.js';
import type { Skb } from '../skb.js';
import type { World } from '../world.js';
import { stateEpoch } from './state-epoch.js';
import { TrainProbe, type TrainDeliver } from './train-probe.js';
import { LagPending, LagPeriod, relabelable, relabelInFlight, repeatPeriods, samePeriods, type LagMark } from './train-lag.js';
import type { UdpTemplate } from '../../wire/udp-template.js';

/**
 * What a window's block of datagrams is, as the run layer keeps it in one
 * record (no packet, skb or event made for each): their first packet id
 * (then one each), their IPv4 ids as drawn, the template their bytes are
 * written from when read, where they were made, and their `deliver`.
 */
export interface TrainBlock {
  pkt0: number;
  ids: Uint16Array;
  frame: UdpTemplate;
  createdAt: string;
  deliver: TrainDeliver;
  /** From a datagram's `create` to its `deliver`, ns (integer: every event time is). */
  spanNs: number;
}

/** Most datagrams left unwatched after watched ones kept walking in ways a window does not redo. */
const MAX_BACKOFF = 1024;

/** Longest interval a train may have: well under any timeout a replayed crossing refreshes (UDP conntrack: 30 s). */
const MAX_INTERVAL_NS = 1e9;

/** The counters a watched datagram, or a window, is checked against: what moves when anything at all happens (a period's, across nodes). */
type Mark = LagMark;

/**
 * An exact replay of a periodic train: a traffic item sending UDP datagrams
 * at a fixed interval from one connected socket (scenario/run drives it, one
 * per item). While its datagrams walk, each is watched (train-probe.ts): the
 * kernel objects report what they do with it. Once two consecutive datagrams
 * did the same thing, shifted by the interval — every crossing a flow-table
 * replay of the same kept walk (`FlowTable.trainSafe`), every hand-off a veth's
 * charged to a CPU that was idle and is idle again before the next send, one
 * `create` and one UDP `deliver` before the next send, one random draw (the
 * IPv4 id), nothing else: no other event, packet, drop, trace event or
 * generation change — the next datagrams are made as a window in one
 * scheduler event: the run layer keeps the first ones as one record (`block`:
 * packet ids and IPv4 ids taken, nothing made per datagram) when nothing reads
 * them as they happen, and makes each of the others' packet as the socket
 * makes it (`send`: Sockets.trainDatagram) and delivers it at its time (it
 * moves the clock to each); then the kernel state the skipped walks would
 * leave is made in closed form — counters, conntrack, FDB, CPUs, the fast path's
 * own counts, the scheduler's events and sequence numbers (`Scheduler.skip`).
 *
 * Why that is exact: a walk is a function of the time and the state it reads.
 * The state these walks read is either generation-counted (unchanged: the
 * epoch, and no event ran), refreshed by the train itself at the same offset
 * each time (the sender's FDB entry, the connection: each datagram finds them
 * as the previous one left them, one interval younger), idle CPUs (the
 * charge does not depend on how long they have been idle), or ages without
 * an event (a REACHABLE neighbour, the destination's FDB entry, a connection
 * the train does not refresh): the window ends before any of those would.
 * It also ends before the next pending event, the run's time limit and its
 * event budget, so nothing else can happen inside it. Anything unusual
 * walks, which is always right.
 */
export class TrainReplay {
  /** The datagram being watched, and the last two watched ones found clean (`previous` the older). */
  private watched: TrainProbe | undefined;
  private watchedMark: Mark | undefined;
  private last: TrainProbe | undefined;
  private lastMark: Mark | undefined;
  private previous: TrainProbe | undefined;
  /** `last` and `previous` did the same, shifted by the interval: `last` is what every datagram does. */
  private steady = false;
  /** Counters as a window left them: the next due datagram may follow on at once if nothing moved them. */
  private windowEnd: Mark | undefined;
  /** The fast path's counts when the window began (its sends count what a walk's send counts: `commit` sets the total). */
  private startHits = 0;
  private startReplays = 0;
  /**
   * Datagrams to leave unwatched before watching again, and how many that is
   * after the next unclean one (doubling): a train that never steadies (across
   * nodes, datagrams in flight) pays for watching one datagram in a thousand.
   */
  private unwatched = 0;
  private backoff = 0;
  private readonly spare: TrainProbe[] = [new TrainProbe(), new TrainProbe(), new TrainProbe()];
  /**
   * Across nodes (train-lag.ts): the period being watched, the last two clean
   * ones (`lagPrevious` the older), whether they did the same, and the train's
   * events pending at this due when a window is offered (`lagging`).
   */
  private lagWatched: LagPeriod | undefined;
  private lagLast: LagPeriod | undefined;
  private lagPrevious: LagPeriod | undefined;
  private lagSteady = false;
  private readonly lagSpare: LagPeriod[] = [];
  private readonly lagNow = new LagPending();
  /** The window `due` offered is one of a train with datagrams in flight (the run layer's `lagWindow`). */
  lagging = false;

  constructor(
    private readonly world: World,
    private readonly from: NetNs,
    readonly intervalNs: number,
    /** Its datagrams' flows are named `${prefix}k` (its packets in flight are found by it). */
    private readonly prefix: string,
  ) {}

  /** Whether a traffic item with this interval can be a train at all (the rest is checked datagram by datagram). */
  static interval(intervalNs: number): boolean {
    return intervalNs > 0 && intervalNs < MAX_INTERVAL_NS;
  }

  /**
   * One of the train's datagrams is due now (its scheduler event runs), and
   * `remaining` are left including it: how many of them, from this one on,
   * are made now in closed form (`send`/`deliver` each, then `commit`), or 0
   * when this one walks (watched).
   */
  due(remaining: number): number {
    const w = this.world;
    const now = w.sched.now;
    if (this.watched !== undefined) this.close(now);
    else if (this.windowEnd !== undefined && !this.unmoved(this.windowEnd, now, 1)) this.forget();
    this.windowEnd = undefined;
    // A capture sees every frame of every hop; a traced run, every hop event: a window has no hops.
    if (w.capture !== undefined || w.detailed || !w.fast.enabled || !w.fast.trains) {
      this.forget();
      this.lagForget();
      return 0;
    }
    this.lagging = false;
    let n = this.steady ? this.window(now, remaining) : 0;
    if (n === 0 && this.lagSteady) {
      n = this.lagWindow(now, remaining);
      if (n > 0) {
        this.lagging = true;
        return n;
      }
      this.lagForget();
    }
    this.startHits = w.fast.hits;
    this.startReplays = w.fast.replays;
    // (The last datagram is not watched: no later one would read what it did.)
    if (n === 0 && remaining > 1) {
      if (this.unwatched > 0) this.unwatched--;
      else this.watch(now);
    }
    return n;
  }

  /** A window's datagram: made and told as its socket makes it (Sockets.trainDatagram). */
  send(req: SendRequest): Skb {
    return this.from.sockets.trainDatagram(req)!;
  }

  /**
   * A window's first `m` datagrams as one block (the run layer keeps their
   * records as one): what their sends leave in the kernel — packet ids, one
   * draw each from the sender's random stream (the IPv4 id, in order) — and
   * what their records need; their socket is connected to `dst`:`dport`
   * (bound to `bind`, if given). The rest of their kernel state is
   * `commit`'s, as for the others. Undefined when the socket has no template
   * (then nothing was taken).
   */
  block(dst: number, dport: number, bind: number | undefined, m: number): TrainBlock | undefined {
    const frame = this.from.sockets.trainTemplate(dst, dport, bind);
    if (frame === undefined) return undefined;
    const ids = new Uint16Array(m);
    const rng = this.from.rng;
    for (let j = 0; j < m; j++) ids[j] = rng.int(0, 0xffff);
    const last = this.last!;
    return { pkt0: this.world.takePacketIds(m), ids, frame, createdAt: this.from.name, deliver: last.deliver!, spanNs: last.deliver!.atNs - this.lastMark!.sendNs };
  }

  /** When a window's datagram sent at `sendNs` is delivered. */
  deliverNs(sendNs: number): number {
    return sendNs + this.last!.deliver!.atNs - this.lastMark!.sendNs;
  }

  /** A window's datagram reaches its socket (the clock at `deliverNs`): told, and its skb free again. */
  deliver(skb: Skb): void {
    const d = this.last!.deliver!;
    const w = this.world;
    w.deliver(skb, d.at, 'udp', d.socket, d.src, d.sport);
    w.recycle(skb);
  }

  /**
   * `n` datagrams were made, the last sent at `lastNs`: the kernel state their
   * walks leave, made in closed form, and the scheduler's count of the events
   * they were (the clock stays where the last `deliver` put it).
   */
  commit(n: number, lastNs: number): void {
    const b = this.last!;
    const m = this.lastMark!;
    const shift = lastNs - m.sendNs;
    for (let i = 0; i < b.steps.length; i++) b.tables[i]!.trainRepeat(b.steps[i]!, b.stepNs[i]! + shift, n, b.stepLen[i]!);
    // Each CPU as the last datagram's last charge of it leaves it (a hand-off that owed nothing leaves it alone).
    for (let i = 0; i < b.cpus.length; i++) {
      const cpu = b.cpus[i];
      if (cpu !== undefined && b.busyAfter[i] !== b.busyBefore[i]) (cpu as Cpu).busyUntil = b.busyAfter[i]! + shift;
    }
    const w = this.world;
    w.fast.hits = this.startHits + n * m.hits;
    w.fast.replays = this.startReplays + n * m.replays;
    w.fast.trainDatagrams += n;
    w.fast.trainWindows++;
    const handoffs = b.cpus.length;
    const sched = w.sched;
    sched.skip(sched.now, n * (handoffs + 1) - 1, n * handoffs);
    this.windowEnd = this.mark(lastNs);
  }

  /** The counters now, for a datagram sent at `sendNs`. */
  private mark(sendNs: number): Mark {
    const w = this.world;
    return { sendNs, executed: w.sched.eventsExecuted, seq: w.sched.nextSeq, draws: rngDraws.n, epoch: stateEpoch.n, runs: w.sched.runs, hits: w.fast.hits, replays: w.fast.replays };
  }

  /** Nothing happened since `m` but `events` events (the next datagram's due), and the next send is one interval on. */
  private unmoved(m: Mark, now: number, events: number): boolean {
    const w = this.world;
    return now - m.sendNs === this.intervalNs && w.sched.eventsExecuted === m.executed + events && w.sched.nextSeq === m.seq && rngDraws.n === m.draws && stateEpoch.n === m.epoch && w.sched.runs === m.runs;
  }

  /** Watch the datagram about to walk (the probe is the world's only one: another train watching keeps this one walking). */
  private watch(now: number): void {
    const fast = this.world.fast;
    if (fast.probe !== undefined || !fast.trains) return;
    const p = this.spare.pop() ?? new TrainProbe();
    p.reset();
    fast.probe = p;
    this.watched = p;
    this.watchedMark = this.mark(now);
    // Datagrams of the train in flight (across nodes): the period is watched whole, every event (train-lag.ts).
    const lp = this.lagSpare.pop() ?? new LagPeriod();
    lp.reset();
    if (lp.pending.read(this.world, this.prefix)) {
      lp.mark = this.watchedMark;
      lp.probe = p;
      lp.prefix = this.prefix;
      this.world.sched.observer = lp;
      this.lagWatched = lp;
    } else this.lagSpare.push(lp);
  }

  /**
   * The watched period ends (the next due is now): whether it was clean for a
   * train with datagrams in flight; then it is kept, and compared with the one before.
   */
  private lagClose(now: number, evaluate: boolean): boolean {
    const lp = this.lagWatched;
    const w = this.world;
    w.sched.observer = undefined;
    this.lagWatched = undefined;
    if (lp === undefined) return false;
    if (!evaluate) {
      lp.probe = undefined;
      this.lagSpare.push(lp);
      return false;
    }
    const m = lp.mark;
    lp.events = w.sched.eventsExecuted - m.executed;
    lp.seqs = w.sched.nextSeq - m.seq;
    lp.hits = w.fast.hits - m.hits;
    lp.replays = w.fast.replays - m.replays;
    lp.pkt = lp.probe!.createdSkb?.id ?? -1;
    const ok = now - m.sendNs === this.intervalNs && rngDraws.n === m.draws + 1 && stateEpoch.n === m.epoch && w.sched.runs === m.runs && lp.clean(w, this.prefix, this.intervalNs);
    if (!ok) {
      lp.probe = undefined;
      this.lagSpare.push(lp);
      return false;
    }
    this.lagDrop(this.lagPrevious);
    this.lagPrevious = this.lagLast;
    this.lagLast = lp;
    this.lagSteady = this.lagPrevious !== undefined && samePeriods(this.lagPrevious, lp, this.intervalNs);
    return true;
  }

  /** A period let go (its probe free again). */
  private lagDrop(lp: LagPeriod | undefined): void {
    if (lp === undefined) return;
    if (lp.probe !== undefined) this.spare.push(lp.probe);
    lp.probe = undefined;
    this.lagSpare.push(lp);
  }

  /** The periods of a train with datagrams in flight are let go: two clean ones must be watched again. */
  lagForget(): void {
    this.lagDrop(this.lagPrevious);
    this.lagDrop(this.lagLast);
    this.lagPrevious = this.lagLast = undefined;
    this.lagSteady = false;
    this.lagging = false;
  }

  /**
   * How many datagrams from now on a window of a train with datagrams in
   * flight makes (0: none): its pending events now are the last period's,
   * one interval on; the window's last event comes before any other pending
   * event, within the run's time limit and budget and before any state the
   * walks read would age; and it is long enough for the run layer's order
   * (those in flight now delivered before those it leaves in flight are sent).
   */
  private lagWindow(now: number, remaining: number): number {
    const last = this.lagLast!;
    const q = this.lagNow;
    const w = this.world;
    const sched = w.sched;
    const interval = this.intervalNs;
    if (now - last.mark.sendNs !== interval || !q.read(w, this.prefix) || !last.pending.sameAs(q, interval, last.seqs)) return 0;
    if (w.lastPacket !== q.skb[q.skb.length - 1]!.id || rngDraws.n !== last.mark.draws + 1 || stateEpoch.n !== last.mark.epoch || sched.runs !== last.mark.runs) return 0;
    const p = last.probe!;
    const lastOff = last.lastOffset;
    let limit = Math.min(q.otherNs - 1, sched.untilLimitNs, p.neighbourUntilNs - 1, p.fdbUntilNs);
    for (let i = 0; i < p.steps.length; i++) limit = Math.min(limit, p.tables[i]!.trainUntilNs(p.steps[i]!) - 1);
    if (!(limit >= now + lastOff)) return 0;
    let n = Math.min(remaining, Math.floor((limit - now - lastOff) / interval) + 1);
    if (n * last.events - 1 > sched.eventsLeft) n = Math.floor((sched.eventsLeft + 1) / last.events);
    return n >= 2 * q.skb.length + 1 ? n : 0;
  }

  /** Datagrams in flight at each send of the offered window (`lagging`). */
  get lag(): number {
    return this.lagNow.skb.length;
  }

  /** The socket's template for a window of a train in flight, if its packets in flight are what it makes (train-lag.ts `relabelable`). */
  lagTemplate(dst: number, dport: number, bind: number | undefined): UdpTemplate | undefined {
    const frame = this.from.sockets.trainTemplate(dst, dport, bind);
    return frame !== undefined && relabelable(this.lagNow, frame) ? frame : undefined;
  }

  /**
   * The offered window of `n` datagrams from datagram `firstK` of the item is
   * taken: their IPv4 ids drawn and packet ids taken, the kernel state the
   * walks of its `n` periods leave made in closed form, the packets in flight
   * now made the last ones it leaves in flight (train-lag.ts), their events
   * shifted. What its records need is returned; the clock is the caller's to
   * move (through the records' times) and `lagFinish`'s.
   */
  lagCommit(n: number, firstK: number, frame: UdpTemplate, flowOf: (k: number) => string): TrainBlock {
    const last = this.lagLast!;
    const ids = new Uint16Array(n);
    const rng = this.from.rng;
    for (let j = 0; j < n; j++) ids[j] = rng.int(0, 0xffff);
    const pkt0 = this.world.takePacketIds(n);
    const shift = n * this.intervalNs;
    repeatPeriods(this.world, last, n, this.intervalNs);
    relabelInFlight(this.world, this.lagNow, frame, n, firstK, ids, flowOf, shift, n * last.seqs);
    const d = last.probe!.deliver!;
    return { pkt0, ids, frame, createdAt: this.from.name, deliver: d, spanNs: d.atNs - last.mark.sendNs + this.lag * this.intervalNs };
  }

  /** The window's `n` periods are over: the clock at their last event, the events and sequence numbers they were. */
  lagFinish(n: number): void {
    const last = this.lagLast!;
    this.world.sched.skip(last.mark.sendNs + n * this.intervalNs + last.lastOffset, n * last.events - 1, n * last.seqs);
    this.lagForget();
  }

  /** The reference datagrams are let go: two clean ones must be watched again. */
  private forget(): void {
    if (this.previous !== undefined) this.spare.push(this.previous);
    if (this.last !== undefined) this.spare.push(this.last);
    this.previous = this.last = undefined;
    this.lastMark = undefined;
    this.steady = false;
  }

  /** The watched datagram's observation ends now (the next one is due): kept if clean, compared with the one before. */
  private close(now: number): void {
    const p = this.watched!;
    const m = this.watchedMark!;
    const clean = this.world.fast.probe === p && this.clean(p, m, now);
    const lagClean = this.lagClose(now, !clean && this.world.fast.probe === p);
    this.world.fast.probe = undefined;
    this.watched = undefined;
    if (lagClean) {
      this.forget();
      this.backoff = 0;
      return;
    }
    if (!clean) {
      this.lagForget();
      this.spare.push(p);
      this.forget();
      this.backoff = Math.min(MAX_BACKOFF, Math.max(1, 2 * this.backoff));
      this.unwatched = this.backoff;
      return;
    }
    this.backoff = 0;
    const w = this.world;
    // The fast path's counts one datagram adds (kept as the mark's: what a window adds per datagram).
    const delta: Mark = { ...m, hits: w.fast.hits - m.hits, replays: w.fast.replays - m.replays };
    if (this.previous !== undefined) this.spare.push(this.previous);
    this.previous = this.last;
    const before = this.lastMark;
    this.last = p;
    this.lastMark = delta;
    this.steady = this.previous !== undefined && before !== undefined && same(this.previous, before, p, delta, this.intervalNs);
  }

  /**
   * Whether the watched datagram did only what a window redoes: its crossings
   * all replayed from flow tables (each event starts with one), its hand-offs
   * to idle CPUs that are idle again by the next send, one packet created and
   * delivered to a UDP socket before the next send and freed there, one draw,
   * no other event or sequence number, no generation changed.
   */
  private clean(p: TrainProbe, m: Mark, now: number): boolean {
    const w = this.world;
    const handoffs = p.cpus.length;
    if (p.unusual !== 0 || p.created !== 1 || p.deliver === undefined || !p.deliverOwn || p.recycled !== 1) return false;
    if (p.chargeCpus.length !== 0 || p.learnt.length !== 0 || p.fdbUntilNs !== Number.POSITIVE_INFINITY) return false;
    if (now - m.sendNs !== this.intervalNs || w.sched.eventsExecuted !== m.executed + handoffs + 1 || w.sched.nextSeq !== m.seq + handoffs) return false;
    if (rngDraws.n !== m.draws + 1 || stateEpoch.n !== m.epoch || w.sched.runs !== m.runs) return false;
    if (p.steps.length !== handoffs + 1 || p.stepNs[0] !== m.sendNs) return false;
    for (let i = 0; i < handoffs; i++) {
      if (p.stepNs[i + 1] !== p.eventNs[i] || p.busyBefore[i]! > p.handoffNs[i]! || p.busyAfter[i]! > now) return false;
    }
    const lastEvent = handoffs === 0 ? m.sendNs : p.eventNs[handoffs - 1]!;
    if (p.deliver.atNs !== lastEvent || lastEvent >= now) return false;
    for (let i = 0; i < p.steps.length; i++) if (!p.tables[i]!.trainSafe(p.steps[i]!)) return false;
    return true;
  }

  /**
   * How many datagrams from now on a window makes: the last one's last event
   * before the next pending event, within the run's time limit and budget,
   * and before any state its walk reads would age (`FlowTable.trainUntilNs`,
   * the neighbour entries).
   */
  private window(now: number, remaining: number): number {
    const b = this.last!;
    const m = this.lastMark!;
    const sched = this.world.sched;
    const span = b.deliver!.atNs - m.sendNs; // from a send to its last event
    const handoffs = b.cpus.length;
    const interval = this.intervalNs;
    // Latest send time allowed by each bound, then as many sends as fit from now.
    let lastSend = Math.min(sched.nextEventNs - 1, sched.untilLimitNs) - span;
    lastSend = Math.min(lastSend, b.neighbourUntilNs - span);
    for (let i = 0; i < b.steps.length; i++) lastSend = Math.min(lastSend, b.tables[i]!.trainUntilNs(b.steps[i]!) - (b.stepNs[i]! - m.sendNs));
    if (!(lastSend >= now)) return 0;
    let n = Math.min(remaining, Math.floor((lastSend - now) / interval) + 1);
    // n datagrams are n × (hand-offs + 1) events, the first (this due) already counted.
    const budget = sched.eventsLeft;
    if (n * (handoffs + 1) - 1 > budget) n = Math.floor((budget + 1) / (handoffs + 1));
    return Math.max(0, n);
  }
}

/** Two consecutive watched datagrams did the same, `b` one interval after `a`. */
function same(a: TrainProbe, am: Mark, b: TrainProbe, bm: Mark, interval: number): boolean {
  const shift = bm.sendNs - am.sendNs;
  if (shift !== interval || am.hits !== bm.hits || am.replays !== bm.replays) return false;
  if (a.steps.length !== b.steps.length || a.cpus.length !== b.cpus.length || a.neighbourUntilNs !== b.neighbourUntilNs) return false;
  for (let i = 0; i < a.steps.length; i++) {
    if (a.tables[i] !== b.tables[i] || a.steps[i] !== b.steps[i] || a.stepLen[i] !== b.stepLen[i] || a.stepNs[i]! + shift !== b.stepNs[i]) return false;
  }
  for (let i = 0; i < a.cpus.length; i++) {
    if (a.cpus[i] !== b.cpus[i] || a.eventNs[i]! + shift !== b.eventNs[i] || a.busyAfter[i]! + shift !== b.busyAfter[i]) return false;
  }
  const x = a.deliver!;
  const y = b.deliver!;
  return x.atNs + shift === y.atNs && x.at === y.at && x.socket === y.socket && x.src === y.src && x.sport === y.sport;
}
