import type { FlowResult } from './flows.js';
import { refString } from './flows.js';
import type { Expectation } from './types.js';

/** One unmet expectation: what was expected and what happened. */
export interface Mismatch {
  flow: string;
  field: 'verdict' | 'deliveredTo' | 'seenSource' | 'dropReason' | 'via';
  expected: string;
  actual: string;
}

/** Compare a flow with its expectation; an empty list means it passed. */
export function checkExpectation(r: FlowResult, e: Expectation): Mismatch[] {
  const out: Mismatch[] = [];
  const miss = (field: Mismatch['field'], expected: string, actual: string): void => {
    out.push({ flow: r.flow, field, expected, actual });
  };
  if (e.verdict && e.verdict !== r.verdict) miss('verdict', e.verdict, r.verdict + (r.dropReason ? ` (${r.dropReason}: ${r.dropDetail ?? ''})` : ''));
  if (e.deliveredTo) {
    const wanted = e.deliveredTo.map(refString);
    if (!r.deliveredTo || !wanted.includes(r.deliveredTo)) miss('deliveredTo', wanted.join(' | '), r.deliveredTo ?? 'not delivered');
  }
  if (e.seenSource !== undefined && e.seenSource !== r.seenSource) miss('seenSource', e.seenSource, r.seenSource ?? 'not delivered');
  if (e.dropReason !== undefined && e.dropReason !== r.dropReason) miss('dropReason', e.dropReason, r.dropReason ?? `none (${r.verdict})`);
  if (e.via) {
    const missing = firstMissing(e.via, r.path);
    if (missing !== undefined) miss('via', e.via.join(' -> '), `${r.path.join(' -> ')}  (first missing: ${missing})`);
  }
  return out;
}

/** The first element of `want` not found, in order, as a subsequence of `have`. */
export function firstMissing(want: readonly string[], have: readonly string[]): string | undefined {
  let i = 0;
  for (const w of want) {
    while (i < have.length && have[i] !== w) i++;
    if (i >= have.length) return w;
    i++;
  }
  return undefined;
}
