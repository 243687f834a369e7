/**
 * Small formatting helpers shared by the benchmark's console tables and its
 * Markdown report (pure functions: unit-tested in test/bench/report.test.ts).
 */

/** Median of a sample (NaN for none): the figure a noisy, shared machine reports best. */
export function median(xs: readonly number[]): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** 12345.6 → "12,346"; not a number → "–". */
export const int = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en') : '–');

/** A fixed-point figure, "–" when there is none. */
export const fixed = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** a / b as "0.47×"; "–" when either side is missing (ns-3 skipped) or b is 0. */
export function ratio(a: number, b: number): string {
  const r = a / b;
  return Number.isFinite(r) && b > 0 ? `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×` : '–';
}

/** Bytes as MiB, whole. */
export const mib = (bytes: number): string => int(bytes / 2 ** 20);

/** A min–max range of load averages, as the report quotes it. */
export function range(xs: readonly number[]): string {
  const v = xs.filter((x) => Number.isFinite(x));
  if (v.length === 0) return '–';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return lo === hi ? lo.toFixed(2) : `${lo.toFixed(2)}–${hi.toFixed(2)}`;
}

/**
 * A Markdown table. `align` gives each column's alignment ('r' for figures);
 * a `|` inside a cell is escaped so that it cannot split the row.
 */
export function table(head: readonly string[], rows: readonly (readonly (string | number)[])[], align: readonly ('l' | 'r')[] = []): string[] {
  const cell = (x: string | number): string => String(x).replace(/\|/g, '\\|');
  const line = (cells: readonly (string | number)[]): string => `| ${cells.map(cell).join(' | ')} |`;
  for (const r of rows) if (r.length !== head.length) throw new Error(`table row has ${r.length} cells, head has ${head.length}: ${r.join(' | ')}`);
  return [line(head), `|${head.map((_, i) => (align[i] === 'r' ? '---:' : '---')).join('|')}|`, ...rows.map(line)];
}
