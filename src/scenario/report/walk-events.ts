import type { ChangeEvent, CreateEvent, TraceEvent } from '../../trace/events.js';
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
  /** Followed flows by name: their events so far and the packets that name them. */
  private readonly flows = new Map<string, Followed>();
  /** Packets of followed flows: the flow each is tagged with, the flows whose request it descends from. */
  private readonly pkts = new Map<number, Pkt>();
  private readonly requests = new Map<number, string>();
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
    const p = e.kind === 'create' ? this.created(e) : this.pkts.get(e.pkt);
    if (p === undefined) return;
    if (p.tag !== undefined) p.tag.events.push(e);
    if (p.from !== undefined) for (const f of p.from) if (f !== p.tag) f.events.push(e);
  }

  /** A packet is created: the followed flows it belongs to, remembered (none: undefined). */
  private created(e: CreateEvent): Pkt | undefined {
    // The walk has always followed what a request caused through packets not tagged with its own flow
    // (a packet tagged with it is shown, but what it causes is not followed): kept so walks stay the same.
    let from: Followed[] | undefined;
    const parent = e.cause === undefined ? undefined : this.pkts.get(e.cause)?.from;
    if (parent !== undefined) for (const f of parent) if (f.name !== e.flow) (from ??= []).push(f);
    const request = this.requests.get(e.pkt);
    if (request !== undefined) {
      const f = this.flow(request);
      if (!from?.includes(f)) (from ??= []).push(f);
      this.requests.delete(e.pkt);
    }
    const tag = e.flow !== undefined && this.follows(e.flow) ? this.flow(e.flow) : undefined;
    if (from === undefined && tag === undefined) return undefined;
    const p: Pkt = { tag, from };
    this.pkts.set(e.pkt, p);
    if (from !== undefined) for (const f of from) f.pkts.push(e.pkt);
    if (tag !== undefined) tag.pkts.push(e.pkt);
    return p;
  }

  /** Events held now, over all flows (a test checks only the flows asked for are kept). */
  get held(): number {
    let n = this.changes.length;
    for (const f of this.flows.values()) n += f.events.length;
    return n;
  }

  /** Packets remembered now (a test checks a flow taken leaves none behind). */
  get packets(): number {
    return this.pkts.size;
  }

  /**
   * A flow's events, in trace order; forgotten here once taken, with its
   * packets (take a flow once nothing can add to it: at the end, or once it is over).
   */
  take(flow: string): TraceEvent[] {
    const f = this.flows.get(flow);
    if (f === undefined) return [];
    this.flows.delete(flow);
    for (const pkt of f.pkts) {
      const p = this.pkts.get(pkt);
      if (p === undefined) continue;
      if (p.tag === f) p.tag = undefined;
      if (p.from !== undefined) {
        const i = p.from.indexOf(f);
        if (i >= 0) p.from.splice(i, 1);
        if (p.from.length === 0) p.from = undefined;
      }
      if (p.tag === undefined && p.from === undefined) this.pkts.delete(pkt);
    }
    return f.events;
  }

  private flow(name: string): Followed {
    let f = this.flows.get(name);
    if (f === undefined) this.flows.set(name, (f = { name, events: [], pkts: [] }));
    return f;
  }
}

/** A followed flow: its events in trace order, and the packets that name it (forgotten with it). */
interface Followed {
  readonly name: string;
  readonly events: TraceEvent[];
  readonly pkts: number[];
}

/** A packet of followed flows: the flow its creation names, the flows whose request it descends from. */
interface Pkt {
  tag: Followed | undefined;
  from: Followed[] | undefined;
}
