import type { TraceEvent } from '../events.js';

/**
 * A TCP connection of the flow that timed out after its request was sent (a
 * keep-alive timeout, or retransmissions given up: tcp_write_err, ETIMEDOUT),
 * as one line: its event belongs to a later packet (the RST, a resent
 * segment) or to none, so neither the headline nor the request's hops tell it.
 */
export function connectionTimeout(flow: string, events: readonly TraceEvent[]): string | undefined {
  let end: Extract<TraceEvent, { kind: 'tcp' }> | undefined;
  for (const e of events) if (e.kind === 'tcp' && e.action === 'timeout' && e.flow === flow) end = e;
  return end === undefined ? undefined : `connection: timeout at ${(end.t / 1e9).toFixed(6)} s (${end.conn}): ${end.detail}`;
}
