import type { TraceEvent } from './events.js';

/** Something that takes trace events as they happen (a JSON Lines writer, a view that streams). */
export interface TraceSink {
  event(e: TraceEvent): void;
}

/**
 * Collects trace events. Outcome events (`create`, `deliver`, `drop`) are
 * always kept because verdicts and expectations are computed from them; the
 * per-hop events only when `detailed` is on, so that a run with tracing off
 * pays nothing for describing frames it will never print. Sinks see each
 * event the moment it is emitted, so output can be written while the run goes
 * on instead of as one string at the end.
 */
export class Tracer {
  readonly events: TraceEvent[] = [];
  private readonly sinks: TraceSink[] = [];

  constructor(readonly detailed: boolean = true) {}

  emit(event: TraceEvent): void {
    this.events.push(event);
    for (const s of this.sinks) s.event(event);
  }

  /** Stream events to `sink` from now on, after replaying those already emitted (cluster set-up). */
  attach(sink: TraceSink): void {
    for (const e of this.events) sink.event(e);
    this.sinks.push(sink);
  }
}
