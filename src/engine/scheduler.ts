/**
 * The discrete-event core. Time is an integer count of nanoseconds; events run
 * in (time, sequence) order so that two events at the same instant run in the
 * order they were scheduled — the property that makes runs reproducible.
 */

export type Action = () => void;

interface Entry {
  time: number;
  seq: number;
  action: Action;
}

/** Why `run` returned. */
export type RunOutcome =
  | { kind: 'idle'; events: number } // queue drained
  | { kind: 'until'; events: number } // reached the time limit with events left
  | { kind: 'budget'; events: number; pending: number }; // event budget exhausted: likely a loop

export class Scheduler {
  private heap: Entry[] = [];
  private seq = 0;
  private clock = 0;
  private executed = 0;

  /** Current simulated time in ns. */
  get now(): number {
    return this.clock;
  }

  /** Total events executed since creation. */
  get eventsExecuted(): number {
    return this.executed;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Run `action` after `delayNs` (≥ 0, integer) from now. */
  after(delayNs: number, action: Action): void {
    this.at(this.clock + delayNs, action);
  }

  /** Run `action` at absolute time `timeNs` (never in the past). */
  at(timeNs: number, action: Action): void {
    if (!Number.isInteger(timeNs) || timeNs < this.clock) {
      throw new RangeError(`cannot schedule at ${timeNs} ns (now ${this.clock} ns)`);
    }
    this.push({ time: timeNs, seq: this.seq++, action });
  }

  /**
   * Run events until the queue is empty, `untilNs` is passed, or `budget`
   * events have run. The budget is what guarantees the simulator never hangs.
   */
  run(opts: { untilNs?: number; budget?: number; onProgress?: (eventsExecuted: number, nowNs: number) => void } = {}): RunOutcome {
    const until = opts.untilNs ?? Number.POSITIVE_INFINITY;
    const budget = opts.budget ?? Number.POSITIVE_INFINITY;
    const onProgress = opts.onProgress;
    let n = 0;
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (top.time > until) {
        this.clock = until;
        return { kind: 'until', events: n };
      }
      if (n >= budget) return { kind: 'budget', events: n, pending: this.heap.length };
      this.pop();
      this.clock = top.time;
      n++;
      this.executed++;
      top.action();
      // Every 65,536 events: cheap enough to leave in the loop, often enough for a progress line.
      if (onProgress && (this.executed & 0xffff) === 0) onProgress(this.executed, this.clock);
    }
    return { kind: 'idle', events: n };
  }

  /** Forget all pending events (used when a run is abandoned). */
  clear(): void {
    this.heap.length = 0;
  }

  private less(a: Entry, b: Entry): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(e, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r]!, h[l]!) ? r : l;
      if (!this.less(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
