import type { TraceEvent } from './events.js';

/**
 * Collects trace events. Outcome events (`create`, `deliver`, `drop`) are
 * always kept because verdicts and expectations are computed from them; the
 * per-hop events only when `detailed` is on, so that a run with tracing off
 * pays nothing for describing frames it will never print.
 */
export class Tracer {
  readonly events: TraceEvent[] = [];

  constructor(readonly detailed: boolean = true) {}

  emit(event: TraceEvent): void {
    this.events.push(event);
  }
}
