import type { FlowResult } from './flows.js';
import { TraceIndex } from './flows.js';
import type { RunResult } from './simulate.js';
import { fit, PLAIN, type Terminal } from '../../trace/view/terminal.js';
import type { ProxyMode } from '../types.js';

/** What one flow's request cost on its way, read from its trace (the request and its bridge copies and fragments). */
export interface RequestCost {
  /** Devices crossed. */
  hops: number;
  /** Netfilter hook traversals (each iptables table or nftables base chain walked on each hook counts once). */
  hookTraversals: number;
  /** iptables or nftables rules evaluated, over every traversal: the linear cost kube-proxy's chains add. */
  rulesEvaluated: number;
  /** IPVS lookups that handled it (schedule or existing connection). */
  ipvsLookups: number;
  /** nftables set and map lookups (hash probes: `service-ips`, `no-endpoint-services`, ...). */
  mapLookups: number;
  /** Who rewrote its destination: `nat` (an iptables DNAT), `ipvs`, `nftables` (an nft nat chain), or nothing. */
  dnatBy?: 'nat' | 'ipvs' | 'nftables';
}

export interface ModeSide {
  flow: FlowResult;
  cost: RequestCost;
}

type Outcome = 'verdict' | 'deliveredTo' | 'seenSource' | 'dropReason';

export interface FlowComparison {
  flow: string;
  /** Each mode's side, in the order the runs were given. */
  sides: { mode: ProxyMode; side: ModeSide }[];
  /** Outcome fields that differ between any two of the modes. */
  differs: Outcome[];
}

/**
 * One scenario run in several kube-proxy modes, flow by flow: the outcome in
 * each, and what the request cost on its way (hooks, rules, IPVS lookups,
 * nftables map lookups). The runs come from the same file and seed, so flows
 * pair up by name.
 */
export function compareModes(runs: readonly { mode: ProxyMode; run: RunResult }[]): FlowComparison[] {
  const first = runs[0];
  if (!first) return [];
  const cost = runs.map((r) => costs(r.run));
  const byName = runs.map((r) => new Map(r.run.flows.map((f) => [f.flow, f])));
  const out: FlowComparison[] = [];
  for (const a of first.run.flows) {
    const flows = byName.map((m) => m.get(a.flow));
    if (flows.some((f) => f === undefined)) continue;
    const sides = runs.map((r, i) => ({ mode: r.mode, side: { flow: flows[i]!, cost: cost[i]!(flows[i]!) } }));
    const differs = (['verdict', 'deliveredTo', 'seenSource', 'dropReason'] as const).filter((k) => flows.some((f) => f![k] !== a[k]));
    out.push({ flow: a.flow, sides, differs });
  }
  return out;
}

function costs(run: RunResult): (f: FlowResult) => RequestCost {
  const index = new TraceIndex(run.events);
  return (f) => {
    const cost: RequestCost = { hops: f.path.length, hookTraversals: 0, rulesEvaluated: 0, ipvsLookups: 0, mapLookups: 0 };
    if (f.pkt === undefined) return cost;
    for (const e of index.eventsOf(index.descendants(f.pkt, ['bridge', 'app']))) {
      if (e.kind === 'netfilter') {
        cost.hookTraversals++;
        cost.rulesEvaluated += e.evaluated;
      } else if (e.kind === 'nftables') {
        cost.hookTraversals++;
        cost.rulesEvaluated += e.evaluated;
        cost.mapLookups += e.lookups;
      } else if (e.kind === 'ipvs' && (e.action === 'schedule' || e.action === 'persistent' || e.action === 'existing')) cost.ipvsLookups++;
      else if (e.kind === 'nat' && e.manip === 'dst' && e.type !== 'reverse' && cost.dnatBy === undefined) cost.dnatBy = e.by ?? 'nat';
    }
    return cost;
  };
}

/** The comparison as people read it: per flow every mode's outcome and cost, then a summary. */
export function formatComparison(name: string, seed: number, rows: readonly FlowComparison[], term: Terminal = PLAIN): string {
  const modes = rows[0]?.sides.map((s) => s.mode) ?? [];
  const width = Math.max(...modes.map((m) => m.length)) + 1;
  const lines = fit(`scenario ${name} (seed ${seed}): kube-proxy ${modes.map((m) => `${m} mode`).join(' vs ')}`, term, 2);
  for (const r of rows) {
    lines.push('', ...fit(`== ${r.flow}${r.differs.length > 0 ? `  (differs: ${r.differs.join(', ')})` : ''}`, term, 3));
    for (const s of r.sides) {
      const head = `   ${`${s.mode}:`.padEnd(width)} ${outcome(s.side.flow)}`;
      const cost = describeCost(s.side.cost);
      const line = `${head} | ${cost}`;
      // On a terminal too narrow for the line the cost goes on its own line under the outcome.
      if (fit(line, term).length === 1) lines.push(line);
      else lines.push(...fit(head, term, 4 + width), ...fit(`${' '.repeat(4 + width)}${cost}`, term, 4 + width));
    }
  }
  const sum = (i: number, k: 'rulesEvaluated' | 'hookTraversals' | 'ipvsLookups' | 'mapLookups'): number => rows.reduce((n, r) => n + r.sides[i]!.side.cost[k], 0);
  const same = rows.filter((r) => r.differs.length === 0).length;
  const totals = modes.map((m, i) => {
    let t = `${m} ${sum(i, 'rulesEvaluated')} rules evaluated in ${sum(i, 'hookTraversals')} hook traversals`;
    if (sum(i, 'ipvsLookups') > 0) t += `, ${plural(sum(i, 'ipvsLookups'), 'IPVS lookup')}`;
    if (sum(i, 'mapLookups') > 0) t += `, ${plural(sum(i, 'mapLookups'), 'map lookup')}`;
    return t;
  });
  // One line per mode: three modes' totals on one line made it the widest of the output.
  lines.push('', ...fit(`${rows.length} flow(s): ${same} with the same outcome, ${rows.length - same} different`, term, 2), 'requests in total:', ...totals.flatMap((t) => fit(`  ${t}`, term, 4)));
  return `${lines.join('\n')}\n`;
}

function outcome(f: FlowResult): string {
  return f.verdict === 'delivered' ? `delivered to ${f.deliveredTo}${f.seenSource ? ` (source ${f.seenSource})` : ''}` : `dropped: ${f.dropReason ?? 'unknown'}`;
}

const DNAT_BY = { nat: 'the nat table', ipvs: 'IPVS', nftables: 'nftables' } as const;

function describeCost(c: RequestCost): string {
  const parts = [`${c.hops} hops`, `${c.hookTraversals} hook traversals`, `${c.rulesEvaluated} rules evaluated`];
  if (c.ipvsLookups > 0) parts.push(plural(c.ipvsLookups, 'IPVS lookup'));
  if (c.mapLookups > 0) parts.push(plural(c.mapLookups, 'map lookup'));
  if (c.dnatBy) parts.push(`DNAT by ${DNAT_BY[c.dnatBy]}`);
  return parts.join(', ');
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
