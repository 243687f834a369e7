import { IpSets } from './ipset.js';
import { restore, NetfilterParseError } from './parse.js';
import { RecentLists } from './recent-lists.js';
import type { Rule } from './rule.js';
import type { SharedRules } from './shared-rules.js';
import { orderedChains, SAVE_ORDER, saveTables } from './save.js';
import { BUILTIN, type Table } from './table.js';
import { newWalkStack, walk } from './traverse.js';
import type { FlowRecording, Hook, NfEnv, NfPacket, TableName, Traversal } from './types.js';
import { tableReadsSport, WalkCache } from './walk-cache.js';
import { stateEpoch } from '../fastpath/state-epoch.js';

export { NetfilterParseError };

/** A chain as `iptables -S`/`-L` would show it. */
export interface ChainListing {
  name: string;
  builtin: boolean;
  /** Built-in chains only. */
  policy?: 'ACCEPT' | 'DROP';
  /** Rules in iptables-save form. */
  rules: string[];
  /** Rules elsewhere in the table that jump or go here. */
  references: number;
}

/**
 * The iptables rule set of one namespace (x_tables): tables with built-in
 * and user chains, loaded with iptables-restore text, printed as
 * iptables-save prints it, and walked for a packet on a hook. It also owns
 * the namespace's `-m recent` lists and ipsets.
 */
export class Netfilter {
  private readonly tables = new Map<TableName, Table>();
  readonly recent = new RecentLists();
  readonly ipsets = new IpSets();
  private readonly stack = newWalkStack();
  /** Per table, per hook: the built-in chain has no rules and policy ACCEPT (nested: no key string per packet). */
  private readonly idleHooks = new Map<TableName, Map<Hook, boolean>>();
  /** Bumped by every restore (tables, chains, rules): the fast path's cached walks depend on them. */
  generation = 0;
  /** The fast path's walks (walk-cache.ts), valid for one (rules, ipsets, routes, links) generation. */
  private readonly walks = new WalkCache();
  private readonly walksStamp = [-1, -1, -1, -1];
  /** Per table: does a rule read the source port (then it is part of the walk key)? */
  private readonly sportTables = new Map<TableName, boolean>();
  /** Set while the flow table records a packet's walk (../flowtable.ts): the counters bumped, and whether a walk was volatile. */
  flowRecording: FlowRecording | undefined;

  /** `shared`: rules parsed for other namespaces with the same lines (the nodes of one cluster; shared-rules.ts). */
  constructor(private readonly shared?: SharedRules) {}

  /**
   * iptables-restore [--noflush]. Throws NetfilterParseError with the 1-based
   * line; tables committed before the failing block stay committed.
   */
  restore(text: string, opts: { noflush?: boolean } = {}): void {
    // Even a failed restore may have committed some tables.
    this.generation++;
    stateEpoch.n++;
    this.sportTables.clear();
    restore({ tables: this.tables, recent: this.recent, sets: this.ipsets, ...(this.shared ? { shared: this.shared } : {}) }, text, opts.noflush ?? false, (name, table) => {
      this.tables.set(name, table);
      const idle = new Map<Hook, boolean>();
      for (const h of BUILTIN[name]) {
        const c = table.get(h)!;
        idle.set(h, c.rules.length === 0 && c.policy === 'ACCEPT');
      }
      this.idleHooks.set(name, idle);
      this.countSetReferences();
    });
  }

  /** iptables-save [-c] of every table loaded so far (see save.ts for the format). */
  save(opts: { counters?: boolean } = {}): string {
    return saveTables(this.tables, opts.counters ?? false);
  }

  /**
   * A packet met the policy of a built-in chain the walk skipped as idle
   * (no rules, policy ACCEPT): count it there, as the kernel's walk would.
   */
  countPolicy(table: TableName, hook: Hook, bytes: number): void {
    const c = this.tables.get(table)?.get(hook);
    if (!c?.builtin) return;
    c.counters.pkts++;
    c.counters.bytes += bytes;
    this.flowRecording?.counters.push(c.counters);
  }

  /**
   * The fast path: true when running this table on this hook cannot change
   * anything (no table, or its built-in chain is empty with policy ACCEPT).
   */
  idle(table: TableName, hook: Hook): boolean {
    return this.idleHooks.get(table)?.get(hook) ?? true;
  }

  /** Does the chain exist and hold at least one rule? */
  hasRules(table: TableName, chain: string): boolean {
    return (this.tables.get(table)?.get(chain)?.rules.length ?? 0) > 0;
  }

  /** Tables loaded so far. */
  tableNames(): TableName[] {
    return [...this.tables.keys()];
  }

  /** Chain names of a table in iptables-save order (empty when the table was never loaded). */
  chains(table: TableName): string[] {
    const t = this.tables.get(table);
    return t ? orderedChains(t).map((c) => c.name) : [];
  }

  /** Chains with their rules, for display (`iptables -t TABLE -S [CHAIN]`). */
  list(table: TableName, chain?: string): ChainListing[] {
    const t = this.tables.get(table);
    if (!t) return [];
    const refs = new Map<string, number>();
    for (const c of t.values()) for (const r of c.rules) if (r.target.chain) refs.set(r.target.chain, (refs.get(r.target.chain) ?? 0) + 1);
    return orderedChains(t)
      .filter((c) => chain === undefined || c.name === chain)
      .map((c) => ({ name: c.name, builtin: c.builtin, ...(c.builtin ? { policy: c.policy } : {}), rules: c.rules.map((r) => r.text), references: refs.get(c.name) ?? 0 }));
  }

  /** Visit every rule, table by table in iptables-save order, chains in their order (for import checks). */
  forEachRule(fn: (table: TableName, rule: Rule) => void): void {
    for (const name of SAVE_ORDER) {
      const t = this.tables.get(name);
      if (t) for (const c of orderedChains(t)) for (const r of c.rules) fn(name, r);
    }
  }

  /** Rule count, of one table or all. */
  ruleCount(table?: TableName): number {
    let n = 0;
    for (const [name, t] of this.tables) if (table === undefined || name === table) for (const c of t.values()) n += c.rules.length;
    return n;
  }

  /** Run the table's built-in chain for the hook (ACCEPT by policy when there is none). */
  traverse(table: TableName, hook: Hook, pkt: NfPacket, env: NfEnv): Traversal {
    const base = this.tables.get(table)?.get(hook);
    if (!base || !base.builtin) {
      return { table, hook, verdict: 'ACCEPT', matched: [], byPolicy: true, evaluated: 0 };
    }
    const fast = env.fast;
    if (!fast?.enabled) {
      this.stack.record = false;
      return walk(table, hook, base, pkt, env, this.stack);
    }
    const stamp = this.walksStamp;
    const fib = env.fibGeneration ?? 0;
    if (stamp[0] !== this.generation || stamp[1] !== this.ipsets.generation || stamp[2] !== fib || stamp[3] !== fast.linkGeneration) {
      this.walks.clear();
      stamp[0] = this.generation;
      stamp[1] = this.ipsets.generation;
      stamp[2] = fib;
      stamp[3] = fast.linkGeneration;
    }
    let sport = this.sportTables.get(table);
    if (sport === undefined) this.sportTables.set(table, (sport = tableReadsSport(this.tables.get(table)!.values())));
    const hit = this.walks.get(table, hook, pkt, sport);
    if (hit) {
      fast.hits++;
      pkt.mark = hit.markOut;
      const counted = hit.counted;
      for (let i = 0; i < counted.length; i++) {
        counted[i]!.pkts++;
        counted[i]!.bytes += pkt.length;
      }
      if (this.flowRecording) this.flowRecording.counters.push(...counted);
      return hit.result;
    }
    const markIn = pkt.mark;
    this.stack.record = true;
    const result = walk(table, hook, base, pkt, env, this.stack);
    if (!this.stack.volatile) this.walks.set(table, hook, pkt, markIn, sport, result, pkt.mark, this.stack.counted.slice());
    const rec = this.flowRecording;
    if (rec) {
      if (this.stack.volatile) rec.volatile = true;
      else rec.counters.push(...this.stack.counted);
    }
    return result;
  }

  private countSetReferences(): void {
    const counts = new Map<string, number>();
    for (const t of this.tables.values()) for (const c of t.values()) for (const r of c.rules) for (const m of r.matches) if (m.setName) counts.set(m.setName, (counts.get(m.setName) ?? 0) + 1);
    for (const name of this.ipsets.names()) this.ipsets.get(name)!.references = counts.get(name) ?? 0;
  }
}
