import { copiersOf, deliverEvent, EventStore } from './event-store.js';
import type { CreateEvent, DeliverEvent, TraceEvent } from './events.js';
import { CreateFrameEvent, FrameEvent } from './framed.js';

/** Something that takes trace events as they happen (a JSON Lines writer, a flow summariser, a view that streams). */
export interface TraceSink {
  event(e: TraceEvent): void;
}

/**
 * Hands trace events to its sinks the moment they are emitted, so output is
 * written and flows are summarised while the run goes on. It also keeps the
 * events (`events`) unless told to `release` them: a run whose output is
 * streamed then holds no trace, and its memory does not grow with the
 * trace's length. Outcome events (`create`, `deliver`, `drop`) are always
 * emitted; the per-hop events only when `detailed` is on, so that a run with
 * tracing off pays nothing for describing frames it will never print.
 * Kept events are stored compactly until read (event-store.ts).
 */
export class Tracer {
  private kept: EventStore | undefined = new EventStore();
  private readonly sinks: TraceSink[] = [];

  constructor(readonly detailed: boolean = true) {}

  emit(event: TraceEvent): void {
    this.kept?.add(event);
    for (const s of this.sinks) s.event(event);
  }

  /**
   * Emit a device's `tx`/`rx` of `bytes` (which never change from now on):
   * kept as its parts, an object made only for the sinks.
   */
  emitFrame(kind: 'tx' | 'rx', t: number, pkt: number, at: string, bytes: Uint8Array, l3only: boolean): TraceEvent {
    const event = new FrameEvent(kind, t, pkt, at, bytes, l3only);
    this.kept?.addFrame(kind, t, pkt, at, bytes, l3only);
    for (const s of this.sinks) s.event(event);
    return event;
  }

  /** Emit a packet's `create` (its `bytes` never change from now on): kept as its parts. */
  emitCreate(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], bytes: Uint8Array, l3only: boolean): void {
    const event = new CreateFrameEvent(t, pkt, at, flow, cause, by, bytes, l3only);
    this.kept?.addCreate(t, pkt, at, flow, cause, by, bytes, l3only);
    for (const s of this.sinks) s.event(event);
  }

  /** Emit a packet's `deliver`: kept as its parts. */
  emitDeliver(t: number, pkt: number, at: string, to: DeliverEvent['to'], socket: string | undefined, src: string | undefined, sport: number | undefined): void {
    const event = deliverEvent(t, pkt, at, to, socket, src, sport);
    this.kept?.addDeliver(t, pkt, at, to, socket, src, sport);
    for (const s of this.sinks) s.event(event);
  }

  /**
   * Emit a copy of each plain event of `segment` for packet `pkt` at time
   * `t` (a recorded walk's hop events replayed for another packet), in order,
   * each also pushed onto `also` when given: kept as the segment and two
   * numbers, not as objects.
   */
  emitCopies(segment: readonly TraceEvent[], t: number, pkt: number, also: TraceEvent[] | undefined): void {
    if (segment.length === 0) return;
    const copy = copiersOf(segment);
    this.kept?.addCopies(segment, t, pkt);
    const sinks = this.sinks;
    for (let i = 0; i < segment.length; i++) {
      const event = copy[i]!(segment[i]!, t, pkt);
      for (let j = 0; j < sinks.length; j++) sinks[j]!.event(event);
      also?.push(event);
    }
  }

  /**
   * Every event so far, in order; only while they are kept. Read it again
   * after more events: the array returned grows at the next read, not while
   * the run goes on.
   */
  get events(): TraceEvent[] {
    if (!this.kept) throw new Error('the trace was not kept (the run streamed it to its sinks)');
    return this.kept.all();
  }

  /** Whether `events` is still available. */
  get keeping(): boolean {
    return this.kept !== undefined;
  }

  /** Stream events to `sink` from now on, after replaying those already emitted (cluster set-up) if they were kept. */
  attach(sink: TraceSink): void {
    for (const e of this.kept?.all() ?? []) sink.event(e);
    this.sinks.push(sink);
  }

  /** Stop keeping events (those so far are dropped): from now on only the sinks see them. */
  release(): void {
    this.kept = undefined;
  }
}
