import { TRACE_SCHEMA_VERSION, type TraceEvent } from './events.js';
import type { TraceSink } from './tracer.js';

/**
 * JSON Lines: a header line, then one event per line with keys in a fixed
 * order (as constructed), so the output is byte-stable for a given run; then
 * the `trailer` records (the per-flow summaries, `"kind":"flow"`).
 */
export function renderJsonLines(events: readonly TraceEvent[], header: Record<string, unknown>, trailer: readonly object[] = []): string {
  const lines = [headerLine(header)];
  for (const e of events) lines.push(JSON.stringify(e));
  for (const r of trailer) lines.push(JSON.stringify(r));
  return lines.join('\n') + '\n';
}

/** Chunk written at once: large enough that writes are few, small enough that nothing big is ever built. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The same JSON Lines, written while the run goes on: the header at once,
 * each event as it happens (in chunks), the trailer at `end`. Byte-identical
 * to `renderJsonLines` of the same run, without one string of the whole
 * trace (a 100,000-packet run's trace is larger than V8's string limit).
 */
export class JsonLinesSink implements TraceSink {
  private buf: string[] = [];
  private size = 0;

  constructor(
    private readonly write: (chunk: string) => void,
    header: Record<string, unknown>,
  ) {
    this.push(headerLine(header));
  }

  event(e: TraceEvent): void {
    this.push(JSON.stringify(e));
  }

  /** The run is over: the trailer records, each a JSON text already (one line each). */
  end(trailer: readonly string[] = []): void {
    for (const line of trailer) this.push(line);
    this.flush();
  }

  private push(line: string): void {
    this.buf.push(line);
    this.size += line.length + 1;
    if (this.size >= CHUNK_CHARS) this.flush();
  }

  private flush(): void {
    if (this.buf.length > 0) this.write(`${this.buf.join('\n')}\n`);
    this.buf = [];
    this.size = 0;
  }
}

function headerLine(header: Record<string, unknown>): string {
  return JSON.stringify({ schema: 'podwalk-trace', version: TRACE_SCHEMA_VERSION, ...header });
}
