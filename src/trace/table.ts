import type { TraceEvent } from './events.js';
import { describeEvent, formatTime } from './format.js';
import { fit, visibleWidth } from './view/terminal.js';

/**
 * Hops as a table for people: time, packet, where, what. With `width` (a
 * terminal's columns) the where and event columns wrap inside their cells so
 * no row is wider than the terminal; without it rows are as wide as they need.
 */
export function renderTable(events: readonly TraceEvent[], width?: number): string {
  const rows = events.map((e) => [formatTime(e.t), `#${e.pkt}`, e.at, describeEvent(e)]);
  if (width === undefined) return drawTable(HEAD, rows);
  // Each column as wide as its longest cell (or its heading), plus padding; the where column as wide as its longest
  // place while the event column keeps half the line; the event column takes the rest.
  const t = Math.max(6, ...rows.map((r) => r[0]!.length)) + 2;
  const p = Math.max(3, ...rows.map((r) => r[1]!.length)) + 2;
  const longest = Math.max(5, ...rows.map((r) => r[2]!.length)) + 2;
  const where = Math.max(9, Math.min(longest, width - t - p - 5 - Math.max(20, Math.floor(width / 2))));
  const event = Math.max(20, width - t - p - where - 5);
  // Cells are wrapped here, at spaces, so that an address or a device name stays whole (only
  // a word longer than its cell is cut), a rule's continuation indented under the rule.
  const cell = (text: string, room: number): string =>
    text
      .split('\n')
      .flatMap((l) => fit(l, { width: room, colour: false }, (/^ */.exec(l)?.[0].length ?? 0) + 2))
      .join('\n');
  return drawTable(
    HEAD,
    rows.map((r) => [r[0]!, r[1]!, place(r[2]!, where - 2), cell(r[3]!, event - 2)]),
    [t, p, where, event],
  );
}

const HEAD = ['t (µs)', 'pkt', 'where', 'event'];

/**
 * The table in box-drawing characters, one `│ cell │` per column, a line under the heading, cells of several
 * lines side by side (cli-table3's compact style, byte for byte). Drawn here rather than by cli-table3, whose
 * time grows with the cube of a cell's lines (a netfilter event of 30 wrapped lines took seconds); its word
 * wrap also miscounted an indented line and cut it with …. `widths`: each column's, padding included (a
 * line wider is cut at the edge); without, each as wide as its widest line.
 */
function drawTable(head: readonly string[], rows: readonly (readonly string[])[], widths?: readonly number[]): string {
  const all = [head, ...rows].map((r) => r.map((c) => c.split('\n')));
  const w = widths ?? head.map((_, i) => Math.max(...all.map((r) => Math.max(...r[i]!.map(visibleWidth)))) + 2);
  const rule = (l: string, m: string, r: string): string => `${l}${w.map((n) => '─'.repeat(n)).join(m)}${r}`;
  const line = (cells: readonly (readonly string[])[]): string[] => {
    const height = Math.max(...cells.map((c) => c.length));
    return Array.from({ length: height }, (_, k) => `│${cells.map((c, i) => ` ${pad(c[k] ?? '', w[i]! - 2)} `).join('│')}│`);
  };
  return [rule('┌', '┬', '┐'), ...line(all[0]!), rule('├', '┼', '┤'), ...all.slice(1).flatMap(line), rule('└', '┴', '┘')].join('\n');
}

/** `s` padded with spaces to `n` columns (cut at `n` when wider). */
function pad(s: string, n: number): string {
  const v = visibleWidth(s);
  if (v <= n) return s + ' '.repeat(n - v);
  return fit(s, { width: n, colour: false })[0]!.padEnd(n);
}

/**
 * A place too long for its cell, in lines of at most `room` columns: broken
 * where it reads best (after a space, after `/` or `-`, before `:`, so
 * `default/frontend` and `:eth0` go on separate lines rather than `:e` and
 * `th0`), continuation lines indented by 2; a piece longer than the room is cut.
 */
function place(text: string, room: number): string {
  if (visibleWidth(text) <= room) return text;
  const pieces = text.split(/(?<=[ /-])|(?=:)/);
  const lines: string[] = [];
  let cur = '';
  for (let piece of pieces) {
    while (visibleWidth(cur + piece) > room) {
      if (cur.trim() !== '') {
        lines.push(cur.trimEnd());
        cur = '  ';
        continue;
      }
      // A piece wider than a whole line: cut it (fit cuts at the room's edge).
      const [head, ...rest] = fit(piece, { width: room - cur.length, colour: false });
      lines.push(cur + head!);
      cur = '  ';
      piece = rest.join('');
    }
    cur += piece;
  }
  if (cur.trim() !== '') lines.push(cur.trimEnd());
  return lines.join('\n');
}
