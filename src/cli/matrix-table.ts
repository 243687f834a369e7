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
  const marks = m.cells.map((row) =>
    row.map((c) => {
      const mark = c.skipped ? '?' : c.allowed ? '.' : 'X';
      return paint(term, mark === '.' ? 'good' : mark === 'X' ? 'bad' : 'note', mark) + ' '.repeat(colW - 1);
    }),
  );
  // On a terminal too narrow for every column, the columns come in parts that each fit, every part with
  // the row labels again (a row wrapped by the terminal loses its alignment). Piped output is one table.
  const fits = Math.max(1, term.width === undefined ? cols.length : Math.floor((term.width - rowW - 2 + 1) / (colW + 1)));
  // Parts of even size: 44 columns where 14 fit are 11 + 11 + 11 + 11, not 14 + 14 + 14 + 2.
  const perPart = Math.max(1, Math.ceil(cols.length / Math.ceil(cols.length / fits)));
  const lines: string[] = [];
  for (let first = 0; first < cols.length || first === 0; first += perPart) {
    const last = Math.min(cols.length, first + perPart);
    if (first > 0) lines.push('');
    lines.push(...fit(`${'from ↓'.padEnd(rowW)}  to →${last - first < cols.length ? ` (columns ${first + 1}-${last} of ${cols.length})` : ''}`, term, rowW + 2));
    lines.push(`${'-'.padEnd(rowW)}  ${cols.slice(first, last).map(cell).join(' ').trimEnd()}`);
    marks.forEach((row, i) => lines.push(`${rowLabels[i]!.padEnd(rowW)}  ${row.slice(first, last).join(' ').trimEnd()}`));
  }
  const legend = ['. allowed: the probe was delivered to the pod', 'X blocked: dropped, or delivered elsewhere'];
  const skipped = [...new Set(m.cells.flat().flatMap((c) => (c.skipped ? [c.skipped] : [])))];
  legend.push(skipped.length > 0 ? `? not probed: ${skipped.join('; ')}` : '? not probed (none here)');
  lines.push(...legend.flatMap((l) => fit(l, term, 2)));
  return lines;
}
