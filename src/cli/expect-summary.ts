import type { Mismatch } from '../scenario/run/expect.js';
import { fit, paint, type Terminal } from '../trace/view/terminal.js';

/**
 * Distinct mismatches of one traffic item shown before the rest is counted (flows' mismatches can each read
 * differently: rtt values, retransmits); more than the 18 fields one flow can miss, so one flow is always whole.
 */
export const MAX_GROUPS_PER_ITEM = 20;
/** Runs of flow numbers named in a group's line before the rest is counted. */
const MAX_RUNS = 6;

export interface ExpectationCounts {
  /** Flows whose expectations were checked. */
  checked: number;
  /** Flows with expectations `--flow` did not select: not checked. */
  skipped: number;
}

/** One mismatch as read, and the flows of one traffic item it was found in. */
interface Group {
  item: string;
  m: Mismatch;
  flows: string[];
}

/**
 * The expectation summary at the end of a run. Unmet expectations of one
 * traffic item that read the same but for the flow (`count: 500`, each
 * request missing the same hop) are one block naming the flows
 * (`svc#1–#250, #252 (251 flows): via`), as repeated walks are folded into one;
 * at most MAX_GROUPS_PER_ITEM differing ones per item, then how many more.
 * With `--flow`, how many flows' expectations were left unchecked.
 */
export function expectationSummary(mismatches: readonly Mismatch[], counts: ExpectationCounts, itemOf: (flow: string) => string, term: Terminal): string[] {
  const notChecked = counts.skipped > 0 ? ` (--flow: ${counts.skipped} other flow(s) with expectations not checked)` : '';
  if (mismatches.length === 0 && counts.checked === 0) {
    return counts.skipped > 0 ? fit(`expectations: none on the flows --flow selects${notChecked}`, term, 4) : ['expectations: none given (add `expect:` to a traffic item to check it)'];
  }
  if (mismatches.length === 0) return fit(paint(term, 'good', `expectations: ${counts.checked} flow(s) checked, all met`) + notChecked, term, 4);
  const failed = new Set(mismatches.map((m) => m.flow)).size;
  const head = `expectations: ${mismatches.length} not met, in ${failed} of ${counts.checked} flow(s) checked`;
  const out = fit(paint(term, 'bad', head) + notChecked, term, 4);
  // Per item (in the order their first mismatch came), the mismatches that read alike, in the order they came.
  const items = new Map<string, Map<string, Group>>();
  for (const m of mismatches) {
    const item = itemOf(m.flow);
    let groups = items.get(item);
    if (!groups) items.set(item, (groups = new Map()));
    const key = JSON.stringify([m.field, m.expected, m.actual]);
    const g = groups.get(key);
    if (g) g.flows.push(m.flow);
    else groups.set(key, { item, m, flows: [m.flow] });
  }
  for (const [item, groups] of items) {
    const all = [...groups.values()];
    for (const g of all.slice(0, MAX_GROUPS_PER_ITEM)) {
      out.push(...fit(`  ${flowList(g.item, g.flows)}: ${g.m.field}`, term, 4), ...fit(`    expected: ${g.m.expected}`, term, 14), ...fit(`    actual:   ${g.m.actual}`, term, 14));
    }
    const rest = all.slice(MAX_GROUPS_PER_ITEM);
    if (rest.length === 0) continue;
    const flows = new Set(rest.flatMap((g) => g.flows)).size;
    const n = rest.reduce((k, g) => k + g.flows.length, 0);
    out.push(...fit(`  … and ${n} more of ${item}, in ${flows} flow(s), each reading differently (--flow ${item}#<k> shows one flow; --json lists every mismatch)`, term, 4));
  }
  return out;
}

/** `svc#3`, or `svc#1–#4, #7, #9–#12 (10 flows)`: the flow numbers as runs, at most MAX_RUNS of them, then `…`. */
export function flowList(item: string, flows: readonly string[]): string {
  if (flows.length === 1) return flows[0]!;
  const nums = flows.map((f) => (f.startsWith(`${item}#`) ? Number(f.slice(item.length + 1)) : NaN));
  if (nums.some((n) => !Number.isInteger(n))) return `${flows.slice(0, MAX_RUNS).join(', ')}${flows.length > MAX_RUNS ? ', …' : ''} (${flows.length} flows)`;
  const runs: [number, number][] = [];
  for (const n of nums) {
    const last = runs[runs.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else runs.push([n, n]);
  }
  const text = runs.slice(0, MAX_RUNS).map(([a, b]) => (a === b ? `#${a}` : `#${a}–#${b}`));
  return `${item}${text.join(', ')}${runs.length > MAX_RUNS ? ', …' : ''} (${flows.length} flows)`;
}
