import type { ReachabilityMatrix } from '../scenario/run/matrix.js';
import { fit, paint, type Terminal } from '../trace/view/terminal.js';

/** Pod names wider than this become numbered columns with a legend. */
const MAX_LABEL = 10;

/** Whether the table numbers its columns (some pod name is too long to head one): notes then name columns by number. */
export function numberedColumns(pods: readonly string[]): boolean {
  return pods.some((p) => p.length > MAX_LABEL);
}

/**
 * The truth table for people: rows are the client (from), columns the server
 * (to), columns aligned, `.`/`X`/`?` explained under it. With short names the
 * table keeps the upstream e2e layout (`-` in the corner, names on both
 * axes), so it can be pasted into a scenario's `matrix.expect`; with long
 * (generated) names the columns are numbered and the rows say which number
 * is which pod.
 */
export function renderMatrixTable(m: Pick<ReachabilityMatrix, 'pods' | 'cells'>, term: Terminal): string[] {
  const numbered = numberedColumns(m.pods);
  const cols = numbered ? m.pods.map((_, i) => String(i + 1)) : m.pods;
  const rowLabels = numbered ? m.pods.map((p, i) => `${String(i + 1).padStart(String(m.pods.length).length)} ${p}`) : m.pods;
  const rowW = Math.max('from ↓'.length, ...rowLabels.map((l) => l.length));
  const colW = Math.max(1, ...cols.map((c) => c.length));
  const cell = (s: string): string => s.padEnd(colW);
  const lines: string[] = [];
  lines.push(`${'from ↓'.padEnd(rowW)}  to →`);
  lines.push(`${'-'.padEnd(rowW)}  ${cols.map(cell).join(' ').trimEnd()}`);
  m.cells.forEach((row, i) => {
    const marks = row.map((c) => {
      const mark = c.skipped ? '?' : c.allowed ? '.' : 'X';
      return paint(term, mark === '.' ? 'good' : mark === 'X' ? 'bad' : 'note', mark) + ' '.repeat(colW - 1);
    });
    lines.push(`${rowLabels[i]!.padEnd(rowW)}  ${marks.join(' ').trimEnd()}`);
  });
  const legend = ['. allowed: the probe was delivered to the pod', 'X blocked: dropped, or delivered elsewhere'];
  const skipped = [...new Set(m.cells.flat().flatMap((c) => (c.skipped ? [c.skipped] : [])))];
  legend.push(skipped.length > 0 ? `? not probed: ${skipped.join('; ')}` : '? not probed (none here)');
  lines.push(...legend.flatMap((l) => fit(l, term, 2)));
  return lines;
}
