import type { ChangeEvent, TraceEvent } from '../../trace/events.js';
import type { FlowSink } from '../run/flow-stream.js';

/**
 * The events the walk view shows per flow, gathered as the run goes: a
 * flow's packets (tagged with the flow at creation) and what its request
 * caused, even packets the kernel files under the connection's first flow
 * (the answer to a reused connection's segment); and the `change` events
 * (the timeline of steps). Only the flows asked for are gathered, and `take` hands a flow's
 * events over and forgets them and its packets: the rest of the trace is never kept, and a
 * flow taken once it is over (scenario/run/flow-life.ts) leaves nothing behind.
 */
export class WalkEvents implements FlowSink {
  /** Packets descending from a followed request: the flows whose request they descend from. */
  private readonly descendants = new Map<number, string[]>();
  /** Followed flows' packets by the flow their creation names. */
  private readonly tagged = new Map<number, string>();
  private readonly requests = new Map<number, string>();
  private readonly byFlow = new Map<string, TraceEvent[]>();
  /** Packets that name each followed flow in `descendants` or `tagged` (forgotten with it). */
  private readonly pktsOf = new Map<string, number[]>();
  readonly changes: ChangeEvent[] = [];

  /** `follows`: whether a flow's events are wanted (the run's flows, or those `--flow` selects). */
  constructor(private readonly follows: (flow: string) => boolean) {}

  /** From a kept trace and its flows' request packets (the HTML page). */
  static fromTrace(events: readonly TraceEvent[], flows: readonly { flow: string; pkt: number | undefined }[]): WalkEvents {
    const names = new Set(flows.map((f) => f.flow));
    const w = new WalkEvents((f) => names.has(f));
    for (const f of flows) if (f.pkt !== undefined) w.request(f.flow, f.pkt);
    for (const e of events) w.event(e);
    return w;
  }

  request(flow: string, pkt: number): void {
    if (this.follows(flow)) this.requests.set(pkt, flow);
  }

  event(e: TraceEvent): void {
    if (e.kind === 'change') this.changes.push(e);
    if (e.kind === 'create') {
      // The walk has always followed what a request caused through packets not tagged with its own flow
      // (a packet tagged with it is shown, but what it causes is not followed): kept so walks stay the same.
      const from = new Set((e.cause === undefined ? [] : (this.descendants.get(e.cause) ?? [])).filter((f) => f !== e.flow));
      const request = this.requests.get(e.pkt);
      if (request !== undefined) {
        from.add(request);
        this.requests.delete(e.pkt);
      }
      if (from.size > 0) this.descendants.set(e.pkt, [...from]);
      for (const f of from) this.note(f, e.pkt);
      if (e.flow !== undefined && this.follows(e.flow)) {
        this.tagged.set(e.pkt, e.flow);
        this.note(e.flow, e.pkt);
      }
    }
    const tag = this.tagged.get(e.pkt);
    if (tag !== undefined) this.add(tag, e);
    for (const f of this.descendants.get(e.pkt) ?? []) if (f !== tag) this.add(f, e);
  }

  /** Events held now, over all flows (a test checks only the flows asked for are kept). */
  get held(): number {
    let n = this.changes.length;
    for (const list of this.byFlow.values()) n += list.length;
    return n;
  }

  /** Packets remembered now (a test checks a flow taken leaves none behind). */
  get packets(): number {
    return new Set([...this.tagged.keys(), ...this.descendants.keys()]).size;
  }

  /**
   * A flow's events, in trace order; forgotten here once taken, with its
   * packets (take a flow once nothing can add to it: at the end, or once it is over).
   */
  take(flow: string): TraceEvent[] {
    const events = this.byFlow.get(flow) ?? [];
    this.byFlow.delete(flow);
    for (const p of this.pktsOf.get(flow) ?? []) {
      if (this.tagged.get(p) === flow) this.tagged.delete(p);
      const rest = (this.descendants.get(p) ?? []).filter((f) => f !== flow);
      if (rest.length > 0) this.descendants.set(p, rest);
      else this.descendants.delete(p);
    }
    this.pktsOf.delete(flow);
    return events;
  }

  private note(flow: string, pkt: number): void {
    let list = this.pktsOf.get(flow);
    if (!list) this.pktsOf.set(flow, (list = []));
    list.push(pkt);
  }

  private add(flow: string, e: TraceEvent): void {
    let list = this.byFlow.get(flow);
    if (!list) this.byFlow.set(flow, (list = []));
    list.push(e);
  }
}
