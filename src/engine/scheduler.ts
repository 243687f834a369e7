/**
 * The discrete-event core. Time is an integer count of nanoseconds; events run
 * in (time, sequence) order so that two events at the same instant run in the
 * order they were scheduled — the property that makes runs reproducible.
 */

export type Action = () => void;

/** A scheduled call without a closure: `fn(a, b)` (a handler shared by every packet, and its arguments). */
export type Call<A, B> = (a: A, b: B) => void;

/** Why `run` returned. */
export type RunOutcome =
  | { kind: 'idle'; events: number } // queue drained
  | { kind: 'until'; events: number } // reached the time limit with events left
  | { kind: 'budget'; events: number; pending: number }; // event budget exhausted: likely a loop

/** Runs an `Action` scheduled with `at`/`after`: the action is the call's first argument. */
const runAction: Call<Action, undefined> = (action) => action();

const INITIAL_CAPACITY = 1024;

/**
 * Told of every event scheduled and run while it is set (a train replay
 * watching a period of its train: kernel/fastpath/train-lag.ts), and of every
 * wire a frame is put on (engine/link.ts).
 */
export interface SchedulerObserver {
  pushed(timeNs: number, seq: number, fn: Call<never, never>, a: unknown, b: unknown): void;
  popped(timeNs: number, seq: number, fn: Call<never, never>, a: unknown, b: unknown): void;
  wire(link: object, nowNs: number, busyBefore: number, busyAfter: number): void;
}

/**
 * A binary min-heap of pending events. Each event has a slot holding its
 * handler and two arguments, written once when it is scheduled and cleared
 * when it runs (slots are reused, most recently freed first); the heap itself
 * orders only keys in typed arrays — time, sequence number and slot — so
 * moving an event up or down a level copies three numbers and no references
 * (no write barrier). Scheduling allocates nothing (the arrays grow by
 * doubling), so a packet's hand-offs cost no garbage beyond what its callers
 * make: a per-hop handler is a function shared by every packet (`call`), not
 * a closure.
 *
 * Why no FIFO lane beside the heap for events of the present instant (or any
 * scheduled in time order): with the cost model on, a walk's hand-offs have
 * delays, so few events could take it — none of the 3 a datagram on one node,
 * 1 of the 7 across two nodes (measured on the benchmark walks) — and a lane
 * for events in time order gets none once a far timer (ARP, conntrack) is its
 * tail. The heap's depth is what costs: some 130 instructions an event with 2
 * pending, 420 with 24 (a datagram across nodes has about 24 in flight);
 * Floyd's sift-down (hole to the bottom, then up) counted more, not fewer.
 */
export class Scheduler {
  // The heap, by position: each event's time, sequence number and slot.
  private times = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private slots = new Int32Array(INITIAL_CAPACITY);
  // By slot: the handler and its arguments.
  private fns: (Call<never, never> | undefined)[] = new Array(INITIAL_CAPACITY).fill(undefined);
  private as: unknown[] = new Array(INITIAL_CAPACITY).fill(undefined);
  private bs: unknown[] = new Array(INITIAL_CAPACITY).fill(undefined);
  /** Slots freed by events that ran, the last freed on top; `used` slots were ever handed out. */
  private free = new Int32Array(INITIAL_CAPACITY);
  private freeCount = 0;
  private used = 0;
  private size = 0;
  private seq = 0;
  private clock = 0;
  private executed = 0;
  /** The running `run`'s time limit and the event count at which its budget is spent (what a skip must stay within). */
  private untilNs = 0;
  private budgetEnd = 0;
  private runCalls = 0;
  /** Set while a train replay watches what happens (see SchedulerObserver). */
  observer: SchedulerObserver | undefined;

  /** Current simulated time in ns. */
  get now(): number {
    return this.clock;
  }

  /** Total events executed since creation. */
  get eventsExecuted(): number {
    return this.executed;
  }

  get pending(): number {
    return this.size;
  }

  /** Calls of `run` so far: state may have been changed from outside between two (a train replay starts over). */
  get runs(): number {
    return this.runCalls;
  }

  /** The next sequence number `callAt` would take (the kernel-state snapshot of the differential tests reads it). */
  get nextSeq(): number {
    return this.seq;
  }

  /** When the earliest pending event runs (Infinity: none). */
  get nextEventNs(): number {
    return this.size > 0 ? this.times[0]! : Number.POSITIVE_INFINITY;
  }

  /**
   * How many more events the running `run` may execute before its budget is
   * spent, and the last time it runs events at: what a train replay
   * (kernel/fastpath/train.ts) that stands for events without running them
   * must stay within, so that the run stops exactly where it would have.
   */
  get eventsLeft(): number {
    return this.budgetEnd - this.executed;
  }

  get untilLimitNs(): number {
    return this.untilNs;
  }

  /**
   * A train replay made, in closed form, `events` events that would have run
   * by now (counted as executed) taking `seqs` sequence numbers, and the
   * clock moves to `timeNs`: never past the next pending event, the run's
   * time limit or its budget (the caller checks; this throws if not).
   */
  skip(timeNs: number, events: number, seqs: number): void {
    if (timeNs < this.clock || timeNs >= this.nextEventNs || timeNs > this.untilNs || events > this.eventsLeft) {
      throw new RangeError(`cannot skip to ${timeNs} ns with ${events} events (now ${this.clock} ns)`);
    }
    this.clock = timeNs;
    this.executed += events;
    this.seq += seqs;
  }

  /** Each pending event, in no particular order: its time, sequence number, handler and arguments. */
  forEachPending(f: (timeNs: number, seq: number, fn: Call<never, never>, a: unknown, b: unknown) => void): void {
    const { times, seqs, slots } = this;
    for (let i = 0; i < this.size; i++) {
      const slot = slots[i]!;
      f(times[i]!, seqs[i]!, this.fns[slot]!, this.as[slot], this.bs[slot]);
    }
  }

  /**
   * A train replay took over the pending events for which `mine(a, b)` holds
   * (kernel/fastpath/train-lag.ts): each now runs `dtNs` later with a sequence
   * number `dseq` higher, as the events of later datagrams the walks would have
   * scheduled (the heap is rebuilt: other events keep their keys).
   */
  shiftPending(mine: (a: unknown, b: unknown) => boolean, dtNs: number, dseq: number): void {
    const { times, seqs, slots } = this;
    for (let i = 0; i < this.size; i++) {
      const slot = slots[i]!;
      if (!mine(this.as[slot], this.bs[slot])) continue;
      times[i] = times[i]! + dtNs;
      seqs[i] = seqs[i]! + dseq;
    }
    // Floyd's heap construction: every key is unique (sequence numbers), so the run order is the keys' order.
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** The event at position `i` moves down to where its key belongs. */
  private siftDown(i: number): void {
    const { times, seqs, slots } = this;
    const n = this.size;
    const time = times[i]!;
    const seq = seqs[i]!;
    const slot = slots[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n) {
        const tr = times[r]!;
        const tl = times[l]!;
        if (tr < tl || (tr === tl && seqs[r]! < seqs[l]!)) c = r;
      }
      const tc = times[c]!;
      if (tc > time || (tc === time && seqs[c]! > seq)) break;
      times[i] = tc;
      seqs[i] = seqs[c]!;
      slots[i] = slots[c]!;
      i = c;
    }
    times[i] = time;
    seqs[i] = seq;
    slots[i] = slot;
  }

  /** Run `action` after `delayNs` (≥ 0, integer) from now. */
  after(delayNs: number, action: Action): void {
    this.at(this.clock + delayNs, action);
  }

  /** Run `action` at absolute time `timeNs` (never in the past). */
  at(timeNs: number, action: Action): void {
    this.callAt(timeNs, runAction, action, undefined);
  }

  /** Call `fn(a, b)` after `delayNs` from now: `after` without a closure. */
  call<A, B>(delayNs: number, fn: Call<A, B>, a: A, b: B): void {
    this.callAt(this.clock + delayNs, fn, a, b);
  }

  /** Call `fn(a, b)` at absolute time `timeNs`: `at` without a closure. */
  callAt<A, B>(timeNs: number, fn: Call<A, B>, a: A, b: B): void {
    this.check(timeNs);
    this.push(timeNs, this.seq++, fn as Call<never, never>, a, b);
  }

  /**
   * Take the next `n` sequence numbers now, for events that will be scheduled
   * later with `callAtReserved`: they run exactly where they would have, had
   * they all been scheduled at this moment (a train of datagrams scheduled one
   * at a time as it goes, instead of all of them up front).
   */
  reserve(n: number): number {
    const first = this.seq;
    this.seq += n;
    return first;
  }

  /** `callAt` with a sequence number taken earlier by `reserve` (each used once). */
  callAtReserved<A, B>(timeNs: number, seq: number, fn: Call<A, B>, a: A, b: B): void {
    this.check(timeNs);
    this.push(timeNs, seq, fn as Call<never, never>, a, b);
  }

  /**
   * Run events until the queue is empty, `untilNs` is passed, or `budget`
   * events have run. The budget is what guarantees the simulator never hangs.
   */
  run(opts: { untilNs?: number; budget?: number; onProgress?: (eventsExecuted: number, nowNs: number) => void } = {}): RunOutcome {
    const until = opts.untilNs ?? Number.POSITIVE_INFINITY;
    const budget = opts.budget ?? Number.POSITIVE_INFINITY;
    const onProgress = opts.onProgress;
    // Counted from `executed`, not per loop turn: a train replay counts the events it stands for (`skip`).
    const start = this.executed;
    const end = start + budget;
    this.runCalls++;
    this.untilNs = until;
    this.budgetEnd = end;
    let outcome: RunOutcome | undefined;
    while (this.size > 0) {
      const time = this.times[0]!;
      if (time > until) {
        this.clock = until;
        outcome = { kind: 'until', events: this.executed - start };
        break;
      }
      if (this.executed >= end) {
        outcome = { kind: 'budget', events: this.executed - start, pending: this.size };
        break;
      }
      const slot = this.slots[0]!;
      const fn = this.fns[slot] as Call<unknown, unknown>;
      const a = this.as[slot];
      const b = this.bs[slot];
      if (this.observer !== undefined) this.observer.popped(time, this.seqs[0]!, fn as Call<never, never>, a, b);
      this.pop(slot);
      this.clock = time;
      const before = this.executed++;
      fn(a, b);
      // Every 65,536 events (a skip may pass over the mark): cheap enough to leave in the loop, often enough for a progress line.
      if (onProgress && this.executed >>> 16 !== before >>> 16) onProgress(this.executed, this.clock);
    }
    // Outside a run (set-up, steps called directly) nothing may be skipped.
    this.untilNs = this.budgetEnd = 0;
    return outcome ?? { kind: 'idle', events: this.executed - start };
  }

  /** Forget all pending events (used when a run is abandoned). */
  clear(): void {
    this.fns.fill(undefined, 0, this.used);
    this.as.fill(undefined, 0, this.used);
    this.bs.fill(undefined, 0, this.used);
    this.size = 0;
    this.used = 0;
    this.freeCount = 0;
  }

  private check(timeNs: number): void {
    if (!Number.isInteger(timeNs) || timeNs < this.clock) {
      throw new RangeError(`cannot schedule at ${timeNs} ns (now ${this.clock} ns)`);
    }
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const slots = new Int32Array(cap);
    slots.set(this.slots);
    this.slots = slots;
    const free = new Int32Array(cap);
    free.set(this.free);
    this.free = free;
    for (let i = this.fns.length; i < cap; i++) {
      this.fns.push(undefined);
      this.as.push(undefined);
      this.bs.push(undefined);
    }
  }

  private push(time: number, seq: number, fn: Call<never, never>, a: unknown, b: unknown): void {
    if (this.size === this.times.length) this.grow();
    if (this.observer !== undefined) this.observer.pushed(time, seq, fn, a, b);
    // Every pending event holds one slot, so a free one exists whenever the heap has room.
    const slot = this.freeCount > 0 ? this.free[--this.freeCount]! : this.used++;
    this.fns[slot] = fn;
    this.as[slot] = a;
    this.bs[slot] = b;
    const { times, seqs, slots } = this;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < time || (pt === time && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      slots[i] = slots[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    slots[i] = slot;
  }

  /**
   * Remove the root, whose slot is `top`: the slot is freed and the last position's event sinks down from the top.
   * The sift is siftDown's, written out here: pop runs once per event on the hot path and keeps the sinking
   * event in locals instead of writing it to the root first (siftDown serves shiftPending's rebuild).
   */
  private pop(top: number): void {
    this.fns[top] = undefined; // the slot no longer holds its handler's arguments alive
    this.as[top] = undefined;
    this.bs[top] = undefined;
    this.free[this.freeCount++] = top;
    const n = --this.size;
    if (n === 0) return;
    const { times, seqs, slots } = this;
    const time = times[n]!;
    const seq = seqs[n]!;
    const slot = slots[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n) {
        const tr = times[r]!;
        const tl = times[l]!;
        if (tr < tl || (tr === tl && seqs[r]! < seqs[l]!)) c = r;
      }
      const tc = times[c]!;
      if (tc > time || (tc === time && seqs[c]! > seq)) break;
      times[i] = tc;
      seqs[i] = seqs[c]!;
      slots[i] = slots[c]!;
      i = c;
    }
    times[i] = time;
    seqs[i] = seq;
    slots[i] = slot;
  }
}
