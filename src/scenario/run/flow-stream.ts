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
  /** An empty array kept for the next `send` (most sends are not nested): no array per request. */
  private spare: TraceEvent[] | undefined = [];

  attach(sink: FlowSink): void {
    this.sinks.push(sink);
  }

  /** `send(a, b)` sends the request of `flow` and returns its packet id (undefined: nothing was sent). */
  send<A, B>(flow: string, send: (a: A, b: B) => number | undefined, a: A, b: B): number | undefined {
    const outer = this.held;
    const held = this.spare ?? [];
    this.spare = undefined;
    this.held = held;
    let pkt: number | undefined;
    try {
      pkt = send(a, b);
      if (pkt !== undefined) for (const s of this.sinks) s.request(flow, pkt);
    } finally {
      this.held = outer;
      for (let i = 0; i < held.length; i++) this.event(held[i]!);
      // Emptied by pops: setting `length` is a call into the runtime, a pop or two is not.
      while (held.length > 0) held.pop();
      this.spare = held;
    }
    return pkt;
  }

  event(e: TraceEvent): void {
    if (this.held) this.held.push(e);
    else for (const s of this.sinks) s.event(e);
  }
}
