import type { Rule } from './rule.js';

/**
 * Skipping, in a long chain, the rules a packet's destination address cannot
 * match — still counting them as evaluated.
 *
 * The kernel walks kube-proxy's KUBE-SERVICES linearly: with 10,000 Services a
 * new connection is compared with every `-d VIP/32` rule before its own, and
 * the trace reports how many rules that was. The simulator must report the
 * same count, but need not pay for each comparison: a rule whose header says
 * `-d A/32` (not negated) fails on its first test for every destination other
 * than A, before any match, counter or side effect. So a chain remembers, per
 * such address, where its rules are, and where the rules of any other kind
 * are; a walk jumps from one candidate to the next and adds the distance to
 * its count. Which rule matches, and in what order, is unchanged.
 *
 * Built on a chain's first walk after the table's commit (chains are never
 * changed once committed), and only for chains long enough to gain from it.
 */
export interface DstIndex {
  /** Rule positions (ascending) of the `-d A/32` rules, by A. */
  readonly exact: Map<number, readonly number[]>;
  /** For each position i (and the chain's length), the first position >= i of a rule not in `exact`. */
  readonly nextOther: Int32Array;
}

/** Shorter chains are walked rule by rule: the index would cost more than it saves. */
export const MIN_INDEXED_RULES = 32;

const NONE: readonly number[] = [];

/** The index of a committed chain's rules, or null when not worth building (too short, or too few `-d A/32` rules). */
export function buildDstIndex(rules: readonly Rule[]): DstIndex | null {
  const n = rules.length;
  if (n < MIN_INDEXED_RULES) return null;
  const exact = new Map<number, number[]>();
  const nextOther = new Int32Array(n + 1);
  let indexed = 0;
  nextOther[n] = n;
  for (let i = n - 1; i >= 0; i--) {
    const r = rules[i]!;
    if (r.dstMask === 0xffffffff && !r.dstNeg) {
      nextOther[i] = nextOther[i + 1]!;
      indexed++;
    } else nextOther[i] = i;
  }
  // Half the chain at least: otherwise most steps land on an unindexed rule anyway.
  if (indexed * 2 < n) return null;
  for (let i = 0; i < n; i++) {
    const r = rules[i]!;
    if (nextOther[i] === i) continue;
    let at = exact.get(r.dstNet >>> 0);
    if (!at) exact.set(r.dstNet >>> 0, (at = []));
    at.push(i);
  }
  return { exact, nextOther };
}

/** The positions of the `-d dst/32` rules (ascending; empty when there are none). */
export function exactFor(ix: DstIndex, dst: number): readonly number[] {
  return ix.exact.get(dst >>> 0) ?? NONE;
}

/**
 * The first position >= from whose rule may match a packet to the address
 * whose exact positions are `mine`: the next of those, or the next rule of
 * another kind, whichever comes first (the chain's length when none).
 */
export function nextCandidate(ix: DstIndex, mine: readonly number[], from: number): number {
  const other = ix.nextOther[from]!;
  // The first of `mine` at or after `from` (binary search: a VIP with many ports has many rules).
  let lo = 0;
  let hi = mine.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (mine[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < mine.length && mine[lo]! < other ? mine[lo]! : other;
}
