import { RuleError, not, type MatchModule } from './match.js';
import type { CtState, NfPacket } from './types.js';

/** Bits in the order libxt_conntrack prints them. */
const STATES: readonly CtState[] = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];
const STATUSES = ['EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'] as const;
export type CtStatus = (typeof STATUSES)[number];

/**
 * The contract's NfPacket has no conntrack status bits. A caller may add
 * `ctstatus` to the packet object (this extension); without it the status is
 * inferred from the state: a NEW packet's entry is not yet confirmed, an
 * ESTABLISHED one has seen a reply and is confirmed, RELATED was expected.
 */
export interface NfPacketCtStatus extends NfPacket {
  ctstatus?: readonly CtStatus[];
}

const BIT_OF_STATE: Record<string, number> = Object.fromEntries(STATES.map((s, i) => [s, 1 << i]));

function parseList<T extends string>(s: string, known: readonly T[], what: string): number {
  let bits = 0;
  for (const x of s.split(',')) {
    const i = known.indexOf(x as T);
    if (i < 0) throw new RuleError(`Bad ${what} "${x}"`);
    bits |= 1 << i;
  }
  return bits;
}

function format(bits: number, known: readonly string[]): string {
  return known.filter((_, i) => bits & (1 << i)).join(',');
}

function stateBits(p: NfPacket): number {
  let b = 0;
  for (const s of p.ctstate) b |= BIT_OF_STATE[s] ?? 0;
  return b;
}

function statusBits(p: NfPacketCtStatus): number {
  let b = 0;
  if (p.ctstatus) {
    for (const s of p.ctstatus) b |= 1 << STATUSES.indexOf(s);
    return b;
  }
  for (const s of p.ctstate) {
    if (s === 'ESTABLISHED') b |= 0b1010; // SEEN_REPLY | CONFIRMED
    if (s === 'RELATED') b |= 0b1001; // EXPECTED | CONFIRMED
  }
  return b;
}

/** conntrack: --ctstate (any of the packet's states in the list) and --ctstatus (any bit set). */
export const conntrackModule: MatchModule = {
  name: 'conntrack',
  options: { '--ctstate': { args: 1, neg: true }, '--ctstatus': { args: 1, neg: true } },
  compile(o) {
    const st = o.get('--ctstate');
    const ss = o.get('--ctstatus');
    if (!st && !ss) throw new RuleError('conntrack: At least one option is required');
    const want = st ? parseList(st.args[0]!, STATES, 'ctstate') : 0;
    const wantStatus = ss ? (ss.args[0] === 'NONE' ? 0 : parseList(ss.args[0]!, STATUSES, 'ctstatus')) : 0;
    const stNeg = st?.neg ?? false;
    const ssNeg = ss?.neg ?? false;
    const parts = ['-m conntrack'];
    if (st) parts.push(`${not(stNeg)}--ctstate ${format(want, STATES)}`);
    if (ss) parts.push(`${not(ssNeg)}--ctstatus ${wantStatus === 0 ? 'NONE' : format(wantStatus, STATUSES)}`);
    const text = parts.join(' ');
    return {
      module: 'conntrack',
      inert: false,
      test(p) {
        if (st && ((stateBits(p) & want) !== 0) === stNeg) return false;
        if (ss) {
          const have = statusBits(p);
          const hit = wantStatus === 0 ? have === 0 : (have & wantStatus) !== 0;
          if (hit === ssNeg) return false;
        }
        return true;
      },
      save: () => text,
    };
  },
};
