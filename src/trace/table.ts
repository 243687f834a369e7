import Table from 'cli-table3';
import type { TraceEvent } from './events.js';
import { describeEvent, formatTime } from './format.js';

/**
 * Hops as a table for people: time, packet, where, what. With `width` (a
 * terminal's columns) the where and event columns wrap inside their cells so
 * no row is wider than the terminal; without it rows are as wide as they need.
 */
export function renderTable(events: readonly TraceEvent[], width?: number): string {
  const rows = events.map((e) => [formatTime(e.t), `#${e.pkt}`, e.at, describeEvent(e)]);
  if (width === undefined) {
    const table = new Table({ head: ['t (µs)', 'pkt', 'where', 'event'], style: { head: [], border: [], compact: true }, wordWrap: false });
    for (const r of rows) table.push(r);
    return table.toString();
  }
  // Each column as wide as its longest cell (or its heading), plus padding; the where column as wide as its longest
  // place while the event column keeps half the line; the event column takes the rest.
  const t = Math.max(6, ...rows.map((r) => r[0]!.length)) + 2;
  const p = Math.max(3, ...rows.map((r) => r[1]!.length)) + 2;
  const longest = Math.max(5, ...rows.map((r) => r[2]!.length)) + 2;
  const where = Math.max(9, Math.min(longest, width - t - p - 5 - Math.max(20, Math.floor(width / 2))));
  const event = Math.max(20, width - t - p - where - 5);
  const table = new Table({
    head: ['t (µs)', 'pkt', 'where', 'event'],
    colWidths: [t, p, where, event],
    style: { head: [], border: [], compact: true },
    wordWrap: true,
    // Break at spaces, so that an address or a device name stays whole; only a word longer than its cell is cut.
    wrapOnWordBoundary: true,
  });
  for (const r of rows) table.push(r);
  return table.toString();
}
