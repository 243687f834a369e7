import type { FlowResult } from './flows.js';
import { TraceIndex } from './flows.js';
import type { RunResult } from './simulate.js';

/** What one flow's request cost on its way, read from its trace (the request and its bridge copies and fragments). */
export interface RequestCost {
  /** Devices crossed. */
  hops: number;
  /** Netfilter hook traversals (each table walked on each hook counts once). */
  hookTraversals: number;
  /** iptables rules evaluated, over every traversal: the linear cost kube-proxy's chains add. */
  rulesEvaluated: number;
  /** IPVS lookups that handled it (schedule or existing connection). */
  ipvsLookups: number;
  /** Who rewrote its destination: `nat` (an iptables DNAT), `ipvs`, or nothing. */
  dnatBy?: 'nat' | 'ipvs';
}

export interface ModeSide {
  flow: FlowResult;
  cost: RequestCost;
}

export interface FlowComparison {
  flow: string;
  iptables: ModeSide;
  ipvs: ModeSide;
  /** Outcome fields that differ between the modes (`verdict`, `deliveredTo`, `seenSource`, `dropReason`). */
  differs: ('verdict' | 'deliveredTo' | 'seenSource' | 'dropReason')[];
}

/**
 * One scenario run in both kube-proxy modes, flow by flow: the outcome in
 * each, and what the request cost on its way (hooks, rules, IPVS lookups).
 * Both runs come from the same file and seed, so flows pair up by name.
 */
export function compareModes(iptables: RunResult, ipvs: RunResult): FlowComparison[] {
  const costA = costs(iptables);
  const costB = costs(ipvs);
  const other = new Map(ipvs.flows.map((f) => [f.flow, f]));
  const out: FlowComparison[] = [];
  for (const a of iptables.flows) {
    const b = other.get(a.flow);
    if (!b) continue;
    const differs = (['verdict', 'deliveredTo', 'seenSource', 'dropReason'] as const).filter((k) => a[k] !== b[k]);
    out.push({ flow: a.flow, iptables: { flow: a, cost: costA(a) }, ipvs: { flow: b, cost: costB(b) }, differs });
  }
  return out;
}

function costs(run: RunResult): (f: FlowResult) => RequestCost {
  const index = new TraceIndex(run.events);
  return (f) => {
    const cost: RequestCost = { hops: f.path.length, hookTraversals: 0, rulesEvaluated: 0, ipvsLookups: 0 };
    if (f.pkt === undefined) return cost;
    for (const e of index.eventsOf(index.descendants(f.pkt, ['bridge', 'app']))) {
      if (e.kind === 'netfilter') {
        cost.hookTraversals++;
        cost.rulesEvaluated += e.evaluated;
      } else if (e.kind === 'ipvs' && (e.action === 'schedule' || e.action === 'persistent' || e.action === 'existing')) cost.ipvsLookups++;
      else if (e.kind === 'nat' && e.manip === 'dst' && e.type !== 'reverse' && cost.dnatBy === undefined) cost.dnatBy = e.by === 'ipvs' ? 'ipvs' : 'nat';
    }
    return cost;
  };
}

/** The comparison as people read it: per flow both outcomes and costs, then a summary. */
export function formatComparison(name: string, seed: number, rows: readonly FlowComparison[]): string {
  const lines = [`scenario ${name} (seed ${seed}): kube-proxy iptables mode vs ipvs mode`];
  for (const r of rows) {
    lines.push('', `== ${r.flow}${r.differs.length > 0 ? `  (differs: ${r.differs.join(', ')})` : ''}`);
    lines.push(`   iptables: ${outcome(r.iptables.flow)} | ${describeCost(r.iptables.cost)}`);
    lines.push(`   ipvs:     ${outcome(r.ipvs.flow)} | ${describeCost(r.ipvs.cost)}`);
  }
  const sum = (side: 'iptables' | 'ipvs', k: 'rulesEvaluated' | 'hookTraversals' | 'ipvsLookups'): number => rows.reduce((n, r) => n + r[side].cost[k], 0);
  const same = rows.filter((r) => r.differs.length === 0).length;
  lines.push(
    '',
    `${rows.length} flow(s): ${same} with the same outcome, ${rows.length - same} different`,
    `requests in total: iptables ${sum('iptables', 'rulesEvaluated')} rules evaluated in ${sum('iptables', 'hookTraversals')} hook traversals; ipvs ${sum('ipvs', 'rulesEvaluated')} rules in ${sum('ipvs', 'hookTraversals')} traversals and ${sum('ipvs', 'ipvsLookups')} IPVS lookups`,
  );
  return `${lines.join('\n')}\n`;
}

function outcome(f: FlowResult): string {
  return f.verdict === 'delivered' ? `delivered to ${f.deliveredTo}${f.seenSource ? ` (source ${f.seenSource})` : ''}` : `dropped: ${f.dropReason ?? 'unknown'}`;
}

function describeCost(c: RequestCost): string {
  const parts = [`${c.hops} hops`, `${c.hookTraversals} hook traversals`, `${c.rulesEvaluated} rules evaluated`];
  if (c.ipvsLookups > 0) parts.push(`${c.ipvsLookups} IPVS lookup${c.ipvsLookups > 1 ? 's' : ''}`);
  if (c.dnatBy) parts.push(`DNAT by ${c.dnatBy === 'ipvs' ? 'IPVS' : 'the nat table'}`);
  return parts.join(', ');
}
