import { RuleError } from './match.js';
import type { DstIndex } from './dst-index.js';
import type { Rule } from './rule.js';
import { T_GOTO, T_JUMP } from './target.js';
import type { Counters, Hook, TableName } from './types.js';

/** The built-in chains of each table, in the order iptables-save lists them. */
export const BUILTIN: Readonly<Record<TableName, readonly Hook[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

const HOOK_BIT: Readonly<Record<Hook, number>> = { PREROUTING: 1, INPUT: 2, FORWARD: 4, OUTPUT: 8, POSTROUTING: 16 };

export interface Chain {
  readonly name: string;
  readonly builtin: boolean;
  policy: 'ACCEPT' | 'DROP';
  rules: Rule[];
  /** For each rule, the chain a jump/goto leads to (resolved at commit; the walk follows it). */
  next: (Chain | undefined)[];
  /** Built-in chains: packets and bytes that met the policy (`:INPUT ACCEPT [pkts:bytes]`); a --noflush copy shares them. */
  readonly counters: Counters;
  /** The walk's shortcut past rules for other destinations (dst-index.ts): undefined until the first walk after commit, null when not worth it. */
  dstIndex: DstIndex | null | undefined;
}

export type Table = Map<string, Chain>;

export function newChain(name: string, builtin: boolean): Chain {
  return { name, builtin, policy: 'ACCEPT', rules: [], next: [], counters: { pkts: 0, bytes: 0 }, dstIndex: undefined };
}

export function emptyTable(t: TableName): Table {
  return new Map(BUILTIN[t].map((h) => [h, newChain(h, true)]));
}

/** A working copy for iptables-restore --noflush: chains copied, rules shared (they are immutable). */
export function cloneTable(t: Table): Table {
  return new Map([...t].map(([k, c]) => [k, { ...c, rules: [...c.rules], next: [], dstIndex: undefined }]));
}

/**
 * What translate_table checks when a table is committed: every jump leads to
 * an existing chain, no chain is re-entered from itself (ELOOP) and targets
 * restricted to some hooks are reachable only from those. Chains no
 * built-in chain reaches are not checked, as in mark_source_chains. Then
 * jumps are resolved to chain objects for the walk.
 */
export function commitTable(table: TableName, t: Table): void {
  // Per chain, the hooks it was reached from as a bit mask (tens of thousands of kube-proxy chains: no Set each).
  const hooksOf = new Map<Chain, number>();
  const onPath = new Set<Chain>();
  const visit = (c: Chain, hook: Hook): void => {
    if (onPath.has(c)) throw new RuleError(`Too many levels of symbolic links (chain ${c.name} jumps back into itself)`);
    const bit = HOOK_BIT[hook];
    const seen = hooksOf.get(c) ?? 0;
    if ((seen & bit) !== 0) return;
    hooksOf.set(c, seen | bit);
    onPath.add(c);
    for (const r of c.rules) {
      const tg = r.target;
      if (tg.hooks && !tg.hooks.includes(hook)) {
        throw new RuleError(`${r.text} (line ${r.line}): target used from hook ${hook}, only valid in ${tg.hooks.join(', ')} (${table} table)`);
      }
      if (tg.kind === T_JUMP || tg.kind === T_GOTO) {
        const to = t.get(tg.chain!);
        if (!to) throw new RuleError(`chain ${tg.chain!} does not exist (jumped to from ${c.name})`);
        visit(to, hook);
      }
    }
    onPath.delete(c);
  };
  for (const h of BUILTIN[table]) visit(t.get(h)!, h);
  for (const c of t.values()) {
    c.next = c.rules.map((r) => (r.target.kind === T_JUMP || r.target.kind === T_GOTO ? t.get(r.target.chain!) : undefined));
    c.dstIndex = undefined;
    for (const r of c.rules) if (r.target.chain !== undefined && !t.has(r.target.chain)) throw new RuleError(`chain ${r.target.chain} does not exist (jumped to from ${c.name})`);
  }
}

/** How many rules jump or go to `name`. */
export function references(t: Table, name: string): number {
  let n = 0;
  for (const c of t.values()) for (const r of c.rules) if (r.target.chain === name) n++;
  return n;
}
