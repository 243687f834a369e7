import type { Rule } from './rule.js';
import { T_GOTO, T_JUMP } from './target.js';
import type { Table } from './table.js';
import type { TableName } from './types.js';

/**
 * Rules parsed once for many rule sets. kube-proxy writes nearly the same
 * iptables-restore text on every node — in Kubernetes' largest cluster
 * 70,000 lines each — so the nodes of one cluster share one of these: a line
 * already parsed for another node is not split and compiled again, its rule
 * is copied with counters of its own (each node counts its own packets).
 *
 * Only rules that nothing ties to one namespace are shared: a rule with a
 * `-m recent` or `-m set` match (the namespace's lists and sets) or an
 * `-m statistic --mode nth` match (a packet count of its own) is parsed on
 * every node as before. A copy is taken only where parsing the line would
 * have succeeded: the chain it appends to, and the chain it jumps to, exist.
 */
export class SharedRules {
  private readonly byLine = new Map<string, Rule>();

  /** A copy of the rule `line` (an `-A` line as restore read it) was parsed into for another node, appended to its chain in `work`; false when there is none to take. */
  append(table: TableName, work: Table, line: string, lineNo: number): boolean {
    const tpl = this.byLine.get(key(table, line));
    if (tpl === undefined) return false;
    const chain = work.get(tpl.chain);
    if (!chain) return false;
    const t = tpl.target;
    if ((t.kind === T_JUMP || t.kind === T_GOTO) && !work.has(t.chain!)) return false;
    chain.rules.push({ ...tpl, line: lineNo, counters: { pkts: 0, bytes: 0 } });
    return true;
  }

  /** Offer a rule just parsed from `line`: kept for the other nodes when nothing in it is bound to this one. */
  offer(table: TableName, line: string, rule: Rule): void {
    for (const m of rule.matches) if (m.bound) return;
    const k = key(table, line);
    if (!this.byLine.has(k)) this.byLine.set(k, rule);
  }
}

const key = (table: TableName, line: string): string => `${table} ${line}`;
