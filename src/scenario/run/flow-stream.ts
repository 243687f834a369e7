import { copiersOf, copyOf } from '../../trace/event-store.js';
import type { TraceEvent } from '../../trace/events.js';
import { FrameEvent } from '../../trace/framed.js';
import type { TraceSink } from '../../trace/tracer.js';

/** Something that reads a run's events knowing which packet is which flow's request. */
export interface FlowSink extends TraceSink {
  /** `pkt` is the request of `flow` (told before any event of it is read). */
  request(flow: string, pkt: number): void;
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

  /** A `tx`/`rx` by its parts (TraceSink.frame): an object made only to be held, or for a sink that reads events. */
  frame(kind: 'tx' | 'rx', t: number, pkt: number, at: string, bytes: Uint8Array, l3only: boolean): void {
    if (this.held) {
      this.held.push(new FrameEvent(kind, t, pkt, at, bytes, l3only));
      return;
    }
    let e: FrameEvent | undefined;
    for (const s of this.sinks) {
      if (s.frame !== undefined) s.frame(kind, t, pkt, at, bytes, l3only);
      else s.event((e ??= new FrameEvent(kind, t, pkt, at, bytes, l3only)));
    }
  }

  /** A replayed walk's hop events at once (TraceSink.copies): objects made only to be held, or for sinks that read events. */
  copies(segment: readonly TraceEvent[], t: number, pkt: number): void {
    const held = this.held;
    if (held) {
      const copy = copiersOf(segment);
      for (let i = 0; i < segment.length; i++) held.push(copy[i]!(segment[i]!, t, pkt));
      return;
    }
    let made: TraceEvent[] | undefined;
    for (const s of this.sinks) {
      if (s.copies !== undefined) s.copies(segment, t, pkt);
      else for (const e of (made ??= segment.map((x) => copyOf(x, t, pkt)))) s.event(e);
    }
  }
}
