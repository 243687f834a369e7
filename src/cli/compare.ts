import type { Command } from 'commander';
import { compareModes, formatComparison } from '../scenario/run/compare-modes.js';
import { simulate } from '../scenario/run/simulate.js';
import type { ProxyMode, Scenario } from '../scenario/types.js';

/**
 * `podwalk compare FILE`: run one scenario in kube-proxy's iptables mode and
 * in its ipvs mode (the file's `cluster.proxyMode` is overridden both ways)
 * and print, flow by flow, each mode's outcome and what the request cost:
 * hook traversals, iptables rules evaluated, IPVS lookups. Expectations are
 * not checked (they are written for one mode); the exit code is 0.
 */
export function registerCompare(program: Command, io: { out: (s: string) => void }, load: (file: string, seed: number | undefined, proxyMode: ProxyMode) => Scenario, parseSeed: (v: string) => number): void {
  program
    .command('compare')
    .description('run a scenario in both kube-proxy modes (iptables, ipvs) and compare each flow: outcome, hooks, rules evaluated, IPVS lookups')
    .argument('<file>', 'scenario file')
    .option('--seed <n>', 'override the scenario seed', parseSeed)
    .option('--json', 'print JSON instead of text')
    .action((file: string, o: { seed?: number; json?: boolean }) => {
      const a = load(file, o.seed, 'iptables');
      const b = load(file, o.seed, 'ipvs');
      const rows = compareModes(simulate(a), simulate(b));
      if (o.json) {
        const side = (s: (typeof rows)[number]['iptables']) => ({ verdict: s.flow.verdict, deliveredTo: s.flow.deliveredTo, seenSource: s.flow.seenSource, dropReason: s.flow.dropReason, ...s.cost });
        io.out(`${JSON.stringify({ scenario: a.name, seed: a.cluster.seed, flows: rows.map((r) => ({ flow: r.flow, differs: r.differs, iptables: side(r.iptables), ipvs: side(r.ipvs) })) }, null, 2)}\n`);
      } else io.out(formatComparison(a.name, a.cluster.seed, rows));
    });
}
