import type { MatchState } from './matches.js';
import { headerMatches, parseRule, RuleError, type Rule } from './rule.js';
import { splitArgs } from './rule-text.js';
import type { Hook, MatchedRule, NfEnv, NfPacket, TableName, Traversal } from './types.js';

/** The built-in chains of each table, in the order iptables-save lists them. */
const BUILTIN: Record<TableName, readonly Hook[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};
const TABLES = Object.keys(BUILTIN) as TableName[];
/** The kernel refuses deeper jump nesting (XT_MAX_... / ELOOP); iptables-restore reports it at load time. */
const MAX_DEPTH = 64;

interface Chain {
  name: string;
  builtin: boolean;
  policy: 'ACCEPT' | 'DROP';
  rules: Rule[];
}

type Tables = Map<TableName, Map<string, Chain>>;

/** iptables-restore failed: the line (1-based) and iptables-restore's kind of message. */
export class NetfilterParseError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`iptables-restore: line ${line} failed: ${reason}`);
  }
}

/**
 * The iptables rule set of one namespace (x_tables): tables with built-in
 * and user chains, loaded with iptables-restore text, printed as
 * iptables-save prints it, and walked for a packet on a hook.
 */
export class Netfilter {
  private tables: Tables = new Map();
  /** Tables in the order they were first used (the order iptables-save prints them). */
  private order: TableName[] = [];
  private readonly state: MatchState = { recent: new Map() };

  /**
   * iptables-restore [--noflush]. Each `*table` ... `COMMIT` block is applied
   * atomically; without noflush the table is replaced, with noflush a `:CHAIN`
   * line flushes that chain and rules are appended.
   */
  restore(text: string, opts: { noflush?: boolean } = {}): void {
    const lines = text.split('\n');
    let table: TableName | undefined;
    let work: Map<string, Chain> | undefined;
    let startLine = 0;
    const staged: Tables = new Map();
    lines.forEach((raw, idx) => {
      const n = idx + 1;
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      try {
        if (line.startsWith('*')) {
          if (table) throw new RuleError(`table '${table}' was not committed before '${line}'`);
          const t = line.slice(1) as TableName;
          if (!TABLES.includes(t)) throw new RuleError(`table '${t}' does not exist`);
          table = t;
          startLine = n;
          work = opts.noflush && this.tables.has(t) ? cloneTable(this.tables.get(t)!) : emptyTable(t);
          return;
        }
        if (!table || !work) throw new RuleError('no command specified');
        if (line === 'COMMIT') {
          checkLoops(work);
          staged.set(table, work);
          table = undefined;
          work = undefined;
          return;
        }
        if (line.startsWith(':')) {
          const [name, policy] = line.slice(1).split(/\s+/);
          if (!name) throw new RuleError('bad chain line');
          const existing = work.get(name);
          if (existing?.builtin) {
            if (policy !== 'ACCEPT' && policy !== 'DROP') throw new RuleError(`bad policy \`${policy ?? ''}' for built-in chain ${name}`);
            existing.policy = policy;
            existing.rules = [];
          } else if (existing) {
            existing.rules = [];
          } else {
            if (policy !== '-') throw new RuleError(`Can't set policy \`${policy ?? ''}' on \`${name}' (not a built-in chain)`);
            work.set(name, { name, builtin: false, policy: 'ACCEPT', rules: [] });
          }
          return;
        }
        this.command(table, work, splitArgs(line));
      } catch (e) {
        throw new NetfilterParseError(n, e instanceof Error ? e.message : String(e));
      }
    });
    if (table) throw new NetfilterParseError(startLine, `COMMIT expected for table '${table}'`);
    for (const [t, chains] of staged) {
      this.tables.set(t, chains);
      if (!this.order.includes(t)) this.order.push(t);
    }
  }

  /** One `-A/-I/-N/-X/-F/-P` command inside a table block. */
  private command(table: TableName, work: Map<string, Chain>, args: string[]): void {
    const [cmd, name, ...rest] = args;
    const chain = name === undefined ? undefined : work.get(name);
    const need = (): Chain => {
      if (!chain) throw new RuleError(`chain ${name ?? '(none)'} does not exist`);
      return chain;
    };
    switch (cmd) {
      case '-A':
      case '--append':
        need().rules.push(parseRule(table, name!, rest, (c) => work.has(c)));
        return;
      case '-I':
      case '--insert': {
        const c = need();
        const at = rest[0] !== undefined && /^[0-9]+$/.test(rest[0]) ? Number(rest.shift()) - 1 : 0;
        c.rules.splice(Math.max(0, Math.min(at, c.rules.length)), 0, parseRule(table, name!, rest, (x) => work.has(x)));
        return;
      }
      case '-D':
      case '--delete': {
        const c = need();
        if (rest.length === 1 && /^[0-9]+$/.test(rest[0]!)) {
          const at = Number(rest[0]) - 1;
          if (at >= c.rules.length) throw new RuleError('Index of deletion too big');
          c.rules.splice(at, 1);
          return;
        }
        const text = parseRule(table, name!, rest, (x) => work.has(x)).text;
        const at = c.rules.findIndex((r) => r.text === text);
        if (at < 0) throw new RuleError('Bad rule (does a matching rule exist in that chain?)');
        c.rules.splice(at, 1);
        return;
      }
      case '-N':
      case '--new-chain':
        if (chain) throw new RuleError(`chain ${name!} already exists`);
        work.set(name!, { name: name!, builtin: false, policy: 'ACCEPT', rules: [] });
        return;
      case '-X':
      case '--delete-chain':
        if (need().builtin) throw new RuleError(`can't delete built-in chain ${name!}`);
        work.delete(name!);
        return;
      case '-F':
      case '--flush':
        if (name === undefined) for (const c of work.values()) c.rules = [];
        else need().rules = [];
        return;
      case '-P':
      case '--policy': {
        const c = need();
        if (!c.builtin || (rest[0] !== 'ACCEPT' && rest[0] !== 'DROP')) throw new RuleError(`bad policy for ${name!}`);
        c.policy = rest[0];
        return;
      }
      default:
        throw new RuleError(`unknown command \`${cmd ?? ''}'`);
    }
  }

  /** iptables-save: every table used so far, chains with [0:0] counters, rules in canonical form. */
  save(): string {
    const out: string[] = [];
    for (const t of this.order) {
      const chains = [...this.tables.get(t)!.values()];
      const builtin = chains.filter((c) => c.builtin);
      const user = chains.filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      out.push('# Generated by podwalk', `*${t}`);
      for (const c of builtin) out.push(`:${c.name} ${c.policy} [0:0]`);
      for (const c of user) out.push(`:${c.name} - [0:0]`);
      for (const c of [...builtin, ...user]) for (const r of c.rules) out.push(r.text);
      out.push('COMMIT', '# Completed');
    }
    return out.length ? `${out.join('\n')}\n` : '';
  }

  /** True when the table's chain for the hook is empty with policy ACCEPT: nothing to do. */
  idle(table: TableName, hook: Hook): boolean {
    const c = this.tables.get(table)?.get(hook);
    return !c || (c.rules.length === 0 && c.policy === 'ACCEPT');
  }

  /** Rule counts per table, for people and benchmarks. */
  ruleCount(table?: TableName): number {
    let n = 0;
    for (const [t, chains] of this.tables) if (!table || t === table) for (const c of chains.values()) n += c.rules.length;
    return n;
  }

  /** ipt_do_table: walk the hook's built-in chain, following jumps, gotos and returns. */
  traverse(table: TableName, hook: Hook, pkt: NfPacket, env: NfEnv): Traversal {
    const chains = this.tables.get(table);
    const base = chains?.get(hook);
    const matched: MatchedRule[] = [];
    let evaluated = 0;
    const done = (verdict: Traversal['verdict'], extra: Partial<Traversal> = {}): Traversal => ({ table, hook, verdict, matched, byPolicy: false, evaluated, ...extra });
    if (!chains || !base) return done('ACCEPT', { byPolicy: true });
    // Return stack of (chain, next rule index); a goto replaces the top instead of pushing.
    const stack: { chain: Chain; next: number }[] = [];
    let chain = base;
    let i = 0;
    for (;;) {
      if (i >= chain.rules.length) {
        const back = stack.pop();
        if (!back) return done(base.policy, { byPolicy: true });
        chain = back.chain;
        i = back.next;
        continue;
      }
      const r = chain.rules[i++]!;
      evaluated++;
      if (!headerMatches(r, pkt.src, pkt.dst, pkt.protocol, pkt.inIf, pkt.outIf)) continue;
      let ok = true;
      for (const m of r.matches) {
        if (!m.test(pkt, env, this.state)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      const t = r.target;
      if (t.kind === 'none') continue;
      matched.push({ table, chain: chain.name, rule: r.text });
      switch (t.kind) {
        case 'ACCEPT':
        case 'DROP':
          return done(t.kind);
        case 'REJECT':
          return done('REJECT', { rejectWith: t.with });
        case 'nat':
          return done('ACCEPT', { nat: t.action });
        case 'MARK':
          pkt.mark = ((pkt.mark & ~t.mask) ^ t.value) >>> 0;
          continue;
        case 'RETURN': {
          const back = stack.pop();
          if (!back) return done(base.policy, { byPolicy: true });
          chain = back.chain;
          i = back.next;
          continue;
        }
        case 'jump':
        case 'goto': {
          const next = chains.get(t.chain)!;
          if (t.kind === 'jump') stack.push({ chain, next: i });
          chain = next;
          i = 0;
          continue;
        }
      }
    }
  }
}

function emptyTable(t: TableName): Map<string, Chain> {
  return new Map(BUILTIN[t].map((h) => [h, { name: h, builtin: true, policy: 'ACCEPT' as const, rules: [] }]));
}

function cloneTable(m: Map<string, Chain>): Map<string, Chain> {
  return new Map([...m].map(([k, c]) => [k, { ...c, rules: [...c.rules] }]));
}

/** Jumps must form no loop and nest at most MAX_DEPTH deep (translate_table's mark_source_chains). */
function checkLoops(chains: Map<string, Chain>): void {
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const walk = (c: Chain): number => {
    const known = depth.get(c.name);
    if (known !== undefined) return known;
    if (visiting.has(c.name)) throw new RuleError(`Too many levels of symbolic links (loop through chain ${c.name})`);
    visiting.add(c.name);
    let d = 0;
    for (const r of c.rules) {
      if (r.target.kind !== 'jump' && r.target.kind !== 'goto') continue;
      const next = chains.get(r.target.chain);
      if (!next) throw new RuleError(`chain ${r.target.chain} does not exist (jumped to from ${c.name})`);
      d = Math.max(d, 1 + walk(next));
    }
    visiting.delete(c.name);
    if (d > MAX_DEPTH) throw new RuleError(`Too many levels of symbolic links (chain ${c.name} nests ${d} jumps)`);
    depth.set(c.name, d);
    return d;
  };
  for (const c of chains.values()) walk(c);
}
