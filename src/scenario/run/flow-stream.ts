import type { TraceEvent } from '../../trace/events.js';
import type { TraceSink } from '../../trace/tracer.js';

/** Something that reads a run's events knowing which packet is which flow's request. */
export interface FlowSink {
  /** `pkt` is the request of `flow` (told before any event of it is read). */
  request(flow: string, pkt: number): void;
  event(e: TraceEvent): void;
}

/**
 * The trace as flow sinks read it: each event in order, and each flow's
 * request named before its first event. The kernel traces a request's first
 * hops before `send` returns its packet id, so events are held while a
 * request is being sent and handed on once it is known.
 */
export class FlowStream implements TraceSink {
  private readonly sinks: FlowSink[] = [];
  private held: TraceEvent[] | undefined;

  attach(sink: FlowSink): void {
    this.sinks.push(sink);
  }

  /** `send` sends the request of `flow` and returns its packet id (undefined: nothing was sent). */
  send(flow: string, send: () => number | undefined): number | undefined {
    const outer = this.held;
    const held: TraceEvent[] = [];
    this.held = held;
    let pkt: number | undefined;
    try {
      pkt = send();
      if (pkt !== undefined) for (const s of this.sinks) s.request(flow, pkt);
    } finally {
      this.held = outer;
      for (const e of held) this.event(e);
    }
    return pkt;
  }

  event(e: TraceEvent): void {
    if (this.held) this.held.push(e);
    else for (const s of this.sinks) s.event(e);
  }
}
