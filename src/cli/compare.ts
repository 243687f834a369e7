import type { Command } from 'commander';
import { compareModes, formatComparison, type ModeSide } from '../scenario/run/compare-modes.js';
import { simulate } from '../scenario/run/simulate.js';
import type { ProxyMode, Scenario } from '../scenario/types.js';
import type { Terminal } from '../trace/view/terminal.js';

const MODES: readonly ProxyMode[] = ['iptables', 'ipvs', 'nftables'];

/**
 * `podwalk compare FILE`: run one scenario in kube-proxy's iptables, ipvs and
 * nftables modes (the file's `cluster.proxyMode` is overridden each time;
 * `--modes` picks fewer) and print, flow by flow, each mode's outcome and what
 * the request cost: hook traversals, rules evaluated, IPVS lookups, nftables
 * map lookups. Expectations are not checked (they are written for one mode);
 * the exit code is 0.
 */
export function registerCompare(program: Command, io: { out: (s: string) => void; term?: Terminal }, load: (file: string, seed: number | undefined, proxyMode: ProxyMode) => Scenario, parseSeed: (v: string) => number, fail: (message: string) => never): void {
  program
    .command('compare')
    .description('run a scenario in each kube-proxy mode (iptables, ipvs, nftables) and compare each flow: outcome, hooks, rules evaluated, IPVS and map lookups')
    .argument('<file>', 'scenario file')
    .option('--seed <n>', 'override the scenario seed', parseSeed)
    .option('--modes <list>', 'comma-separated modes to compare (default iptables,ipvs,nftables)')
    .option('--json', 'print JSON instead of text')
    .action((file: string, o: { seed?: number; json?: boolean; modes?: string }) => {
      const modes = o.modes === undefined ? MODES : o.modes.split(',').map((m) => m.trim());
      for (const m of modes) if (!MODES.includes(m as ProxyMode)) fail(`--modes: expected a comma-separated list of iptables, ipvs, nftables, got ${m || 'an empty name'}`);
      if (modes.length < 2 || new Set(modes).size !== modes.length) fail(`--modes: expected at least two different modes, got ${o.modes}`);
      const scenarios = modes.map((m) => ({ mode: m as ProxyMode, scenario: load(file, o.seed, m as ProxyMode) }));
      const rows = compareModes(scenarios.map((s) => ({ mode: s.mode, run: simulate(s.scenario) })));
      const first = scenarios[0]!.scenario;
      if (o.json) {
        const side = (s: ModeSide) => ({ verdict: s.flow.verdict, deliveredTo: s.flow.deliveredTo, seenSource: s.flow.seenSource, dropReason: s.flow.dropReason, ...s.cost });
        const flows = rows.map((r) => ({ flow: r.flow, differs: r.differs, ...Object.fromEntries(r.sides.map((s) => [s.mode, side(s.side)])) }));
        io.out(`${JSON.stringify({ scenario: first.name, seed: first.cluster.seed, modes, flows }, null, 2)}\n`);
      } else io.out(formatComparison(first.name, first.cluster.seed, rows, io.term));
    });
}
