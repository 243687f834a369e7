import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { SHOW_ALIASES, showTarget } from './show-target.js';
import { conntrackSummary, ipvsNote, nftNote, showIptables, showViews } from '../kernel/show.js';
import type { Mismatch } from '../scenario/run/expect.js';
import { ExpectationStream } from '../scenario/run/expect-stream.js';
import { formatProblem, loadScenarioFile } from '../scenario/load/parse.js';
import { parseSeedText } from '../scenario/load/seed.js';
import { scenarioSchema } from '../scenario/load/schema.js';
import { scaffoldScenario } from '../scenario/init/scaffold.js';
import { simulate, type RunResult, type SimulateOptions } from '../scenario/run/simulate.js';
import { deviceProblems } from '../scenario/run/check-devices.js';
import { progressLine } from './progress.js';
import type { Problem, ProxyMode, Scenario } from '../scenario/types.js';
import { FlowFilterSink } from '../trace/flow-filter.js';
import { JsonLinesSink } from '../trace/jsonl.js';
import { ENCAP_MTU, registerBench } from './bench.js';
import { registerCompare } from './compare.js';
import { registerMatrix } from './matrix.js';
import { checkGolden } from './golden.js';
import { OutputPathError, why } from './output-file.js';
import { oneLine } from '../trace/safe-text.js';
import { attachCapture, type Capture } from './pcap.js';
import { ReportWriter } from './report.js';
import { LineSpool } from './line-spool.js';
import { WalkEvents } from '../scenario/report/walk-events.js';
import { isSelected, selectFlows } from '../trace/view/walk.js';
import { writeWalkPage } from './html/write.js';
import { flowSummaryRecord } from '../scenario/report/flow-summary.js';
import { PLAIN, detectTerminal, type Terminal } from '../trace/view/terminal.js';
import { viewOptions, type ViewFlags } from './view-flags.js';
import { count } from '../trace/plural.js';
import { expectationRecord, expectationsRecord } from '../scenario/report/expectation-record.js';

/** Walks beyond which a report on a terminal is announced on stderr (with how to print less). */
const LONG_REPORT = 1000;

/** Exit codes of the contract. */
export const EXIT = { ok: 0, expectationFailed: 1, invalidInput: 2 } as const;

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The scenario `npm start` runs: the classic walk from the slides. */
export const DEFAULT_SCENARIO = join(packageRoot, 'scenarios', 'classic-walk.yaml');

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Where `out` goes: its width and colour (absent = plain, as pipes and tests get). */
  term?: Terminal;
  /** stderr is a terminal: long runs show a progress line there. */
  errIsTTY?: boolean;
}

/** A usage error: one line, whatever the user typed into it (escaped when printed). */
class InputError extends Error {}
/** Invalid scenario input: one `file:line:col: path: message` line per problem. */
class InvalidScenario extends Error {
  constructor(readonly problems: Problem[]) {
    super(`${problems.length} problem(s)`);
  }
}

function load(file: string, seed?: number, proxyMode?: ProxyMode): Scenario {
  const r = loadScenarioFile(file, { ...(seed === undefined ? {} : { seed }), ...(proxyMode === undefined ? {} : { proxyMode }) });
  if (!r.ok) throw new InvalidScenario(r.problems);
  return r.scenario;
}

function run(scenario: Scenario, opts: SimulateOptions = {}): RunResult {
  const result = simulate(scenario, opts);
  if (result.invalid) throw new InvalidScenario(result.invalid);
  return result;
}

function parseProxyMode(v: string): ProxyMode {
  if (v === 'iptables' || v === 'ipvs' || v === 'nftables') return v;
  throw new InputError(`--proxy-mode: expected iptables, ipvs or nftables, got ${v}`);
}

function parseSeed(v: string): number {
  const n = parseSeedText(v);
  if (typeof n === 'string') throw new InputError(`--seed: ${n}`);
  return n;
}

/** Run the CLI with `argv` (without node and script); returns the exit code. */
export function cli(argv: string[], io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), term: detectTerminal(process.stdout, process.env), errIsTTY: process.stderr.isTTY === true }): number {
  let code: number = EXIT.ok;
  const program = new Command()
    .name('podwalk')
    .description('Walk packets through a simulated Kubernetes node network, hop by hop.')
    .version(readVersion())
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: (s) => io.err(s.split('\n').map((l) => oneLine(l)).join('\n')) });

  program
    .command('run')
    .description('run a scenario: print every hop, check expectations (exit 0 ok, 1 expectation failed, 2 invalid input)')
    .argument('[file]', 'scenario file (default: the built-in classic walk)')
    .option('--json', 'print the trace as JSON Lines instead of tables')
    .option('--pcap <dir>', 'write a pcapng capture of every device to DIR/<scenario>.pcapng (one interface per device)')
    .option('--pcap-per-interface', 'with --pcap: one file per device, DIR/<scenario>.<netns>_<dev>.pcapng, as tcpdump -i would capture it')
    .option('--pcap-device <pattern>', 'with --pcap: only devices matching <netns>:<dev> (* wildcard; repeatable), e.g. node1:eth0', collect)
    .option('--seed <n>', 'override the scenario seed', parseSeed)
    .option('--proxy-mode <mode>', "override cluster.proxyMode: iptables | ipvs | nftables (replay one scenario in another kube-proxy mode)", parseProxyMode)
    .option('--detail <level>', 'path (devices crossed) | hops (numbered hops and decisions; the default) | full (every trace event, the table)')
    .option('-v, --verbose', '-v: hops with every category shown; -vv: full', (_: string, n: number) => n + 1, 0)
    .option('--flow <name>', 'only this traffic item (repeatable): its walk, and only its expectations decide the exit code', collect)
    .option('--show <list>', 'at hops, show in full: arp, fdb, netfilter, conntrack (comma-separated, or all)')
    .option('--hide <list>', 'at hops, leave out: arp, fdb, netfilter, conntrack (comma-separated, or all)')
    .option('--html <file>', 'also write the walk as one self-contained HTML page (cluster drawing, step through each flow)')
    .option('--quiet', 'print only each flow\'s headline')
    .option('--no-collapse', 'print every walk of a repeated traffic item (count: N) in full; by default a run of walks identical but for times and ports prints once, then "… and N more identical walks"')
    .option('--golden <dir>', 'compare the full trace with DIR/<scenario>.trace (exit 1 on any difference, with a diff)')
    .option('--update', 'with --golden: write the golden trace instead of comparing')
    .action((file: string | undefined, o: { json?: boolean; html?: string; pcap?: string; pcapPerInterface?: boolean; pcapDevice?: string[]; seed?: number; proxyMode?: ProxyMode; quiet?: boolean; collapse?: boolean; golden?: string; update?: boolean } & ViewFlags) => {
      if (o.update && !o.golden) throw new InputError('--update: only with --golden DIR');
      const view = viewOptions(o, (m) => {
        throw new InputError(m);
      });
      const scenario = load(file ?? DEFAULT_SCENARIO, o.seed, o.proxyMode);
      for (const w of scenario.warnings) io.err(`warning: ${formatProblem(w)}\n`);
      if (!o.pcap && (o.pcapPerInterface || (o.pcapDevice ?? []).length > 0)) throw new InputError('--pcap-per-interface, --pcap-device: only with --pcap DIR');
      // Checked before the run: nothing is written (report, JSON, page, capture) for a --flow that names no flow.
      const unknown = view.flows.filter((n) => !scenario.traffic.some((t) => n === t.name || (t.count > 1 && flowIndex(n, t.name, t.count))));
      if (unknown.length > 0) throw new InputError(`--flow: no traffic item ${unknown.map((n) => n || '""').join(', ')} (have: ${[...new Set(scenario.traffic.map((t) => t.name))].join(', ')})`);
      if (!o.json && !o.quiet && io.term?.width !== undefined) {
        // A long report on a terminal: say what is coming, and how to get less of it.
        const walks = scenario.traffic.reduce((n, t) => n + selectFlows(Array.from({ length: t.count }, (_, k) => ({ name: t.count > 1 ? `${t.name}#${k + 1}` : t.name })), view.flows).length, 0);
        // With repeats folded (the default) fewer may come: identical walks of one item print once.
        const n = walks.toLocaleString('en-US');
        if (walks > LONG_REPORT) io.err(o.collapse === false ? `podwalk: ${n} walks follow as flows end (--quiet: headlines only)\n` : `podwalk: up to ${n} walks follow (repeats folded; --quiet: headlines only)\n`);
      }
      let capture: Capture | undefined;
      const progress = progressLine(io.err, io.errIsTTY ?? false);
      // Whatever goes to stdout while the run goes on first erases the progress line (both may be one terminal).
      const out = (s: string): void => {
        progress.clear();
        io.out(s);
      };
      // --json streams: each event is written as it happens, the flow records once the run is over.
      const jsonl = o.json ? new JsonLinesSink(out, { scenario: scenario.name, seed: scenario.cluster.seed }) : undefined;
      // The report gathers the events of the flows it shows as they happen (not the whole trace), and
      // prints each flow's walk once the flow is over.
      const walk = o.json ? undefined : new WalkEvents((f) => isSelected(f, view.flows));
      const report = walk ? new ReportWriter(out, scenario, walk, { view, quiet: o.quiet ?? false, collapse: o.collapse ?? true, term: io.term ?? PLAIN }) : undefined;
      // Kept only for what reads the whole run: the HTML page and golden files (the trace), the JSON flow records.
      const keep = Boolean(o.golden || o.html);
      // --json: the flow records (one line each) and the expectations, as flows end.
      const records = new LineSpool();
      // --flow: only the selected flows' expectations are checked (the report does the same).
      const expectations = new ExpectationStream(scenario.traffic, (f) => isSelected(f, view.flows));
      let result: RunResult;
      try {
        result = run(scenario, {
          onBuilt: (c) => {
            report?.built(c);
            if (o.pcap) capture = attachCapture(c.world, o.pcap, scenario.name, { perInterface: o.pcapPerInterface ?? false, devices: o.pcapDevice ?? [] });
            // --flow narrows the JSON as it narrows the walk: those flows' packets (and what they caused), their records.
            if (jsonl) c.world.tracer.attach(view.flows.length === 0 ? jsonl : new FlowFilterSink(jsonl, (f) => isSelected(f, view.flows)));
          },
          ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
          ...(walk ? { flowSinks: [walk] } : {}),
          // Flows are summarised as events happen, so only HTML and golden files need the whole trace kept.
          keepTrace: keep,
          keepFlows: keep,
          onFlow: (r) => {
            if (report) report.flow(r);
            else {
              expectations.add(r);
              if (isSelected(r.flow, view.flows)) records.push(JSON.stringify(flowSummaryRecord(r)));
            }
          },
        });
      } catch (e) {
        // Invalid input found by the run, or a pcap path that cannot be written: leave no partial capture behind.
        capture?.abort();
        records.discard();
        throw e;
      }
      progress.done();
      const mismatches: Mismatch[] = report ? report.end(result) : expectations.finish();
      if (jsonl) {
        jsonl.end();
        records.drain(out);
        // Then the expectation check, machine-readable: every unmet expectation, then the counts.
        for (const m of mismatches) {
          const item = expectations.itemOf(m.flow);
          out(`${JSON.stringify(expectationRecord(m, item, scenario.traffic.find((t) => t.name === item)?.expect?.pos))}\n`);
        }
        out(`${JSON.stringify(expectationsRecord(mismatches, expectations.checked, expectations.skipped))}\n`);
      }
      if (o.html) io.err(`html: wrote ${writeWalkPage(o.html, result, (f) => isSelected(f, view.flows))}\n`);
      if (o.pcap && capture) {
        // A pattern that names no device at all is a typo (tcpdump -i nosuchdev: "No such device exists"), not a quiet capture.
        const devices = [...result.cluster.netns.values()].flatMap((ns) => [...ns.devices.keys()].map((d) => `${ns.name}:${d}`));
        const unmatched = capture.unmatched(devices);
        if (unmatched.length > 0) {
          capture.abort();
          const have = devices.length > 30 ? `${devices.slice(0, 30).join(', ')}, … (${devices.length - 30} more)` : devices.join(', ');
          throw new InputError(`--pcap-device: no device matches ${unmatched.join(', ')} (have: ${have})`);
        }
        const files = capture.finish();
        io.err(files.length === 0 ? 'pcap: no frame crossed a matching device; nothing written\n' : files.length === 1 ? `pcap: wrote ${files[0]}\n` : `pcap: wrote ${files.length} files to ${o.pcap} (${files.length} devices)\n`);
      }
      if (o.json && mismatches.length > 0) for (const m of mismatches) io.err(`expectation not met: ${m.flow}: ${m.field}: expected ${m.expected}, actual ${m.actual}\n`);
      if (o.json && expectations.skipped > 0) io.err(`expectations: --flow: ${expectations.skipped} other flow(s) with expectations not checked\n`);
      code = mismatches.length > 0 ? EXIT.expectationFailed : EXIT.ok;
      if (o.golden) {
        const g = checkGolden(o.golden, result, o.update ?? false, `podwalk run ${file ?? scenario.file}`);
        (o.json ? io.err : io.out)(g.report);
        if (g.status === 'differ' || g.status === 'missing') code = EXIT.expectationFailed;
      }
    });

  program
    .command('validate')
    .description('check a scenario file without running it (exit 0 valid, 2 invalid)')
    .argument('<file>', 'scenario file')
    .action((file: string) => {
      const scenario = load(file);
      for (const w of scenario.warnings) io.err(`warning: ${formatProblem(w)}\n`);
      // Device names exist only once the CNI and kube-proxy set the cluster up: build it (no traffic) to know them.
      const devices = deviceProblems(scenario);
      if (devices.length > 0) throw new InvalidScenario(devices);
      io.out(`${file}: valid (${count(scenario.cluster.nodes.length, 'node')}, ${podCount(scenario.pods)}, ${count(scenario.traffic.length, 'traffic item')})\n`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of scenario files (for editors: see docs/scenario-format.md)')
    .action(() => {
      io.out(`${JSON.stringify(scenarioSchema(), null, 2)}\n`);
    });

  program
    .command('init')
    .description('write a scenario around manifests: their cluster, an include of them, one example flow per Service')
    .argument('<manifests...>', 'manifest files or directories (e.g. kubectl get ... -o yaml output)')
    .option('-o, --output <file>', 'write the scenario to FILE (include paths relative to it) instead of stdout')
    .option('--force', 'with -o: overwrite FILE if it exists')
    .action((manifests: string[], o: { output?: string; force?: boolean }) => {
      if (o.force && !o.output) throw new InputError('--force: only with -o FILE');
      if (o.output && existsSync(o.output) && !o.force) throw new InputError(`-o: ${o.output} exists; use --force to overwrite it`);
      // On stdout, include paths are relative to the current directory (where `> file` puts it).
      const target = o.output ?? resolve('scenario.yaml');
      const r = scaffoldScenario(manifests, target, { stdout: !o.output });
      if (!r.ok) {
        if ('error' in r) throw new InputError(r.error);
        throw new InvalidScenario(r.problems);
      }
      if (!o.output) return io.out(r.text);
      try {
        writeFileSync(o.output, r.text);
      } catch (e) {
        throw new OutputPathError(`-o: cannot write ${o.output}: ${why(e)}`);
      }
      io.err(`init: wrote ${o.output}; run it with: podwalk run ${o.output}\n`);
    });

  program
    .command('show')
    .description('print kernel state of a namespace after the traffic ran, as ip/bridge/iptables-save/nft would')
    .argument('<file>', 'scenario file')
    .argument('[what]', 'routes | route-cache | neigh | fdb | addr | iptables | nft | conntrack | ipvs | ipvs-save | ipset | ipset-save', 'routes')
    .requiredOption('--node <name>', 'node (or host, gateway, <ns>/<pod>) to show')
    .option('--proxy-mode <mode>', 'override cluster.proxyMode: iptables | ipvs | nftables', parseProxyMode)
    .option('-c, --counters', "iptables: each rule's [packets:bytes] from the run, as iptables-save -c prints them")
    .action((file: string, what: string, o: { node: string; proxyMode?: ProxyMode; counters?: boolean }) => {
      if (o.counters && what !== 'iptables') throw new InputError(`--counters: only for the iptables view, not ${what}`);
      const scenario = load(file, undefined, o.proxyMode);
      const result = run(scenario);
      const ns = result.cluster.netns.get(o.node) ?? result.cluster.pods.get(o.node) ?? showTarget(result.cluster, o.node);
      if (!ns) throw new InputError(`--node: no namespace ${o.node || '""'} (have: ${[...result.cluster.netns.keys()].join(', ')})`);
      const views = showViews(ns);
      const view = views[what] ?? views[SHOW_ALIASES[what] ?? ''];
      if (!view) throw new InputError(`show: unknown view ${what} (expected one of: ${Object.keys(views).join(', ')})`);
      const text = o.counters ? showIptables(ns, true) : view();
      io.out(text.length > 0 ? `${text}\n` : '');
      // conntrack -L writes its count to standard error: `| wc -l` counts entries only.
      if (what === 'conntrack') io.err(`${conntrackSummary(ns)}\n`);
      // Native nftables tables only: say where iptables-nft's are (an empty list must not read as "no rules").
      const note = what === 'nft' ? nftNote(ns, o.node) : what === 'ipvs' || what === 'ipvs-save' ? ipvsNote(ns, o.node, scenario.cluster.proxyMode) : undefined;
      if (note) io.err(`${note}\n`);
    });

  registerMatrix(
    program,
    io,
    (file, proxyMode) => load(file, undefined, proxyMode),
    (message) => {
      throw new InputError(message);
    },
    (c) => (code = c),
  );

  registerCompare(program, io, load, parseSeed, (message) => {
    throw new InputError(message);
  });

  registerBench(
    program,
    io,
    (file) => load(file),
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < ENCAP_MTU.min || n > ENCAP_MTU.max) throw new InputError(`--mtu: expected an integer from ${ENCAP_MTU.min} to ${ENCAP_MTU.max}, got ${v}`);
      return n;
    },
    (p) => {
      throw new InvalidScenario([p]);
    },
  );

  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
    if (e instanceof InvalidScenario) {
      io.err(`${e.problems.map(formatProblem).join('\n')}\n`);
      return EXIT.invalidInput;
    }
    if (e instanceof InputError || e instanceof OutputPathError) {
      // Messages echo what the user typed: one printable line, whatever it was.
      io.err(`${oneLine(e.message)}\n`);
      return EXIT.invalidInput;
    }
    throw e;
  }
  return code;
}

/** A repeatable option's values, in order (no default: help would print `(default: [])`). */
function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** `name#k` with 1 ≤ k ≤ count: one of the flows a traffic item of `count` packets makes. */
function flowIndex(flow: string, name: string, count: number): boolean {
  if (!flow.startsWith(`${name}#`)) return false;
  const k = flow.slice(name.length + 1);
  return /^[1-9][0-9]*$/.test(k) && Number(k) <= count;
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** `6 pods, 3 of them built-in`: the cluster add-ons podwalk adds (coredns, the API server's static pod) are counted too, so say so. */
function podCount(pods: readonly { builtin: boolean }[]): string {
  const builtin = pods.filter((p) => p.builtin).length;
  if (builtin === 0) return count(pods.length, 'pod');
  return `${count(pods.length, 'pod')}, ${builtin === pods.length ? 'all' : `${builtin} of them`} built-in`;
}
