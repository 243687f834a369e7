import type { IpSets } from './ipset.js';
import { RuleError } from './match.js';
import type { RecentLists } from './recent-lists.js';
import { parseRule, type Rule } from './rule.js';
import type { SharedRules } from './shared-rules.js';
import { splitArgs } from './rule-text.js';
import { BUILTIN, cloneTable, commitTable, emptyTable, newChain, references, type Chain, type Table } from './table.js';
import type { TableName } from './types.js';

/** iptables-restore failed: the line (1-based) and iptables-restore's kind of message. */
export class NetfilterParseError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`iptables-restore: line ${line} failed: ${reason}`);
  }
}

export interface RestoreState {
  tables: Map<TableName, Table>;
  recent: RecentLists;
  sets: IpSets;
  /** Rules parsed for other namespaces' identical lines (the nodes of one cluster), when shared. */
  shared?: SharedRules;
}

const TABLES = new Set<string>(Object.keys(BUILTIN));

/**
 * iptables-restore [--noflush]. Each `*table` ... `COMMIT` block is built on
 * a working copy and replaces the live table at its COMMIT, so a failing
 * block leaves that table as it was (and earlier blocks committed), as
 * iptables-restore does. Without noflush a table's block starts from an
 * empty table; with it, from the live one, where a `:CHAIN` line of an
 * existing user chain flushes that chain.
 */
export function restore(state: RestoreState, text: string, noflush: boolean, commit: (t: TableName, table: Table) => void): void {
  let table: TableName | undefined;
  let work: Table | undefined;
  let n = 0;
  const lines = text.split('\n');
  for (const raw of lines) {
    n++;
    let line = raw.trim();
    if (line === '' || line[0] === '#') continue;
    // `iptables-save -c` puts a rule's counters first, `[packets:bytes] -A ...`; iptables-restore without -c ignores them, and so does this.
    if (line[0] === '[') line = line.replace(/^\[[0-9]+:[0-9]+\]\s*/, '');
    try {
      if (line[0] === '*') {
        if (table) throw new RuleError(`table '${table}' was not committed before '${line}'`);
        const t = line.slice(1).trim();
        if (!TABLES.has(t)) throw new RuleError(`can't initialize iptables table \`${t}': Table does not exist (do you need to insmod?)`);
        table = t as TableName;
        const live = state.tables.get(table);
        work = noflush && live ? cloneTable(live) : emptyTable(table);
        continue;
      }
      if (!table || !work) throw new RuleError('no table specified (a `*table` line must come first)');
      if (line === 'COMMIT') {
        commitTable(table, work);
        commit(table, work);
        table = undefined;
        work = undefined;
        continue;
      }
      if (line[0] === ':') chainLine(work, line, noflush);
      else if (state.shared && line.startsWith('-A ') && state.shared.append(table, work, line, n)) continue;
      else command(state, table, work, splitArgs(line), n, line);
    } catch (e) {
      throw new NetfilterParseError(n, e instanceof Error ? e.message : String(e));
    }
  }
  // iptables-restore counts the line after the last one.
  if (table) throw new NetfilterParseError(lines[lines.length - 1] === '' ? n : n + 1, 'COMMIT expected');
}

/** `:NAME POLICY [packets:bytes]` */
function chainLine(work: Table, line: string, noflush: boolean): void {
  const [name, policy] = line.slice(1).trim().split(/\s+/);
  if (!name) throw new RuleError('Unable to parse chain line');
  if (policy === undefined) throw new RuleError(`Can't parse policy of chain ${name}`);
  const existing = work.get(name);
  if (existing?.builtin) {
    if (policy === '-') return;
    if (policy !== 'ACCEPT' && policy !== 'DROP') throw new RuleError(`Can't set policy \`${policy}' on \`${name}': Bad built-in chain name`);
    existing.policy = policy;
    return;
  }
  if (policy !== '-') throw new RuleError(`Can't set policy \`${policy}' on \`${name}': Bad built-in chain name`);
  if (existing) {
    if (!noflush) throw new RuleError(`Can't create chain \`${name}': Chain already exists`);
    existing.rules = [];
    return;
  }
  checkChainName(name);
  work.set(name, newChain(name, false));
}

/** `-Z`: the chain's policy counters and its rules' counters back to zero. */
function zero(c: Chain): void {
  for (const x of [c.counters, ...c.rules.map((r) => r.counters)]) {
    x.pkts = 0;
    x.bytes = 0;
  }
}

function checkChainName(name: string): void {
  if (name.length > 28) throw new RuleError(`Invalid chain name \`${name}' (28 characters max)`);
  if (name.startsWith('-') || name === '!' || /\s/.test(name)) throw new RuleError(`Invalid chain name \`${name}'`);
}

/** One `-A/-I/-D/-R/-N/-X/-F/-Z/-P` line inside a table block. */
function command(state: RestoreState, table: TableName, work: Table, args: string[], line: number, text: string): void {
  const [cmd, name, ...rest] = args;
  const chain = name === undefined ? undefined : work.get(name);
  const need = (): Chain => {
    if (!chain) throw new RuleError(`chain ${name ?? '(none)'} does not exist (No chain/target/match by that name)`);
    return chain;
  };
  const rule = (c: Chain, spec: readonly string[]): Rule => {
    const r = parseRule(spec, { table, chain: c.name, builtin: c.builtin, chainExists: (x) => work.has(x), recent: state.recent, sets: state.sets });
    r.line = line;
    return r;
  };
  const index = (s: string | undefined, max: number, what: string): number => {
    if (s === undefined || !/^[0-9]+$/.test(s)) return -1;
    const i = Number(s);
    if (i < 1 || i > max) throw new RuleError(`Index of ${what} too big`);
    return i - 1;
  };
  switch (cmd) {
    case '-A':
    case '--append': {
      const c = need();
      const r = rule(c, rest);
      c.rules.push(r);
      if (cmd === '-A') state.shared?.offer(table, text, r);
      return;
    }
    case '-I':
    case '--insert': {
      const c = need();
      const at = index(rest[0], c.rules.length + 1, 'insertion');
      c.rules.splice(Math.max(at, 0), 0, rule(c, at < 0 ? rest : rest.slice(1)));
      return;
    }
    case '-R':
    case '--replace': {
      const c = need();
      const at = index(rest[0], c.rules.length, 'replacement');
      if (at < 0) throw new RuleError('-R needs a rule number');
      c.rules[at] = rule(c, rest.slice(1));
      return;
    }
    case '-D':
    case '--delete': {
      const c = need();
      if (rest.length === 1 && /^[0-9]+$/.test(rest[0]!)) {
        c.rules.splice(index(rest[0], c.rules.length, 'deletion'), 1);
        return;
      }
      const text = rule(c, rest).text;
      const at = c.rules.findIndex((r) => r.text === text);
      if (at < 0) throw new RuleError('Bad rule (does a matching rule exist in that chain?)');
      c.rules.splice(at, 1);
      return;
    }
    case '-N':
    case '--new-chain':
      if (name === undefined) throw new RuleError('-N needs a chain name');
      if (chain) throw new RuleError(`Chain already exists`);
      checkChainName(name);
      work.set(name, newChain(name, false));
      return;
    case '-X':
    case '--delete-chain': {
      const victims = name === undefined ? [...work.values()].filter((c) => !c.builtin) : [need()];
      for (const c of victims) {
        if (c.builtin) throw new RuleError(`Can't delete built-in chain ${c.name} (Invalid argument)`);
        if (c.rules.length > 0) throw new RuleError(`Can't delete chain ${c.name}: Directory not empty`);
      }
      for (const c of victims) {
        if (references(work, c.name) > 0) throw new RuleError(`Can't delete chain ${c.name}: Too many links`);
        work.delete(c.name);
      }
      return;
    }
    case '-F':
    case '--flush':
      if (name === undefined) for (const c of work.values()) c.rules = [];
      else need().rules = [];
      return;
    case '-Z':
    case '--zero':
      for (const c of name === undefined ? work.values() : [need()]) zero(c);
      return;
    case '-P':
    case '--policy': {
      const c = need();
      if (!c.builtin) throw new RuleError(`Can't set policy on \`${c.name}': Bad built-in chain name`);
      if (rest[0] !== 'ACCEPT' && rest[0] !== 'DROP') throw new RuleError(`Bad policy name \`${rest[0] ?? ''}'`);
      c.policy = rest[0];
      return;
    }
    default:
      throw new RuleError(`unknown command \`${cmd ?? ''}'`);
  }
}
