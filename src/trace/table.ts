import Table from 'cli-table3';
import type { TraceEvent } from './events.js';
import { describeEvent, formatTime } from './format.js';

/** Hops as a table for people: time, packet, where, what. */
export function renderTable(events: readonly TraceEvent[]): string {
  const table = new Table({
    head: ['t (µs)', 'pkt', 'where', 'event'],
    style: { head: [], border: [], compact: true },
    wordWrap: false,
  });
  for (const e of events) table.push([formatTime(e.t), `#${e.pkt}`, e.at, describeEvent(e)]);
  return table.toString();
}
