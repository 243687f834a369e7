import type { NftType, Range } from './datatypes.js';
import { compareKeys } from './element-order.js';

/**
 * The elements an interval set keeps, as nft (1.0.6) sends them to the kernel
 * and so lists them back: ranges that overlap or touch become one, whatever was
 * written (`{ 10.0.0.0/24, 10.0.1.0/24 }` is `{ 10.0.0.0/23 }`,
 * `{ 192.168.56.0/24, 192.168.56.100 }` is `{ 192.168.56.0/24 }`, `{ 80, 81,
 * 90-100 }` is `{ 80-81, 90-100 }`). An anonymous set is an interval set when
 * one of its elements is written as a prefix or range (`5.5.5.5/32` counts);
 * nft always merges those. A named `flags interval` set merges only with
 * `auto-merge`; without it an overlap is an error and touching ranges stay
 * apart. Concatenated keys are never merged. Checked on nft 1.0.6, Linux 6.18.
 */
export function mergeIntervals(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.lo - b.lo);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.lo <= last.hi + 1) last.hi = Math.max(last.hi, r.hi);
    else out.push({ lo: r.lo, hi: r.hi });
  }
  return out;
}

/** Whether two ranges share a value. */
export function overlaps(a: Range, b: Range): boolean {
  return a.lo <= b.hi && b.lo <= a.hi;
}

/** Whether two ranges share a value or one ends right where the other starts (auto-merge joins both). */
export function touches(a: Range, b: Range): boolean {
  return a.lo <= b.hi + 1 && b.lo <= a.hi + 1;
}

/**
 * The keys of an anonymous set in a rule as nft lists them: merged when it is
 * an interval set of one component, else each distinct key once (`{ 10.0.0.5,
 * 10.0.0.5 }` is `{ 10.0.0.5 }`), in nft's order.
 */
export function anonymousKeys(types: readonly NftType[], keys: readonly Range[][], interval: boolean): Range[][] {
  if (interval && types.length === 1) return mergeIntervals(keys.map((k) => k[0]!)).map((r) => [r]);
  const seen = new Map<string, Range[]>();
  for (const k of keys) seen.set(k.map((r) => `${r.lo}-${r.hi}`).join(','), k);
  return [...seen.values()].sort((x, y) => compareKeys(types, x, y));
}
