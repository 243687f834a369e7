import { loadScenarioText, formatProblem } from '../scenario/load/parse.js';
import { simulate, type SimulateOptions } from '../scenario/run/simulate.js';
import type { Scenario } from '../scenario/types.js';

/**
 * The walks the simulator is timed on. `same-node` and `cross-node` are the
 * walks of the ns-3 anchor program (bench/ns3/pod-walk.cc): pod → cbr0 → pod
 * on one node, and pod → cbr0 → eth0 → eth0 → cbr0 → pod across two host-gw
 * nodes, with kube-proxy installed (iptables mode, as a default cluster has it).
 */
export type WalkName = 'same-node' | 'cross-node' | 'cross-node-vxlan' | 'cluster-ip';

export const WALKS: readonly { name: WalkName; title: string }[] = [
  { name: 'same-node', title: 'same node (pod -> cbr0 -> pod)' },
  { name: 'cross-node', title: 'across two host-gw nodes' },
  { name: 'cross-node-vxlan', title: 'across two flannel-vxlan nodes' },
  { name: 'cluster-ip', title: 'pod -> ClusterIP (cross-node)' },
];

export interface WalkCase {
  walk: WalkName;
  packets: number;
  /** UDP payload bytes (the ns-3 program's --size). */
  payload?: number;
  /** Between datagrams, ns (the ns-3 program's --interval-ns, 5 us). */
  intervalNs?: number;
  /** Underlay link rate, e.g. '10Gbit'. */
  bandwidth?: string;
  /**
   * Every datagram from one connected UDP socket, as the ns-3 program sends
   * (one flow: after the first datagram the connection is established on
   * every node). Default: a new socket (so a new connection) per datagram.
   */
  connected?: boolean;
}

/** When the burst starts: late enough for the warm-up packet's ARP to finish even on a slow link. */
export const BURST_AT_NS = 100_000_000;

/** The scenario text of one walk: a warm-up packet that resolves ARP, then `packets` datagrams. */
export function walkScenarioText(c: WalkCase): string {
  const network = c.walk === 'cross-node-vxlan' ? 'flannel-vxlan' : 'host-gw';
  const to = c.walk === 'same-node' ? 'pod/b' : c.walk === 'cluster-ip' ? 'service/svc' : 'pod/c';
  const payload = c.payload ?? 64;
  const interval = `${c.intervalNs ?? 5000}ns`;
  return `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: bench-${c.walk}}
cluster: {network: ${network}, dns: false, underlay: {bandwidth: ${c.bandwidth ?? '10Gbit'}}, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node1, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: c, labels: {app: c}}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: svc}, spec: {selector: {app: c}, ports: [{port: 53, protocol: UDP}]}}
traffic:
  # One packet first, so that ARP is resolved before the burst (a burst into an
  # unresolved neighbour overflows its queue, as on Linux).
  - {name: warm-up, from: pod/a, to: ${to}, protocol: UDP, port: 53, payload: ${payload}}
  - {name: f, from: pod/a, to: ${to}, protocol: UDP, port: 53, payload: ${payload}, count: ${c.packets}, interval: ${interval}, at: ${BURST_AT_NS}ns${c.connected ? ', reuseConnection: true' : ''}}
`;
}

export function loadWalk(c: WalkCase): Scenario {
  const r = loadScenarioText(walkScenarioText(c), `bench-${c.walk}.yaml`);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.scenario;
}

export interface WalkResult extends WalkCase {
  tracing: boolean;
  /** Wall time of the whole simulate() call: build, every packet, every flow's summary. */
  wallMs: number;
  packetsPerSec: number;
  /** Process CPU time of the same span (user + system), ms: less sensitive than wall time to other work on the machine. */
  cpuMs: number;
  packetsPerCpuSec: number;
  events: number;
  delivered: number;
}

/**
 * How a timed walk runs. Tracing on is what every `podwalk run` does (the CLI
 * always traces every hop): the same per-hop events, in the same order, as
 * `podwalk run --json` writes (test/bench/walk.test.ts compares them); they
 * are kept in memory, not written out. Tracing off (outcome events only) is
 * the library's `detailed: false`, which the CLI does not offer.
 */
export const walkOptions = (tracing: boolean): SimulateOptions => ({ detailed: tracing });

/**
 * One timed run (wall-clock: benchmarks only, never tests). The clock covers
 * what a user waits for: building two nodes, the packets and their summaries,
 * and reading the flows' results (the delivered count).
 */
export function runWalk(c: WalkCase, tracing: boolean, clock: () => number): WalkResult {
  const scenario = loadWalk(c);
  const cpu0 = process.cpuUsage();
  const t0 = clock();
  const r = simulate(scenario, walkOptions(tracing));
  // Read inside the clock, through the public result, as a user reads it: flows kept compactly are made into objects
  // when read (scenario/run/flow-list.ts), and a count taken after the clock stopped would leave that out.
  const delivered = r.flows.filter((f) => f.verdict === 'delivered').length - 1;
  const wallMs = clock() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { ...c, tracing, wallMs, packetsPerSec: (c.packets * 1000) / wallMs, cpuMs, packetsPerCpuSec: (c.packets * 1000) / cpuMs, events: r.eventsExecuted, delivered };
}

/**
 * Heap per packet in flight: `n` datagrams queued on a 1 Mbit/s link (the
 * packet, its trace `create` event, the sender's conntrack entry, the
 * scheduler entry), heap after a full GC with the packets queued minus just
 * before they were sent.
 */
export function memoryPerPacketInFlight(n: number, gc: () => void): { packets: number; bytesPerPacket: number } {
  const scenario = loadWalk({ walk: 'cross-node', packets: n, intervalNs: 0, bandwidth: '1Mbit' });
  let before = 0;
  let after = 0;
  let inFlight = 0;
  simulate(scenario, {
    detailed: false,
    onBuilt: (c) => {
      c.sched.at(BURST_AT_NS - 1, () => {
        gc();
        before = process.memoryUsage().heapUsed;
      });
      c.sched.at(BURST_AT_NS + 1, () => {
        gc();
        after = process.memoryUsage().heapUsed;
        inFlight = c.world.inFlight.size;
      });
    },
  });
  return { packets: inFlight, bytesPerPacket: Math.round((after - before) / Math.max(1, inFlight)) };
}
