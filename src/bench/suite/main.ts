/**
 * `npm run bench`: podwalk's benchmarks, every section in one run so that
 * rows compare (same machine, same load), each with the load average it saw.
 *
 *   npm run bench [-- SECTION... ] [-- --out DIR] [-- --reps N]
 *   sections: ns3 max memory speed encap scale   (default: all)
 *
 * Results (summary.json, report.md with every table in Markdown, SVG charts)
 * go to bench/out/ (ignored by git) unless --out says otherwise. With
 * `--out bench/results`, the committed snapshot, a whole run (no section
 * names) also rewrites bench/README.md between its report markers: one
 * command regenerates every figure that page shows. Nothing in `npm test`
 * depends on timing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { runEncap, type EncapResult } from '../encap.js';
import { KUBERNETES_MAX, SCALE_BURST, type ClusterMaxResult, type ScaleCase, type ScaleResult } from '../scale.js';
import { memoryPerPacketInFlight, runWalk, WALKS, type WalkCase, type WalkResult } from '../walk.js';
import { memoryPerIdlePod } from '../memory.js';
import type { FloorResult, FloorVariant } from '../floor.js';
import { barChart, lineChart } from './chart.js';
import { floorRow, type FloorCell, type FloorRate } from './floor-compare.js';
import { load1, machine, processTreeCpuSeconds } from './machine.js';
import { int, median } from './markdown.js';
import { ns3Row, type Ns3Cell, type Rate, type Sender } from './ns3-compare.js';
import { buildNs3, ns3Missing, runNs3, type Ns3Mode } from './ns3.js';
import { progress } from './progress.js';
import { encapMarkdown, maxMarkdown, memoryMarkdown, ns3Markdown, reportMarkdown, scaleMarkdown, speedMarkdown, spliceReport, type Measured, type Report } from './report.js';

const SECTIONS = ['ns3', 'max', 'memory', 'speed', 'encap', 'scale'] as const;
type Section = (typeof SECTIONS)[number];

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const USAGE = `usage: npm run bench [-- SECTION...] [-- --out DIR] [-- --reps N]
  sections: ${SECTIONS.join(' ')} (default: all, one report)
  --out DIR   results directory (default bench/out, not tracked by git);
              bench/results also rewrites bench/README.md's report
  --reps N    repetitions of the ns-3 comparison (default 3, median)
  ns3 also times the floor (src/bench/floor.ts): the exact work alone, in
  V8 - the walk's scheduler events (as many, same times and order, the real
  Scheduler), frame bytes, outcome events and flow records - with every
  event and with send + deliver only
  a whole run is about 250 s of CPU: bench/README.md, "What a run costs"`;
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = argv.find((a) => a.startsWith('-') && a !== '--out' && a !== '--reps');
if (unknown) {
  console.error(`bench: unknown option ${JSON.stringify(unknown)}\n${USAGE}`);
  process.exit(2);
}
const chosen = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
for (const s of chosen) {
  if (!(SECTIONS as readonly string[]).includes(s)) {
    console.error(`bench: unknown section ${JSON.stringify(s)}\n${USAGE}`);
    process.exit(2);
  }
}
const want = (s: Section): boolean => chosen.length === 0 || chosen.includes(s);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OUT = resolve(option('--out') ?? `${ROOT}bench/out`);
/** The committed snapshot: a run written there also refreshes bench/README.md's report block. */
const COMMITTED = resolve(`${ROOT}bench/results`);
/** Where the ns-3 program is built (ignored by git): reused by every later run until bench/ns3/pod-walk.cc changes. */
const SCRATCH = resolve(`${ROOT}bench/out`);
const REPS = Number(option('--reps') ?? 3);
if (!Number.isInteger(REPS) || REPS < 1) {
  console.error(`bench: --reps wants a whole number >= 1, got ${JSON.stringify(option('--reps'))}`);
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
mkdirSync(SCRATCH, { recursive: true });
const write = (name: string, text: string): void => writeFileSync(`${OUT}/${name}`, text);
const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

/** Packets per timed run in the ns-3 comparison: the issue's 100,000. */
const NS3_PACKETS = 100_000;
/**
 * Tracing on sends as many as ns-3 does too: a shorter run would leave the
 * fixed costs of a fresh process (V8 compiling and optimising the walk's
 * code, building the two nodes) a larger share than ns-3's 100,000 datagrams
 * give them, and so compare unlike with unlike.
 */
const TRACED_PACKETS = NS3_PACKETS;
/** Packets per sample in the per-walk speed table, and samples per cell. */
const SPEED_PACKETS = 5_000;
const SPEED_SAMPLES = 3;
const ENCAP_RUNS: [number, number][] = [
  [1500, 10e9],
  [9000, 10e9],
  [9000, 40e9],
];
/** Published single-stream TCP throughput, Gbit/s, 3 runs each (iperf3), from the raw results (bench/README.md). */
const REFERENCES = [
  { what: '2024, 40 Gbit/s, MTU 9000: bare metal (host network)', mtu: 9000, bw: 40e9, backend: 'host-gw', runs: [31.92, 33.87, 28.3] },
  { what: '2024, 40 Gbit/s, MTU 9000: flannel (VXLAN)', mtu: 9000, bw: 40e9, backend: 'flannel-vxlan', runs: [19.59, 20.6, 19.8] },
  { what: '2020, 10 Gbit/s, MTU 9000: flannel (VXLAN)', mtu: 9000, bw: 10e9, backend: 'flannel-vxlan', runs: [9.629, 9.625, 9.815] },
];
/**
 * Scale cases: [nodes, pods, Services, proxy modes]. The cluster grows (30 pods and 10 Services a node), then
 * the Services alone (10 nodes, 500 pods: the linear KUBE-SERVICES chain). The three proxy modes are compared
 * where it costs little and at 10,000 Services; the 1,000-node case runs in iptables mode only (ipvs programs
 * every node at build time; the Kubernetes-maximum section covers the largest cluster), to keep a run short.
 */
const ALL_MODES = ['iptables', 'ipvs', 'nftables'] as const;
const SCALE_CASES: [number, number, number, readonly ScaleCase['proxyMode'][]][] = [
  [2, 60, 10, ALL_MODES],
  [10, 300, 100, ALL_MODES],
  [100, 3_000, 1_000, ALL_MODES],
  [1_000, 30_000, 10_000, ['iptables']],
  [10, 500, 10, ['iptables']],
  [10, 500, 1_000, ['iptables']],
  [10, 500, 10_000, ALL_MODES],
];
/**
 * How long a case may take before it is reported as not finished: about a minute each on a quiet machine,
 * several times that on a loaded one (the Kubernetes-maximum case took 174 s of wall time at load 19).
 */
const MAX_CASE_TIMEOUT_S = 600;
const SCALE_CASE_TIMEOUT_S = 400;
/** Heap for the child processes of the scale cases (the CLI sets its own, see src/cli/heap.ts). */
const CHILD_HEAP_MB = 12_288;

/** The floor's variants (src/bench/floor.ts): every event of the walk, and send + deliver only. */
const FLOOR_VARIANTS: FloorVariant[] = ['every-event', 'whole-packet'];
const walkModes: { mode: Ns3Mode; sender: Sender }[] = [
  { mode: 'same-node', sender: 'new-socket' },
  { mode: 'cross-node', sender: 'new-socket' },
  { mode: 'same-node', sender: 'connected' },
  { mode: 'cross-node', sender: 'connected' },
];
const steps =
  (want('ns3') ? REPS * (2 + walkModes.length * 2 + 2 * FLOOR_VARIANTS.length) : 0) +
  (want('max') ? 1 : 0) +
  (want('memory') ? 2 : 0) +
  (want('speed') ? WALKS.length * 2 : 0) +
  (want('encap') ? ENCAP_RUNS.length : 0) +
  (want('scale') ? SCALE_CASES.reduce((n, c) => n + c[3].length, 0) : 0);
const bar = progress(steps);
const t0 = performance.now();
const cpu0 = processTreeCpuSeconds();
const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
/** Which code was measured: the checkout's commit, `-dirty` with local changes (none when it is not a git checkout). */
function commitOf(dir: string): string | undefined {
  try {
    return execFileSync('git', ['-C', dir, 'describe', '--always', '--dirty', '--exclude', '*'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const commit = commitOf(ROOT);
const report: Report = { machine: machine(), machineAfter: machine(), cost: { wallS: 0, cpuS: 0, command, ...(commit ? { commit } : {}) } };
/** Each section's tables on stdout as soon as it is done (the same Markdown as report.md). */
const show = (lines: string[]): void => console.log(`\n${lines.join('\n').trimEnd()}`);

/** Run one case in a child process (fresh heap, its own peak RSS); `error` set when it failed. */
function child<T>(args: string[], heapMb?: number, timeoutS?: number): Measured<T> {
  const flags = ['--expose-gc', ...(heapMb ? [`--max-old-space-size=${heapMb}`] : [])];
  try {
    const out = execFileSync(process.execPath, [...flags, CHILD, ...args], { encoding: 'utf8', maxBuffer: 1 << 22, ...(timeoutS ? { timeout: timeoutS * 1000 } : {}), stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Measured<T>;
  } catch (e) {
    const err = e as { signal?: string; stderr?: string; message: string };
    const why = err.signal === 'SIGTERM' ? `timed out after ${timeoutS} s` : /heap out of memory/i.test(err.stderr ?? '') ? `out of memory (heap ${heapMb} MB)` : err.message.split('\n')[0]!;
    return { error: why, loadavg1AtStart: load1(), peakRssBytes: 0 } as Measured<T>;
  }
}

const walkChild = (c: WalkCase, tracing: boolean): Rate => {
  const r = child<WalkResult>(['walk', JSON.stringify(c), tracing ? 'on' : 'off']);
  if (r.error) throw new Error(`podwalk ${c.walk}${c.connected ? ' (connected)' : ''}: ${r.error}`);
  if (r.delivered !== c.packets) throw new Error(`podwalk ${c.walk}: ${r.delivered} of ${c.packets} datagrams delivered`);
  return { wall: r.packetsPerSec, cpu: r.packetsPerCpuSec, peakRssBytes: r.peakRssBytes, loadavg1: r.loadavg1AtStart };
};

const floorChild = (c: { walk: Ns3Mode; packets: number; variant: FloorVariant }): FloorRate => {
  const r = child<FloorResult>(['floor', JSON.stringify(c)]);
  if (r.error) throw new Error(`floor ${c.walk} (${c.variant}): ${r.error}`);
  if (r.delivered !== c.packets) throw new Error(`floor ${c.walk}: ${r.delivered} of ${c.packets} datagrams delivered`);
  return { wall: r.packetsPerSec, cpu: r.packetsPerCpuSec, peakRssBytes: r.peakRssBytes, loadavg1: r.loadavg1AtStart, eventsPerDatagram: r.eventsPerDatagram, walkEventsPerDatagram: r.walkEventsPerDatagram, frameBytes: r.frameBytes, captured: r.captured, matching: r.matching };
};

// ---------------------------------------------------------------- ns-3 side by side
if (want('ns3')) {
  let skipped = ns3Missing();
  let bin: string | undefined;
  if (!skipped) {
    try {
      bar.start('ns3: building bench/ns3/pod-walk.cc');
      bin = buildNs3(SCRATCH); // built once, kept in the scratch directory whatever --out says
    } catch (e) {
      skipped = `bench/ns3/build.sh failed: ${String((e as { stderr?: string }).stderr ?? e).slice(0, 300)}`;
    }
  }
  const cells: Ns3Cell[] = walkModes.map(({ mode, sender }) => ({ mode, sender, ns3: [], off: [], on: [] }));
  const floors: FloorCell[] = (['same-node', 'cross-node'] as const).map((mode) => ({ mode, every: [], whole: [], ns3EventsPerPacket: [] }));
  // Interleaved: every repetition runs every cell once, so that a burst of load on the machine hits all cells alike.
  // ns-3 runs once per walk and repetition; both podwalk senders are compared with that run.
  for (let r = 1; r <= REPS; r++) {
    for (const mode of ['same-node', 'cross-node'] as const) {
      bar.start(`ns3: ${mode}, ns-3 (${r}/${REPS})`);
      if (bin) {
        const x = runNs3(bin, mode, NS3_PACKETS);
        if (!x.ok) throw new Error(`ns-3 ${mode}: not every datagram was delivered`);
        for (const c of cells) if (c.mode === mode) c.ns3.push({ wall: x.pkts_per_wall_s, cpu: x.pkts_per_cpu_s, peakRssBytes: x.peak_rss_kb * 1024, loadavg1: x.loadavg1_at_start });
        floors.find((f) => f.mode === mode)!.ns3EventsPerPacket.push(x.events / x.packets);
      }
      bar.tick();
      for (const c of cells.filter((x) => x.mode === mode)) {
        for (const tracing of [false, true]) {
          bar.start(`ns3: ${mode}, podwalk, ${c.sender}, tracing ${tracing ? 'on' : 'off'} (${r}/${REPS})`);
          const rate = walkChild({ walk: mode, packets: tracing ? TRACED_PACKETS : NS3_PACKETS, ...(c.sender === 'connected' ? { connected: true } : {}) }, tracing);
          (tracing ? c.on : c.off).push(rate);
          bar.tick();
        }
      }
      const floor = floors.find((f) => f.mode === mode)!;
      for (const variant of FLOOR_VARIANTS) {
        bar.start(`ns3: ${mode}, floor, ${variant} (${r}/${REPS})`);
        try {
          (variant === 'every-event' ? floor.every : floor.whole).push(floorChild({ walk: mode, packets: NS3_PACKETS, variant }));
        } catch (e) {
          floor.error ??= (e as Error).message; // reported with the section; ns-3 and podwalk still are
        }
        bar.tick();
      }
    }
  }
  const rows = cells.map(ns3Row);
  const ns3Of = (mode: Ns3Mode): { wall: number; cpu: number } => rows.find((x) => x.mode === mode)?.ns3 ?? { wall: NaN, cpu: NaN };
  report.ns3 = { packets: NS3_PACKETS, tracedPackets: TRACED_PACKETS, reps: REPS, ...(skipped ? { skipped } : {}), rows, floor: floors.map((f) => floorRow(f, ns3Of(f.mode))) };
  show(ns3Markdown(report.ns3));
}

// ---------------------------------------------------------------- Kubernetes' maximum cluster (once: it is the expensive case)
if (want('max')) {
  const c = KUBERNETES_MAX;
  bar.start(`max: ${int(c.nodes)} nodes, ${int(c.pods)} pods, ${int(c.services)} Services (once)`);
  report.max = { ...c, ...child<ClusterMaxResult>(['max', JSON.stringify(c)], CHILD_HEAP_MB, MAX_CASE_TIMEOUT_S) };
  bar.tick();
  show(maxMarkdown(report.max));
}

// ---------------------------------------------------------------- memory
if (want('memory')) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) console.log('\nmemory: skipped (run node with --expose-gc)');
  else {
    bar.start('memory: per packet in flight');
    const inFlight = memoryPerPacketInFlight(20_000, gc);
    bar.tick();
    bar.start('memory: per idle pod');
    const idle = memoryPerIdlePod(10, 2_000, gc);
    bar.tick();
    report.memory = { inFlight, idle };
    show(memoryMarkdown(report.memory));
  }
}

// ---------------------------------------------------------------- speed per walk
if (want('speed')) {
  const rows: NonNullable<Report['speed']>['rows'] = [];
  for (const w of WALKS) {
    for (const tracing of [false, true]) {
      bar.start(`speed: ${w.title}, tracing ${tracing ? 'on' : 'off'}`);
      const load = load1();
      const samples: WalkResult[] = [];
      for (let i = 0; i < SPEED_SAMPLES; i++) samples.push(runWalk({ walk: w.name, packets: SPEED_PACKETS }, tracing, () => performance.now()));
      if (samples.some((s) => s.delivered !== SPEED_PACKETS)) throw new Error(`${w.name}: not every packet was delivered`);
      const rates = samples.map((s) => s.packetsPerSec);
      rows.push({ walk: w.title, tracing: tracing ? 'on' : 'off', packetsPerSec: median(rates), packetsPerCpuSec: median(samples.map((s) => s.packetsPerCpuSec)), min: Math.min(...rates), max: Math.max(...rates), loadavg1: load });
      bar.tick();
    }
  }
  report.speed = { packetsPerRun: SPEED_PACKETS, samples: SPEED_SAMPLES, rows };
  show(speedMarkdown(report.speed));
  write(
    'speed.svg',
    barChart({
      title: 'Simulator speed per walk (median packets/s)',
      xLabel: 'walk',
      yLabel: 'packets/s',
      groups: WALKS.map((w) => w.name),
      series: ['off', 'on'].map((tr) => ({ name: `tracing ${tr}`, values: WALKS.map((w) => rows.find((r) => r.walk === w.title && r.tracing === tr)!.packetsPerSec) })),
    }),
  );
}

// ---------------------------------------------------------------- encap
if (want('encap')) {
  const runs: EncapResult[] = [];
  for (const [mtu, bw] of ENCAP_RUNS) {
    bar.start(`encap: MTU ${mtu}, ${bw / 1e9} Gbit/s`);
    runs.push(runEncap({ topology: { mtu, bandwidthBps: bw, latencyNs: 50_000 } }));
    bar.tick();
  }
  const tcpOf = (mtu: number, bw: number, backend: string): number => runs.find((r) => r.topology.mtu === mtu && r.topology.bandwidthBps === bw)!.tcp.find((t) => t.backend === backend)!.goodputCpuBps;
  report.encap = runs;
  report.encapReferences = REFERENCES.map((x) => ({ ...x, median: median(x.runs), model: tcpOf(x.mtu, x.bw, x.backend) / 1e9 }));
  show(encapMarkdown(runs, report.encapReferences));
  for (const r of runs) {
    const backends = [...new Set(r.udp.map((u) => u.backend))];
    const g = r.topology.bandwidthBps / 1e9;
    write(
      `encap-udp-${r.topology.mtu}-${g}g.svg`,
      lineChart({
        title: `UDP goodput vs payload, MTU ${r.topology.mtu}, ${g} Gbit/s`,
        xLabel: 'UDP payload (bytes)',
        yLabel: 'goodput (bit/s)',
        logX: true,
        series: [
          ...backends.map((b) => ({ name: `${b} cpu`, points: r.udp.filter((u) => u.backend === b).map((u): [number, number] => [u.payload, u.goodputCpuBps]) })),
          ...backends.map((b) => ({ name: `${b} wire`, points: r.udp.filter((u) => u.backend === b).map((u): [number, number] => [u.payload, u.goodputWireBps]) })),
        ],
      }),
    );
    if (r.topology.bandwidthBps === 10e9)
      write(
        `encap-overhead-${r.topology.mtu}.svg`,
        lineChart({
          title: `Header overhead on the underlay, MTU ${r.topology.mtu}`,
          xLabel: 'UDP payload (bytes)',
          yLabel: 'overhead (% of underlay bytes)',
          logX: true,
          series: backends.map((b) => ({ name: b, points: r.udp.filter((u) => u.backend === b).map((u): [number, number] => [u.payload, u.overheadPct]) })),
        }),
      );
  }
  write(
    'encap-tcp.svg',
    barChart({
      title: 'TCP bulk goodput: links only vs with the cost model',
      xLabel: 'backend',
      yLabel: 'goodput (bit/s)',
      groups: runs[0]!.tcp.map((x) => x.backend),
      series: runs.flatMap((r) => [
        { name: `${r.topology.mtu}/${r.topology.bandwidthBps / 1e9}G wire`, values: r.tcp.map((x) => x.goodputWireBps) },
        { name: `${r.topology.mtu}/${r.topology.bandwidthBps / 1e9}G cpu`, values: r.tcp.map((x) => x.goodputCpuBps) },
      ]),
    }),
  );
}

// ---------------------------------------------------------------- scale
if (want('scale')) {
  const rows: Measured<ScaleResult>[] = [];
  for (const [nodes, pods, services, modes] of SCALE_CASES) {
    for (const proxyMode of modes) {
      bar.start(`scale: ${nodes} nodes, ${pods} pods, ${services} Services (${proxyMode})`);
      const c: ScaleCase = { nodes, pods, services, ...(proxyMode ? { proxyMode } : {}) };
      rows.push({ ...c, ...child<ScaleResult>(['scale', JSON.stringify(c)], CHILD_HEAP_MB, SCALE_CASE_TIMEOUT_S) });
      bar.tick();
    }
  }
  report.scale = rows;
  report.scaleBurst = SCALE_BURST;
  show(scaleMarkdown(rows, SCALE_BURST));
  const ok = rows.filter((r) => !r.error && (r.proxyMode ?? 'iptables') === 'iptables');
  const growth = ok.filter((r) => r.pods === r.nodes * 30);
  const svcs = ok.filter((r) => r.nodes === 10 && r.pods === 500);
  const nftSvcs = rows.filter((r) => !r.error && r.proxyMode === 'nftables' && r.nodes === 10 && r.pods === 500);
  write('scale-build.svg', lineChart({ title: 'Load and build time as the cluster grows (30 pods, 10 Services per node)', xLabel: 'nodes', yLabel: 'ms', logX: true, logY: true, series: [{ name: 'load (YAML)', points: growth.map((r) => [r.nodes, r.loadMs]) }, { name: 'build', points: growth.map((r) => [r.nodes, r.buildMs]) }] }));
  write('scale-memory.svg', lineChart({ title: 'Heap after build and peak RSS', xLabel: 'nodes', yLabel: 'bytes', logX: true, logY: true, series: [{ name: 'heap after build', points: growth.map((r) => [r.nodes, r.heapBytes]) }, { name: 'peak RSS', points: growth.map((r) => [r.nodes, r.peakRssBytes]) }] }));
  write(
    'scale-services.svg',
    lineChart({
      title: 'Packet to a Service: rules traversed and cost (10 nodes)',
      xLabel: 'Services',
      yLabel: 'rules / us',
      logX: true,
      logY: true,
      series: [
        { name: 'iptables rules traversed', points: svcs.map((r) => [r.services, r.rulesTraversed]) },
        { name: 'us per packet (CPU)', points: svcs.map((r) => [r.services, r.usPerPacket]) },
        // nftables mode: the same packet's rules (a map lookup replaces the linear chain), and its map lookups.
        { name: 'nftables rules traversed', points: nftSvcs.map((r) => [r.services, r.rulesTraversed]) },
        { name: 'nftables map lookups', points: nftSvcs.map((r) => [r.services, r.mapLookups]) },
      ],
    }),
  );
}

bar.end();
report.machineAfter = machine();
report.cost.wallS = (performance.now() - t0) / 1000;
report.cost.cpuS = processTreeCpuSeconds() - cpu0;
const markdown = reportMarkdown(report);
write('summary.json', JSON.stringify(report, null, 2) + '\n');
write('report.md', markdown);
console.log(`\n${markdown.split('\n').slice(0, 2).join('\n')}`);
if (OUT === COMMITTED) {
  // The page shows one whole run: a run of some sections only leaves it as it is.
  if (chosen.length > 0) console.log('bench/README.md: left as it is (its report is a whole run: run without section names to rewrite it)');
  else {
    const readme = `${ROOT}bench/README.md`;
    writeFileSync(readme, spliceReport(readFileSync(readme, 'utf8'), markdown));
    console.log('bench/README.md: the report block rewritten from this run');
  }
}
const shownOut = relative(process.cwd(), OUT);
console.log(`bench: results in ${shownOut.startsWith('..') ? OUT : shownOut || '.'}`);
