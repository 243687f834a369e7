import type { EncapResult } from '../encap.js';
import type { ClusterMaxResult, ScaleCase, ScaleResult } from '../scale.js';
import type { Machine } from './machine.js';
import { fixed, int, mib, range, ratio, table } from './markdown.js';
import { usPer, type FloorRow } from './floor-compare.js';
import type { Ns3Row } from './ns3-compare.js';

/**
 * The Markdown report of one `npm run bench` (report.md, and bench/README.md
 * between its report markers): every table from the same run, each saying
 * what it measured and under what load. Pure: built from summary.json's data.
 */

export interface Ns3Section {
  packets: number;
  tracedPackets: number;
  reps: number;
  /** Why ns-3 did not run (podwalk's side is still timed), or undefined. */
  skipped?: string;
  rows: Ns3Row[];
  /** The floor (src/bench/floor.ts) on each walk, from the same repetitions. */
  floor?: FloorRow[];
}

export interface SpeedRow {
  walk: string;
  tracing: 'off' | 'on';
  packetsPerSec: number;
  packetsPerCpuSec: number;
  min: number;
  max: number;
  loadavg1: number;
}
export interface SpeedSection {
  packetsPerRun: number;
  samples: number;
  rows: SpeedRow[];
}

export interface MemorySection {
  inFlight: { packets: number; bytesPerPacket: number };
  idle: { nodes: number; pods: number; bytesPerPod: number };
}

/** A child process's outcome: its figures, or why it did not finish. */
export type Measured<T> = T & { error?: string; loadavg1AtStart: number; peakRssBytes: number };

export interface RunCost {
  /** Wall time of the whole run, s, and CPU time of every process in it (this one, the cases' children, ns-3), s. */
  wallS: number;
  cpuS: number;
  command: string;
  /** `git describe --always --dirty` of the checkout measured, when it is one. */
  commit?: string;
}

export interface Report {
  machine: Machine;
  machineAfter: Machine;
  cost: RunCost;
  ns3?: Ns3Section;
  speed?: SpeedSection;
  memory?: MemorySection;
  encap?: EncapResult[];
  encapReferences?: { what: string; backend: string; median: number; runs: number[]; model: number }[];
  scale?: Measured<ScaleResult>[];
  /** Datagrams in each scale case's timed burst. */
  scaleBurst?: number;
  max?: Measured<ClusterMaxResult> | (ScaleCase & { error: string; loadavg1AtStart: number; peakRssBytes: number });
}

/** A headline figure in bold; a missing one ("–") plain. */
const bold = (x: string): string => (x === '–' ? x : `**${x}**`);
const SENDER = { 'new-socket': 'a new socket per datagram', connected: 'one connected socket (as ns-3 sends)' } as const;
const WALK = { 'same-node': 'same node', 'cross-node': 'cross-node (host-gw)' } as const;
const cluster = (c: { nodes: number; pods: number; services: number }): string => `${int(c.nodes)} / ${int(c.pods)} / ${int(c.services)}`;

export function header(r: Report): string[] {
  const m = r.machine;
  return [
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Linux ${m.kernel}, Node ${m.node}${r.cost.commit ? `; podwalk at ${r.cost.commit}` : ''}. ` +
      `Load average (1 / 5 / 15 min): ${m.loadavg.join(' / ')} at the start, ${r.machineAfter.loadavg.join(' / ')} at the end. ` +
      `The run (\`${r.cost.command}\`) took **${int(r.cost.wallS)} s** of wall time and ${int(r.cost.cpuS)} s of CPU (every process of the run).`,
    '',
  ];
}

/** The issue's goals, each against this run's figure. */
export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean | undefined;
}

export function goals(r: Report): Goal[] {
  const out: Goal[] = [];
  const ns3 = r.ns3;
  if (ns3) {
    // Judged on the like-for-like sender (one connected socket, as the ns-3 program sends), wall-clock packets/s.
    const like = ns3.rows.filter((x) => x.sender === 'connected');
    for (const [tracing, target] of [['off', 10], ['on', 1]] as const) {
      const wall = like.map((x) => (tracing === 'off' ? x.ratio.offWall : x.ratio.onWall));
      const cpu = like.map((x) => (tracing === 'off' ? x.ratio.offCpu : x.ratio.onCpu));
      const known = !ns3.skipped && wall.every(Number.isFinite);
      out.push({
        goal: `podwalk / ns-3 packets/s, tracing ${tracing} (same node / cross-node)`,
        target: `≥ ${target}×`,
        measured: known ? `${like.map((x, i) => ratio(wall[i]!, 1)).join(' / ')} (per CPU second ${like.map((x, i) => ratio(cpu[i]!, 1)).join(' / ')})` : 'ns-3 skipped',
        met: known ? wall.every((x) => x >= target) : undefined,
      });
    }
  }
  const max = r.max;
  if (max) {
    if (max.error || !('loadMs' in max)) out.push({ goal: "Kubernetes' maximum cluster", target: 'finishes', measured: `not finished: ${max.error}`, met: false });
    else {
      const wall = max.loadMs + max.buildMs;
      out.push(
        { goal: `load + build, ${cluster(max)} nodes / pods / Services`, target: '< 60 s', measured: `${fixed(wall / 1000, 1)} s (CPU ${fixed((max.loadCpuMs + max.buildCpuMs) / 1000, 1)} s)`, met: wall < 60_000 },
        { goal: 'peak RSS of that run', target: '< 8 GB', measured: `${fixed(max.peakRssBytes / 1e9, 2)} GB`, met: max.peakRssBytes < 8e9 },
        { goal: 'a traced packet to the last Service', target: '< 10 ms', measured: `${fixed(max.tracedPacketMs, 2)} ms (CPU ${fixed(max.tracedPacketCpuMs, 2)} ms)`, met: max.tracedPacketMs < 10 },
      );
    }
  }
  if (r.memory) out.push({ goal: 'memory per packet in flight and per idle pod', target: 'measured', measured: `${int(r.memory.inFlight.bytesPerPacket)} B and ${int(r.memory.idle.bytesPerPod)} B`, met: r.memory.inFlight.bytesPerPacket > 0 && r.memory.idle.bytesPerPod > 0 });
  return out;
}

export function goalsMarkdown(r: Report): string[] {
  const gs = goals(r);
  if (gs.length === 0) return [];
  const verdict = (m: boolean | undefined): string => (m === undefined ? '–' : m ? 'met' : '**not met**');
  return [
    '### Against the goals',
    '',
    'Judged on wall-clock time, as the goals are stated; the CPU figures beside them are what load from other processes disturbs less.',
    '',
    ...table(['goal', 'target', 'this run', 'verdict'], gs.map((g) => [g.goal, g.target, g.measured, verdict(g.met)])),
    '',
  ];
}

export function ns3Markdown(s: Ns3Section): string[] {
  const loads = s.rows.flatMap((x) => x.loadavg1);
  const rows = s.rows;
  const name = (x: Ns3Row): string => `${WALK[x.mode]}, ${SENDER[x.sender]}`;
  const rss = (k: 'ns3' | 'off' | 'on'): string => [...new Set(rows.map((x) => x.mode))].map((m) => mib(Math.max(...rows.filter((x) => x.mode === m).map((x) => x.peakRssBytes[k])))).join(' / ');
  return [
    '### Side by side with ns-3',
    '',
    `${int(s.packets)} UDP datagrams of 64 B, one every 5 µs, per run${s.tracedPackets === s.packets ? ', tracing off and on alike' : ` (tracing on: ${int(s.tracedPackets)})`}; ${s.reps === 1 ? 'one run each' : `median of ${s.reps} interleaved runs`}; ` +
      `1-minute load average at the start of the runs ${range(loads)}. ns-3 times \`Simulator::Run()\`; podwalk times \`simulate()\` (building the two nodes, every packet, every flow's summary).`,
    '',
    ...(s.skipped ? [`**ns-3 skipped: ${s.skipped}.** podwalk's rates are still measured; the ratios are left blank.`, ''] : []),
    'Packets per second (wall clock):',
    '',
    ...table(
      ['walk, podwalk sender', 'ns-3', 'podwalk, tracing off', '× ns-3', 'podwalk, full tracing', '× ns-3'],
      rows.map((x) => [name(x), int(x.ns3.wall), int(x.off.wall), bold(ratio(x.off.wall, x.ns3.wall)), int(x.on.wall), bold(ratio(x.on.wall, x.ns3.wall))]),
      ['l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    'Packets per CPU second (process CPU time; podwalk\'s includes its garbage collector\'s threads):',
    '',
    ...table(
      ['walk, podwalk sender', 'ns-3', 'podwalk, tracing off', '× ns-3', 'podwalk, full tracing', '× ns-3'],
      rows.map((x) => [name(x), int(x.ns3.cpu), int(x.off.cpu), ratio(x.off.cpu, x.ns3.cpu), int(x.on.cpu), ratio(x.on.cpu, x.ns3.cpu)]),
      ['l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    `Peak RSS (same node / cross-node): ns-3 ${s.skipped ? '–' : `${rss('ns3')} MiB`}; podwalk ${rss('off')} MiB with tracing off (${int(s.packets)} datagrams), ${rss('on')} MiB with tracing on.`,
    '',
    ...(s.floor ? floorMarkdown(s) : []),
  ];
}

/** µs with two decimals; "–" when there is none. */
const us = (x: number): string => fixed(x, 2);

/** What the floor's figures say about 10× on one walk, in one sentence. */
export function floorVerdict(f: FloorRow, podwalkCpu: number): string {
  const walk = `${WALK[f.mode][0]!.toUpperCase()}${WALK[f.mode].slice(1)}`;
  if (!Number.isFinite(f.us.tenfold)) return `${walk}: no verdict without ns-3.`;
  // What 10× leaves after a floor that takes `floorUs` (negative: not even the floor fits).
  const left = (floorUs: number): string => {
    const x = f.us.tenfold - floorUs;
    return x < 0 ? `is over it by ${us(-x)} µs: **out of reach even with nothing else done**` : `leaves **${us(x)} µs** per datagram for all other work (podwalk spends ${us(usPer(podwalkCpu) - floorUs)} µs on it now)`;
  };
  return (
    `${walk}: 10× ns-3 allows ${us(f.us.tenfold)} µs of CPU per datagram; ` +
    `the floor with every event (${fixed(f.walkEventsPerDatagram, 0)} a datagram) takes ${us(f.us.every)} µs (${ratio(f.every.cpu, f.ns3.cpu)} ns-3 per CPU second) and ${left(f.us.every)}; ` +
    `with send + deliver only it takes ${us(f.us.whole)} µs (${ratio(f.whole.cpu, f.ns3.cpu)}) and ${left(f.us.whole)}.`
  );
}

export function floorMarkdown(s: Ns3Section): string[] {
  const floor = s.floor ?? [];
  const podwalk = (f: FloorRow): Ns3Row | undefined => s.rows.find((x) => x.mode === f.mode && x.sender === 'connected');
  const f0 = floor[0];
  return [
    '#### The floor: the exact work alone',
    '',
    'What an exact simulation of these walks cannot avoid, alone, in V8 (`src/bench/floor.ts`), timed in the same repetitions as ns-3 and podwalk. ' +
      "Per datagram: the scheduler events of podwalk's walk — as many, at the same times after the send, each scheduled by the same event, so in the same (time, sequence) order, through the real `Scheduler` (captured from the real walk with one connected socket)" +
      `; the frame's bytes once (${f0 ? int(f0.frameBytes) : '–'} B from a template into a shared slab, IPv4 id and checksum patched); a packet record; a \`create\` and a \`deliver\` outcome event and a flow record, handed on. ` +
      'Nothing else: no routing, netfilter, conntrack, neighbour or FDB lookups, counters, cost model (its delays are taken as given), per-hop frame rewrites, socket queue, hop trace events, nor keeping the trace and flow records. ' +
      '*Send + deliver*: the same with 2 events per datagram, what a replay of the whole path that elides the intermediate events would leave. ' +
      'Each is a bound on what podwalk could reach with that design, not a forecast of it.',
    '',
    'Packets per second (wall clock):',
    '',
    ...table(
      ['walk', 'ns-3', 'podwalk, tracing off', '× ns-3', 'floor, every event', '× ns-3', 'floor, send + deliver', '× ns-3'],
      floor.map((f) => {
        const ns3 = f.ns3.wall;
        const off = podwalk(f)?.off.wall ?? NaN;
        return [WALK[f.mode], int(ns3), int(off), ratio(off, ns3), int(f.every.wall), bold(ratio(f.every.wall, ns3)), int(f.whole.wall), bold(ratio(f.whole.wall, ns3))];
      }),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    'CPU time per datagram, µs (from packets per CPU second; load from other processes disturbs it less):',
    '',
    ...table(
      ['walk', 'events per datagram: podwalk / ns-3', 'ns-3', '10× ns-3 allows', 'podwalk, tracing off', 'floor, every event', 'floor, send + deliver'],
      floor.map((f) => [WALK[f.mode], `${fixed(f.walkEventsPerDatagram, 0)} / ${fixed(f.ns3EventsPerPacket, 0)}`, us(f.us.ns3), us(f.us.tenfold), us(usPer(podwalk(f)?.off.cpu ?? NaN)), us(f.us.every), us(f.us.whole)]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    ...(s.skipped ? ['Without ns-3 the floor has nothing to be compared with: no verdict.'] : floor.map((f) => `- ${floorVerdict(f, podwalk(f)?.off.cpu ?? NaN)}`)),
    '',
    ...floor.filter((f) => f.error).map((f) => `**Floor not measured on the ${WALK[f.mode]} walk: ${f.error}.**`),
    `The profile's shape held for ${floor.map((f) => `${int(f.matching)} of ${int(f.captured)}`).join(' / ')} captured datagrams (same node / cross-node; the first of the connection costs the cost model more CPU time and is replayed with its own shape); 1-minute load average at the start of the floor's runs ${range(floor.flatMap((f) => f.loadavg1))}.`,
    '',
  ];
}

export function speedMarkdown(s: SpeedSection): string[] {
  return [
    '### Simulator speed per walk',
    '',
    `One process; a sample builds the two-node cluster, sends ${int(s.packetsPerRun)} UDP datagrams of 64 B every 5 µs and summarizes every flow; median of ${s.samples} samples.`,
    '',
    ...table(
      ['walk', 'tracing', 'packets/s', 'min – max', 'packets per CPU second', 'load average'],
      s.rows.map((x) => [x.walk, x.tracing, int(x.packetsPerSec), `${int(x.min)} – ${int(x.max)}`, int(x.packetsPerCpuSec), fixed(x.loadavg1, 2)]),
      ['l', 'l', 'r', 'r', 'r', 'r'],
    ),
    '',
  ];
}

export function memoryMarkdown(m: MemorySection): string[] {
  return [
    '### Memory',
    '',
    ...table(
      ['what', 'bytes', 'how'],
      [
        ['per packet in flight', int(m.inFlight.bytesPerPacket), `${int(m.inFlight.packets)} datagrams queued on a 1 Mbit/s link: heap after a full GC minus just before they were sent (the packet, its conntrack entry, its scheduler entry)`],
        ['per idle pod', int(m.idle.bytesPerPod), `${int(m.idle.pods)} pods on ${m.idle.nodes} nodes: heap after the build minus the same cluster without pods, after a full GC each`],
      ],
      ['l', 'r', 'l'],
    ),
    '',
  ];
}

const gbit = (bps: number): string => fixed(bps / 1e9, 2);

export function encapMarkdown(runs: EncapResult[], refs: Report['encapReferences'] = []): string[] {
  const out = ['### Encapsulation overhead', ''];
  const first = runs.find((x) => x.topology.mtu === 1500) ?? runs[0];
  if (first) {
    const t = first.topology;
    // The headline sizes: the smallest, 1 KiB, each backend's largest unfragmented datagram, and the largest of all.
    const largest = Math.max(...first.udp.map((u) => u.payload));
    const unfragmented = (b: string): number => Math.max(...first.udp.filter((u) => u.backend === b && !u.fragmented).map((u) => u.payload));
    const shown = (u: EncapResult['udp'][number]): boolean => u.payload === 64 || u.payload === 1024 || u.payload === largest || u.payload === unfragmented(u.backend);
    out.push(
      `UDP, underlay MTU ${t.mtu}, ${t.bandwidthBps / 1e9} Gbit/s, ${t.latencyNs / 1000} µs per link: one lone datagram (frames, latency), a back-to-back burst of 100 (rates). ` +
        '*wire*: links only; *cpu*: with the per-hop cost model. Frame bytes as tcpdump shows them: **no preamble, inter-frame gap or FCS** (24 B a frame on a real wire), so small frames reach packet rates above a real NIC\'s line rate. Every size: `podwalk bench encap`.',
      '',
      ...table(
        ['backend', 'payload B', 'frames', 'underlay B', 'overhead %', 'latency µs wire / cpu', 'kpps wire / cpu', 'goodput Gbit/s wire / cpu'],
        first.udp
          .filter(shown)
          .map((u) => [u.backend, u.payload, u.fragmented ? `**${u.framesPerDatagram} (fragmented)**` : u.framesPerDatagram, u.underlayBytes, fixed(u.overheadPct, 1), `${fixed(u.latencyWireNs / 1000, 1)} / ${fixed(u.latencyCpuNs / 1000, 1)}`, `${int(u.ppsWire / 1000)} / ${int(u.ppsCpu / 1000)}`, `${gbit(u.goodputWireBps)} / ${gbit(u.goodputCpuBps)}`]),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
      '',
    );
  }
  out.push(
    'TCP bulk transfer: efficiency = data per full segment / frame on the underlay; goodput in Gbit/s.',
    '',
    ...table(
      ['underlay', 'backend', 'pod MTU', 'data / frame', 'efficiency', 'goodput wire / cpu', 'cpu vs host-gw'],
      runs.flatMap((r) => {
        const base = r.tcp[0]!.goodputCpuBps;
        return r.tcp.map((x) => [`MTU ${r.topology.mtu}, ${r.topology.bandwidthBps / 1e9}G`, x.backend, x.podMtu, `${x.segmentData} / ${x.frameBytes}`, `${fixed(100 * x.efficiency, 2)} %`, `${gbit(x.goodputWireBps)} / ${gbit(x.goodputCpuBps)}`, fixed(x.goodputCpuBps / base, 2)]);
      }),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
  );
  if (refs.length > 0)
    out.push(
      'The cost model against published single-stream TCP measurements (iperf3, 3 runs; sources below):',
      '',
      ...table(
        ['reference', 'published Gbit/s: median (min – max)', 'model', 'model / published'],
        refs.map((x) => [x.what, `${fixed(x.median, 2)} (${fixed(Math.min(...x.runs), 2)} – ${fixed(Math.max(...x.runs), 2)})`, `${fixed(x.model, 2)} (${x.backend})`, fixed(x.model / x.median, 2)]),
        ['l', 'r', 'r', 'r'],
      ),
      '',
    );
  return out;
}

export function scaleMarkdown(rows: Measured<ScaleResult>[], burst: number): string[] {
  const mode = (x: ScaleCase): string => x.proxyMode ?? 'iptables';
  const failed = rows.filter((x) => x.error);
  const ok = rows.filter((x) => !x.error);
  const ipt = ok.filter((x) => mode(x) === 'iptables');
  return [
    '### Scale',
    '',
    'Generated clusters: pods round-robin over the nodes, ClusterIP Services over groups of 5 pods, host-gw; each case in its own process. ' +
      '*program 1 node*: generating and loading one node\'s kube-proxy rules, done on a node\'s first use; *rules traversed*: rules evaluated for the first packet to the **last** Service, over its whole path; ' +
      `*µs per packet*: CPU time per datagram of new connections to that Service, tracing off: ${int(2 * burst)} are sent, timed from the ${int(burst)}th delivery to the last (the first half warms the process up; the nodes they reach are programmed before).`,
    '',
    `iptables mode (kube-proxy's default):`,
    '',
    ...table(
      ['nodes / pods / Services', 'load ms', 'build ms', 'heap / peak RSS MiB', 'program 1 node ms / MiB', 'rules per node', 'rules traversed', 'µs per packet'],
      ipt.map((x) => [cluster(x), int(x.loadMs), int(x.buildMs), `${mib(x.heapBytes)} / ${mib(x.peakRssBytes)}`, `${int(x.programNodeMs)} / ${mib(x.programNodeBytes)}`, int(x.rulesPerNode), int(x.rulesTraversed), fixed(x.usPerPacket, 1)]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    'The three proxy modes side by side (ipvs programs every node at build time; iptables and nftables on first use):',
    '',
    ...table(
      ['nodes / pods / Services', 'mode', 'build ms', 'heap MiB', 'rules per node', 'rules traversed', 'IPVS / map lookups', 'µs per packet'],
      ok.filter((x) => ok.some((y) => y !== x && y.nodes === x.nodes && y.pods === x.pods && y.services === x.services)).map((x) => [cluster(x), mode(x), int(x.buildMs), mib(x.heapBytes), int(x.rulesPerNode), int(x.rulesTraversed), mode(x) === 'ipvs' ? int(x.ipvsLookups) : mode(x) === 'nftables' ? int(x.mapLookups) : '–', fixed(x.usPerPacket, 1)]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    ...failed.map((x) => `Not finished: ${cluster(x)} (${mode(x)}): ${x.error}.`),
    ...(failed.length ? [''] : []),
  ];
}

export function maxMarkdown(m: NonNullable<Report['max']>): string[] {
  const head = ['nodes / pods / Services', 'load + build', 'peak RSS', 'first packet (programs the nodes it reaches)', 'traced packet to the last Service', 'rules traversed', 'load average'];
  const row =
    m.error || !('loadMs' in m)
      ? [cluster(m), `not finished: ${m.error}`, '', '', '', '', fixed(m.loadavg1AtStart, 2)]
      : [
          cluster(m),
          `${fixed((m.loadMs + m.buildMs) / 1000, 1)} s (CPU ${fixed((m.loadCpuMs + m.buildCpuMs) / 1000, 1)} s)`,
          `${mib(m.peakRssBytes)} MiB`,
          `${fixed(m.firstPacketMs / 1000, 1)} s (CPU ${fixed(m.firstPacketCpuMs / 1000, 1)} s)`,
          `${fixed(m.tracedPacketMs, 2)} ms (CPU ${fixed(m.tracedPacketCpuMs, 2)} ms), ${m.delivered ? 'delivered' : '**not delivered**'}`,
          int(m.rulesTraversed),
          fixed(m.loadavg1AtStart, 2),
        ];
  return [
    "### Kubernetes' maximum cluster",
    '',
    'Run once (it is the expensive case): the cluster loaded from JSON and built, then traced packets from the first pod to the last Service: the first two (100 µs apart) timed together, then, after two untimed minor GCs, the traced packet (a new connection) on its own.',
    '',
    ...table(head, [row], ['l', 'r', 'r', 'r', 'r', 'r', 'r']),
    '',
  ];
}

/** The whole report.md, in the order bench/README.md presents it. */
export function reportMarkdown(r: Report): string {
  return [
    ...header(r),
    ...goalsMarkdown(r),
    ...(r.ns3 ? ns3Markdown(r.ns3) : []),
    ...(r.max ? maxMarkdown(r.max) : []),
    ...(r.memory ? memoryMarkdown(r.memory) : []),
    ...(r.speed ? speedMarkdown(r.speed) : []),
    ...(r.encap ? encapMarkdown(r.encap, r.encapReferences) : []),
    ...(r.scale ? scaleMarkdown(r.scale, r.scaleBurst ?? NaN) : []),
  ]
    .join('\n')
    .replace(/\n+$/, '\n');
}

const START = '<!-- report:start -->';
const END = '<!-- report:end -->';

/** bench/README.md with the text between its report markers replaced by `report`; throws when the markers are missing. */
export function spliceReport(readme: string, report: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`bench/README.md has no ${START} ... ${END} block`);
  return `${readme.slice(0, a + START.length)}\n${report.trimEnd()}\n${readme.slice(b)}`;
}
