import { DEFAULT_COST_MODEL, type CostModel } from '../kernel/cost-model.js';
import type { World } from '../kernel/world.js';
import { formatProblem, loadScenarioText } from '../scenario/load/parse.js';
import { simulate } from '../scenario/run/simulate.js';
import type { NetworkBackend, Scenario } from '../scenario/types.js';

/**
 * The encapsulation-overhead benchmark: the same two-node topology under each
 * network backend, UDP datagrams of growing size and a TCP bulk transfer sent
 * pod -> pod across nodes. Every figure is read from the simulation — the
 * lengths of the frames node1 puts on its underlay NIC, the times the
 * receiving socket gets the data — never computed from header sizes; the
 * tests hold them against the closed-form values.
 */

export const BACKENDS: NetworkBackend[] = ['host-gw', 'flannel-vxlan', 'flannel-udp'];

/** The topology a sweep runs on: the underlay link and MTU (the rest is fixed). */
export interface EncapTopology {
  mtu: number;
  bandwidthBps: number;
  latencyNs: number;
}

export interface EncapOptions {
  topology: EncapTopology;
  /** Cost model for the "with CPU" figures (default: the calibrated defaults). */
  costModel?: CostModel;
  /** Datagrams per throughput burst (default 100). */
  burst?: number;
  /** Full-size segments in the TCP bulk transfer (default 40; fewer with jumbo frames: a transfer is at most 65,000 bytes). */
  tcpSegments?: number;
}

/** One UDP payload size through one backend. */
export interface UdpRow {
  backend: NetworkBackend;
  payload: number;
  /** Frames node1 sent on the underlay per datagram (> 1: fragmented). */
  framesPerDatagram: number;
  /** Bytes on the underlay per datagram (all its frames, Ethernet header included, no FCS/preamble). */
  underlayBytes: number;
  /** Share of the underlay bytes that are not payload. */
  overheadPct: number;
  fragmented: boolean;
  /** One-way latency of a lone datagram, send() to the receiving socket: links only / with the cost model. */
  latencyWireNs: number;
  latencyCpuNs: number;
  /** Delivered datagrams per second and goodput in a back-to-back burst: links only / with the cost model. */
  ppsWire: number;
  goodputWireBps: number;
  ppsCpu: number;
  goodputCpuBps: number;
}

/** The TCP bulk transfer through one backend. */
export interface TcpRow {
  backend: NetworkBackend;
  podMtu: number;
  /** MSS the connection advertised (path MTU - 40) and the data each full segment carries (- 12 timestamps). */
  mss: number;
  segmentData: number;
  /** Largest frame on the underlay (a full segment). */
  frameBytes: number;
  /** segmentData / frameBytes: goodput efficiency at the underlay MTU. */
  efficiency: number;
  goodputWireBps: number;
  goodputCpuBps: number;
  segmentsPerSecWire: number;
  segmentsPerSecCpu: number;
}

export interface EncapResult {
  topology: EncapTopology;
  costModel: CostModel;
  udp: UdpRow[];
  tcp: TcpRow[];
  /** Simulated packets and events, to say what the figures rest on. */
  simulatedPackets: number;
  eventsExecuted: number;
}

/** Payload sizes: powers of two from 64 B, plus the largest datagram that fits each backend unfragmented. */
export function payloadSizes(mtu: number): number[] {
  const sizes = new Set<number>();
  for (let s = 64; s < mtu - 28; s *= 2) sizes.add(s);
  for (const overhead of [0, 50, 28]) sizes.add(mtu - overhead - 28);
  return [...sizes].filter((s) => s > 0).sort((a, b) => a - b);
}

const WINDOW_NS = 20_000_000; // each traffic item gets its own 20 ms of simulated time
const RECEIVER = 'default/rx';

interface Window {
  kind: 'probe' | 'burst' | 'tcp';
  payload: number;
  count: number;
}

/** Run the sweep for every backend on one topology. */
export function runEncap(opts: EncapOptions): EncapResult {
  const costModel = opts.costModel ?? DEFAULT_COST_MODEL;
  const burst = opts.burst ?? 100;
  const tcpSegments = opts.tcpSegments ?? 40;
  const sizes = payloadSizes(opts.topology.mtu);
  const udp: UdpRow[] = [];
  const tcp: TcpRow[] = [];
  let packets = 0;
  let events = 0;
  for (const backend of BACKENDS) {
    const wire = measure(backend, opts.topology, sizes, burst, tcpSegments, undefined);
    const cpu = measure(backend, opts.topology, sizes, burst, tcpSegments, costModel);
    packets += wire.packets + cpu.packets;
    events += wire.events + cpu.events;
    for (const size of sizes) {
      const pw = wire.byWindow('probe', size);
      const bw = wire.byWindow('burst', size);
      const pc = cpu.byWindow('probe', size);
      const bc = cpu.byWindow('burst', size);
      const bytes = sum(pw.frames);
      udp.push({
        backend,
        payload: size,
        framesPerDatagram: pw.frames.length,
        underlayBytes: bytes,
        overheadPct: (100 * (bytes - size)) / bytes,
        fragmented: pw.frames.length > 1,
        latencyWireNs: pw.latency,
        latencyCpuNs: pc.latency,
        ppsWire: bw.rate,
        goodputWireBps: bw.rate * size * 8,
        ppsCpu: bc.rate,
        goodputCpuBps: bc.rate * size * 8,
      });
    }
    const tw = wire.byWindow('tcp', 0);
    const tc = cpu.byWindow('tcp', 0);
    const frameBytes = Math.max(...tw.frames);
    tcp.push({
      backend,
      podMtu: wire.podMtu,
      mss: wire.podMtu - 40,
      segmentData: tw.maxSegmentData,
      frameBytes,
      efficiency: tw.maxSegmentData / frameBytes,
      goodputWireBps: tw.rate * tw.maxSegmentData * 8,
      goodputCpuBps: tc.rate * tc.maxSegmentData * 8,
      segmentsPerSecWire: tw.rate,
      segmentsPerSecCpu: tc.rate,
    });
  }
  return { topology: opts.topology, costModel, udp, tcp, simulatedPackets: packets, eventsExecuted: events };
}

/** The scenario for one backend: two nodes, a sender and a receiver pod, one window per measurement. */
function scenarioText(backend: NetworkBackend, t: EncapTopology, windows: Window[], tcpPayload: number): string {
  const traffic = windows.map((w, i) => {
    const at = `${(i + 1) * WINDOW_NS}ns`;
    if (w.kind === 'tcp') return `  - {name: w${i}, from: pod/tx, to: pod/rx, protocol: TCP, port: 80, payload: ${tcpPayload}, at: ${at}}`;
    return `  - {name: w${i}, from: pod/tx, to: pod/rx, protocol: UDP, port: 9, payload: ${w.payload}, count: ${w.count}, interval: 0ns, at: ${at}}`;
  });
  return `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: bench-encap-${backend}}
cluster:
  network: ${backend}
  dns: false
  underlay: {mtu: ${t.mtu}, bandwidth: ${t.bandwidthBps}bit, latency: ${t.latencyNs}ns}
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: tx}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: rx}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 9, protocol: UDP}, {containerPort: 80}]}]}}
traffic:
  # One datagram first so that every neighbour on the path is resolved before the measurements.
  - {name: warm-up, from: pod/tx, to: pod/rx, protocol: UDP, port: 9, payload: 64}
${traffic.join('\n')}
`;
}

interface WindowFigures {
  /** Lengths of the frames node1 transmitted on eth0 (IPv4 only). */
  frames: number[];
  /** First delivery minus window start (a probe's one-way latency). */
  latency: number;
  /** Deliveries per second in steady state: (n - 1) / (last - first). */
  rate: number;
  /** TCP: the largest data payload a segment carried at the receiver. */
  maxSegmentData: number;
}

function measure(backend: NetworkBackend, topology: EncapTopology, sizes: number[], burst: number, tcpSegments: number, costs: CostModel | undefined) {
  const windows: Window[] = [];
  for (const s of sizes) windows.push({ kind: 'probe', payload: s, count: 1 }, { kind: 'burst', payload: s, count: burst });
  windows.push({ kind: 'tcp', payload: 0, count: 1 });
  // The bulk transfer fills `tcpSegments` full segments of this backend's path.
  const podMtu = topology.mtu - (backend === 'flannel-vxlan' ? 50 : backend === 'flannel-udp' ? 28 : 0);
  // A scenario's TCP payload is at most 65,000 bytes: jumbo frames get fewer segments.
  const segments = Math.max(2, Math.min(tcpSegments, Math.floor(65_000 / (podMtu - 52))));
  const loaded = loadScenarioText(scenarioText(backend, topology, windows, segments * (podMtu - 52)), `bench-encap-${backend}.yaml`);
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  const scenario: Scenario = loaded.scenario;
  const sent: { t: number; len: number }[] = [];
  const tcpData: { t: number; len: number }[] = [];
  let measuredPodMtu = 0;
  const result = simulate(scenario, {
    detailed: false,
    onBuilt: (cluster) => {
      cluster.world.costs = costs;
      const node1 = cluster.nodes.get('node1')!;
      const eth0Mac = node1.device('eth0')!.mac;
      measuredPodMtu = cluster.pods.get(RECEIVER)!.device('eth0')!.mtu;
      tap(cluster.world, eth0Mac, sent, tcpData);
    },
  });
  const deliveries = result.events.filter((e) => e.kind === 'deliver' && e.at === `${RECEIVER}:eth0` && (e.to === 'udp' || e.to === 'tcp'));
  const figures = (i: number, kind: Window['kind']): WindowFigures => {
    const start = (i + 1) * WINDOW_NS;
    const inWindow = <T extends { t: number }>(x: T): boolean => x.t >= start && x.t < start + WINDOW_NS;
    const frames = sent.filter(inWindow).map((f) => f.len);
    const times = kind === 'tcp' ? tcpData.filter(inWindow).map((d) => d.t) : deliveries.filter(inWindow).map((d) => d.t);
    const rate = times.length > 1 ? ((times.length - 1) * 1e9) / (times[times.length - 1]! - times[0]!) : 0;
    return { frames, latency: times.length > 0 ? times[0]! - start : NaN, rate, maxSegmentData: Math.max(0, ...tcpData.filter(inWindow).map((d) => d.len)) };
  };
  return {
    podMtu: measuredPodMtu,
    packets: windows.reduce((n, w) => n + w.count, 1),
    events: result.eventsExecuted,
    byWindow: (kind: Window['kind'], payload: number): WindowFigures => {
      const i = windows.findIndex((w) => w.kind === kind && w.payload === payload);
      return figures(i, kind);
    },
  };
}

/**
 * A capture tap on the world: frames node1 transmits on eth0 (its own source
 * MAC; IPv4 only, not ARP), and the TCP data segments the receiving pod's eth0 gets.
 */
function tap(world: World, node1Mac: string, sent: { t: number; len: number }[], tcpData: { t: number; len: number }[]): void {
  const macBytes = node1Mac.split(':').map((h) => parseInt(h, 16));
  world.capture = (where, t, data) => {
    if (where === 'node1:eth0') {
      if (data[12] !== 0x08 || data[13] !== 0x00) return; // IPv4 only
      for (let i = 0; i < 6; i++) if (data[6 + i] !== macBytes[i]) return; // sent by node1, not received
      sent.push({ t, len: data.length });
      return;
    }
    if (where === `${RECEIVER}:eth0` && data[12] === 0x08 && data[13] === 0x00 && data[14 + 9] === 6) {
      // Received TCP segment: its data = IP total length - IP header - TCP header (data offset).
      const ihl = (data[14]! & 0x0f) * 4;
      const total = (data[16]! << 8) | data[17]!;
      const tcpOff = ((data[14 + ihl + 12]! >> 4) & 0x0f) * 4;
      const len = total - ihl - tcpOff;
      if (len > 0) tcpData.push({ t, len }); // only data the sender's segments carry: rx sends none
    }
  };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
