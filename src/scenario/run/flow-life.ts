import type { FlowHolds } from '../../kernel/flow-holds.js';
import type { TraceEvent } from '../../trace/events.js';
import type { TraceSink } from '../../trace/tracer.js';

/** A flow not yet over: its packets in flight, and the packets that name it (forgotten with it). */
interface Life {
  readonly flow: string;
  /** Its request was due (the traffic item's time came): before that, it is not over, whatever else holds. */
  started: boolean;
  inFlight: number;
  readonly pkts: number[];
}

/**
 * Knows when each flow of a run is over, so that its walk can be printed
 * and everything kept about it forgotten while the run goes on.
 *
 * A flow is over once nothing can add to it any more: it has started, none
 * of its packets is in flight, and no kernel object holds it
 * (kernel/flow-holds.ts: its TCP connections until they are gone, which
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
 * read by anyone (attach this sink first). Nothing that happens then or
 * later can be about it.
 *
 * Why holders and not the event queue: in a long run the queue is never
 * empty (the next sends, earlier flows' TIME_WAIT and neighbour timers), and
 * a queued timer does not say whose it is; the objects that can still act
 * for a flow do. test/scenarios checks on every scenario that each flow,
 * taken when this says it is over, has every event the whole trace gives it.
 */
export class FlowLife implements TraceSink {
  private readonly lives = new Map<string, Life>();
  /** Packets of flows not yet over, and those flows. */
  private readonly pktLives = new Map<number, Life[]>();
  /** Flows with nothing in flight, to look at once the clock has moved past the time they got there. */
  private readonly maybeOver = new Map<Life, number>();
  private lastT = 0;

  /** `now`: the simulated clock (a flow started, or let go by its last holder, when no event says so). */
  constructor(
    private readonly holds: FlowHolds,
    private readonly now: () => number,
    private readonly over: (flow: string) => void,
  ) {
    holds.onFree = (flow) => {
      const l = this.lives.get(flow);
      if (l && l.inFlight === 0) this.maybeOver.set(l, this.now());
    };
  }

  /** `flow`'s request is being sent now (its packets, if any, follow in this instant). */
  start(flow: string): void {
    const l = this.life(flow);
    l.started = true;
    if (l.inFlight === 0) this.maybeOver.set(l, this.now());
  }

  /** Flows started and not over yet (bounded by what is really in flight or held; a test counts it). */
  get open(): number {
    return this.lives.size;
  }

  /** Packets remembered (those of flows not over). */
  get packets(): number {
    return this.pktLives.size;
  }

  event(e: TraceEvent): void {
    if (e.t > this.lastT) {
      this.settle(e.t);
      this.lastT = e.t;
    }
    if (e.kind === 'create') {
      const lives: Life[] = [];
      // A packet naming a flow already over would open it again (never started, so over only at the end):
      // the caller sees the name twice (a test checks that never happens on any scenario).
      if (e.flow !== undefined) lives.push(this.life(e.flow));
      for (const l of e.cause === undefined ? [] : (this.pktLives.get(e.cause) ?? [])) if (!lives.includes(l)) lives.push(l);
      if (lives.length === 0) return;
      this.pktLives.set(e.pkt, lives);
      for (const l of lives) {
        l.inFlight++;
        l.pkts.push(e.pkt);
        this.maybeOver.delete(l);
      }
      return;
    }
    if (e.kind !== 'deliver' && e.kind !== 'drop') return;
    for (const l of this.pktLives.get(e.pkt) ?? []) if (--l.inFlight === 0) this.maybeOver.set(l, e.t);
  }

  /** The run is over: every flow still open is over now (their packets were ended by the run's end). */
  finish(): void {
    for (const l of this.lives.values()) this.maybeOver.set(l, -1);
    this.settle(Infinity, true);
  }

  /** Candidates that got there before `t` (a later instant): over, unless something took them up again. */
  private settle(t: number, all = false): void {
    if (this.maybeOver.size === 0) return;
    // In the order they became candidates: deterministic, and the caller prints in flow order anyway.
    for (const [l, since] of [...this.maybeOver]) {
      if (since >= t) continue;
      this.maybeOver.delete(l);
      if (!all && (!l.started || l.inFlight > 0 || this.holds.held(l.flow))) continue;
      this.lives.delete(l.flow);
      for (const p of l.pkts) {
        const rest = (this.pktLives.get(p) ?? []).filter((x) => x !== l);
        if (rest.length > 0) this.pktLives.set(p, rest);
        else this.pktLives.delete(p);
      }
      this.over(l.flow);
    }
  }

  private life(flow: string): Life {
    let l = this.lives.get(flow);
    if (!l) this.lives.set(flow, (l = { flow, started: false, inFlight: 0, pkts: [] }));
    return l;
  }
}
