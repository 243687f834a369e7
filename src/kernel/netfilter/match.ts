import type { IpSets } from './ipset.js';
import type { RecentLists } from './recent-lists.js';
import type { NfEnv, NfPacket } from './types.js';

/**
 * A compiled `-m NAME ...`: tests a packet, and prints itself as
 * iptables-save does (starting with `-m NAME`).
 */
export interface Match {
  readonly module: string;
  /** Always true (comment, nfacct, ...): left out of the evaluation list. */
  readonly inert: boolean;
  /** The ipset a set match reads (for `References:` and ipset destroy). */
  readonly setName?: string;
  /**
   * Bound to one namespace's state (its recent lists, its ipsets) or keeping
   * state of its own (`--mode nth`'s packet count): a rule holding such a
   * match is never shared between rule sets (shared-rules.ts).
   */
  readonly bound?: true;
  /**
   * The test reads the packet's source port (`--sport`, `--sports`, `--ports`,
   * a set looked up with `src`): only then is the source port part of the
   * fast path's walk key (walk-cache.ts), so that a client's new connections
   * to one Service share their walks.
   */
  readonly readsSport?: true;
  test(pkt: NfPacket, env: NfEnv): boolean;
  save(): string;
}

/** An option as given on the rule line: its arguments and whether `!` preceded it. */
export interface Opt {
  args: string[];
  neg: boolean;
}

/** Options of one module, keyed by their canonical name, in the order given. */
export type Opts = Map<string, Opt>;

export interface OptSpec {
  /** Number of arguments. */
  args: number;
  /** `!` allowed before it. */
  neg?: boolean;
  /** The long name iptables stores it under (`--destination-port` -> `--dport`). */
  alias?: string;
}

/** What a module sees while it compiles: the rule's protocol and the namespace's state. */
export interface MatchContext {
  /** The rule's `-p` (0 when absent) and whether it was negated. */
  protocol: number;
  protocolNeg: boolean;
  recent: RecentLists;
  sets: IpSets;
}

/** A match extension: its options and how it compiles them. */
export interface MatchModule {
  readonly name: string;
  readonly options: Readonly<Record<string, OptSpec>>;
  compile(opts: Opts, ctx: MatchContext): Match;
}

/** A load error with iptables' wording; the restore parser adds the line. */
export class RuleError extends Error {}

export const not = (neg: boolean): string => (neg ? '! ' : '');

export function required(o: Opts, key: string, module: string): Opt {
  const v = o.get(key);
  if (!v) throw new RuleError(`${module}: option "${key}" must be specified`);
  return v;
}

/** An unsigned decimal or 0x-hex integer within [0, max]. */
export function parseUint(s: string, max: number, what: string): number {
  const n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^[0-9]+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > max) throw new RuleError(`Bad ${what} "${s}"`);
  return n;
}

/** `V[/M]` as mark and MARK read it; the mask defaults to all ones. */
export function valueMask(s: string, what = 'mark value'): [number, number] {
  const slash = s.indexOf('/');
  const value = parseUint(slash < 0 ? s : s.slice(0, slash), 0xffffffff, what);
  const mask = slash < 0 ? 0xffffffff : parseUint(s.slice(slash + 1), 0xffffffff, what);
  return [value >>> 0, mask >>> 0];
}
