import { TRACE_SCHEMA_VERSION, type TraceEvent } from './events.js';

/**
 * JSON Lines: a header line, then one event per line with keys in a fixed
 * order (as constructed), so the output is byte-stable for a given run; then
 * the `trailer` records (the per-flow summaries, `"kind":"flow"`).
 */
export function renderJsonLines(events: readonly TraceEvent[], header: Record<string, unknown>, trailer: readonly object[] = []): string {
  const lines = [JSON.stringify({ schema: 'podwalk-trace', version: TRACE_SCHEMA_VERSION, ...header })];
  for (const e of events) lines.push(JSON.stringify(e));
  for (const r of trailer) lines.push(JSON.stringify(r));
  return lines.join('\n') + '\n';
}
