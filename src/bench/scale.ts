import type { DeferredNetfilter } from '../cluster/kube-proxy/iptables/deferred-netfilter.js';
import { formatProblem, loadScenarioText } from '../scenario/load/parse.js';
import { ScenarioRun, simulate } from '../scenario/run/simulate.js';
import type { ProxyMode, Scenario } from '../scenario/types.js';

/**
 * How the simulator's cost grows with the cluster: a generated cluster of N
 * nodes, P pods and S ClusterIP Services with 5 endpoints each (pods carry a
 * group label, each Service selects one group), loaded, built (every node's
 * kube-proxy programmed) and then used: one pod sends to the last Service,
 * whose rule sits at the end of the linear KUBE-SERVICES chain.
 */
export interface ScaleCase {
  nodes: number;
  pods: number;
  services: number;
  proxyMode?: ProxyMode;
  /** How the generated scenario is written (default YAML, flow style; JSON goes through the loader's JSON fast path). */
  format?: 'yaml' | 'json';
}

export interface ScaleResult extends ScaleCase {
  /** Loading the YAML (parse, validate, allocate, EndpointSlice controller), ms. */
  loadMs: number;
  /** Bringing the cluster up (namespaces, devices, routes, kube-proxy on every node), ms. */
  buildMs: number;
  /** Heap in use after the build (after a GC when exposed), bytes. */
  heapBytes: number;
  /** Resident set size right after the build, bytes. */
  rssAfterBuildBytes: number;
  /** Generating and parsing one node's kube-proxy rules on first use: time and heap. */
  programNodeMs: number;
  programNodeBytes: number;
  /** iptables rules programmed on one node (all tables), plus nftables rules in nftables mode. */
  rulesPerNode: number;
  /** Rules evaluated (iptables and nftables) for the first packet of a connection to the last Service, summed over the path. */
  rulesTraversed: number;
  /** IPVS mode: virtual-service lookups (`ipvs` trace events) on that packet's path. */
  ipvsLookups: number;
  /** nftables mode: set and map lookups (hash probes) on that packet's path. */
  mapLookups: number;
  /** CPU time per packet of a burst of new connections to that Service (tracing off), from its first datagram to its last delivery, us; NaN when not every datagram was delivered. */
  usPerPacket: number;
  delivered: boolean;
}

/** The scenario text for one case: nodes in /24 pod subnets, pods round-robin, Services over 5-pod groups. */
export function scaleScenario(c: ScaleCase, packets = 200): string {
  const groups = Math.max(1, Math.floor(c.pods / 5));
  // Underlay /16 and cluster /8: room for 5,000 nodes and their /24s.
  const cluster = { network: 'host-gw', proxyMode: c.proxyMode ?? 'iptables', dns: false, clusterCIDR: '10.0.0.0/8', serviceCIDR: '172.16.0.0/16', underlay: { cidr: '192.168.0.0/16' } };
  const nodes: object[] = [];
  for (let n = 0; n < c.nodes; n++) nodes.push({ name: `n${n}`, ip: `192.168.${1 + Math.floor((n + 2) / 250)}.${((n + 2) % 250) + 1}`, podCIDR: `10.${1 + Math.floor(n / 250)}.${n % 250}.0/24` });
  const resources: object[] = [];
  for (let p = 0; p < c.pods; p++) {
    resources.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${p}`, labels: { g: `g${p % groups}` } }, spec: { nodeName: `n${p % c.nodes}`, containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 8080, protocol: 'UDP' }] }] } });
  }
  for (let i = 0; i < c.services; i++) {
    resources.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}` }, spec: { selector: { g: `g${i % groups}` }, ports: [{ port: 80, targetPort: 8080, protocol: 'UDP' }] } });
  }
  const to = c.services > 0 ? { to: `service/s${c.services - 1}`, port: 80 } : { to: `pod/p${Math.min(1, c.pods - 1)}`, port: 8080 };
  const traffic = [
    { name: 'first', from: 'pod/p0', to: to.to, protocol: 'UDP', port: to.port, payload: 64 },
    { name: 'burst', from: 'pod/p0', to: to.to, protocol: 'UDP', port: to.port, payload: 64, count: packets, interval: '1us', at: '1ms' },
  ];
  const list = (items: object[], flow: (x: object) => string, indent: string): string => items.map((x) => `${indent}${flow(x)}`).join(c.format === 'json' ? ',\n' : '\n');
  if (c.format === 'json') {
    // One object per line, as `kubectl get -o json` piped through jq -c would give: read by the loader's JSON fast path.
    const j = (x: object): string => JSON.stringify(x);
    return `{"apiVersion": "podwalk/v1alpha1", "kind": "Scenario", "metadata": {"name": "scale"},\n"cluster": ${j(cluster).slice(0, -1)}, "nodes": [\n${list(nodes, j, '  ')}\n]},\n"resources": [\n${list(resources, j, '  ')}\n],\n"traffic": [\n${list(traffic, j, '  ')}\n]}\n`;
  }
  const y = (x: object): string => flowYaml(x);
  const head = Object.entries(cluster).map(([k, v]) => `  ${k}: ${typeof v === 'object' ? flowYaml(v) : String(v)}`);
  return ['apiVersion: podwalk/v1alpha1', 'kind: Scenario', 'metadata: {name: scale}', 'cluster:', ...head, '  nodes:', list(nodes, y, '    - '), 'resources:', list(resources, y, '  - '), 'traffic:', list(traffic, y, '  - ')].join('\n') + '\n';
}

/** `{a: 1, b: [x]}`: YAML flow style with plain scalars (the generated names and values never need quoting). */
function flowYaml(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flowYaml).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}: ${flowYaml(x)}`).join(', ')}}`;
  return String(v);
}

/** Packets in the timed part of a scale case's burst (sent after as many untimed ones): enough that the per-packet figure is not lost in the clock's resolution. */
export const SCALE_BURST = 2_000;

/** Process CPU time (user + system, GC threads included), ms: what other load on a shared machine inflates least. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Measure one case (wall-clock and CPU figures: benchmarks only, never tests). */
export function runScale(c: ScaleCase, clock: () => number, gc?: () => void): ScaleResult {
  const packets = SCALE_BURST;
  // Twice the timed burst: the first half warms the process up (V8 compiles the hot path as it goes; a cold
  // process spends most of its first few hundred packets there, whatever the cluster's size), the second is timed.
  const text = scaleScenario(c, 2 * packets);
  const t0 = clock();
  const loaded = loadScenarioText(text, 'scale.yaml');
  if (!loaded.ok) throw new Error(loaded.problems.slice(0, 5).map(formatProblem).join('\n'));
  const scenario: Scenario = loaded.scenario;
  const loadMs = clock() - t0;

  // The traversal count comes from a detailed run of one packet (netfilter events carry `evaluated`).
  const one = { ...scenario, traffic: scenario.traffic.slice(0, 1) };
  const { rulesTraversed, delivered, ipvsLookups, mapLookups } = traversal(one);
  gc?.();

  // One untraced run for the rest: build, program one node (iptables and nftables modes defer it to a node's
  // first use; ipvs mode programs every node at build time: reported as 0), then the burst. Its cost per packet:
  // CPU time from the warm-up half's last delivery to the burst's last (the nodes it reaches programmed and ARP
  // resolved before), so that neither the build nor the end of the run (timers, flow summaries) is counted.
  const target = `s${c.services - 1}`;
  const reached = new Set(['n0', ...scenario.endpointSlices.filter((e) => e.serviceName === target).flatMap((e) => e.endpoints.map((x) => x.nodeName ?? ''))]);
  const burstAt = scenario.traffic[1]?.atNs ?? 0;
  const built = clock();
  let buildMs = 0;
  let heapBytes = 0;
  let rssAfterBuildBytes = 0;
  let programNodeMs = 0;
  let programNodeBytes = 0;
  let rulesPerNode = 0;
  let burstCpu0 = 0;
  let burstCpuMs = NaN;
  let deliveries = 0;
  simulate(scenario, {
    detailed: false,
    onBuilt: (cl) => {
      buildMs = clock() - built;
      gc?.();
      ({ heapUsed: heapBytes, rss: rssAfterBuildBytes } = process.memoryUsage());
      const node0 = cl.nodes.get('n0')!;
      const engine = node0.nf?.engine as (DeferredNetfilter & { ruleCount?: () => number }) | undefined;
      const nft = node0.nf?.nft;
      const deferred = (typeof engine?.materialize === 'function' && !engine.programmed) || (nft !== undefined && !nft.programmed);
      if (deferred) {
        const p0 = clock();
        engine?.materialize?.();
        nft?.materialize();
        programNodeMs = clock() - p0;
        gc?.();
        programNodeBytes = Math.max(0, process.memoryUsage().heapUsed - heapBytes);
      }
      rulesPerNode = (engine?.ruleCount?.() ?? 0) + (nft?.ruleCount() ?? 0);
      for (const name of reached) {
        const nf = cl.nodes.get(name)?.nf;
        (nf?.engine as DeferredNetfilter | undefined)?.materialize?.();
        nf?.nft?.materialize();
      }
      cl.world.tracer.attach({
        event: (e) => {
          if (e.kind !== 'deliver' || e.t < burstAt) return;
          deliveries++;
          if (deliveries === packets) burstCpu0 = cpuMs();
          else if (deliveries === 2 * packets) burstCpuMs = cpuMs() - burstCpu0;
        },
      });
    },
  });
  const usPerPacket = (burstCpuMs * 1000) / packets;
  return { ...c, loadMs, buildMs, heapBytes, rssAfterBuildBytes, programNodeMs, programNodeBytes, rulesPerNode, rulesTraversed, ipvsLookups, mapLookups, usPerPacket, delivered: delivered && deliveries >= 2 * packets };
}

/** One packet with tracing on: the rules its netfilter walks evaluated, IPVS lookups, its verdict (the run is dropped after). */
function traversal(one: Scenario): { rulesTraversed: number; delivered: boolean; ipvsLookups: number; mapLookups: number } {
  const r = simulate(one, { detailed: true });
  return {
    rulesTraversed: r.events.reduce((n, e) => n + (e.kind === 'netfilter' || e.kind === 'nftables' ? e.evaluated : 0), 0),
    mapLookups: r.events.reduce((n, e) => n + (e.kind === 'nftables' ? e.lookups : 0), 0),
    delivered: r.flows[0]?.verdict === 'delivered',
    ipvsLookups: r.events.filter((e) => (e.kind as string) === 'ipvs').length,
  };
}


/** Kubernetes' documented limits ("Considerations for large clusters"): nodes, pods, Services. */
export const KUBERNETES_MAX: ScaleCase = { nodes: 5_000, pods: 150_000, services: 10_000, format: 'json' };

export interface ClusterMaxResult extends ScaleCase {
  loadMs: number;
  buildMs: number;
  /** Process CPU time of load and build (user + system, GC threads included), ms: what a busy machine does not inflate. */
  loadCpuMs: number;
  buildCpuMs: number;
  heapBytes: number;
  rssAfterBuildBytes: number;
  /** The first packets to the last Service (two, 100 us apart), traced: programs the nodes they reach (deferred rules), resolves ARP. */
  firstPacketMs: number;
  firstPacketCpuMs: number;
  /** A second traced packet to the last Service (a new connection: full rule walk, new conntrack entries). */
  tracedPacketMs: number;
  tracedPacketCpuMs: number;
  rulesTraversed: number;
  delivered: boolean;
}

/**
 * The largest cluster: load, build, then traced packets from the first pod to
 * the last Service, all in one cluster (the build is paid once: at this size
 * it is the figure that matters): the first two timed together (they program
 * the nodes they reach), then the traced packet, a new connection, on its own.
 */
export function runClusterMax(c: ScaleCase, clock: () => number, gc?: (opts?: { type: 'minor' | 'major' }) => void): ClusterMaxResult {
  const text = scaleScenario(c, 1);
  let t0 = clock();
  let c0 = cpuMs();
  const loaded = loadScenarioText(text, c.format === 'json' ? 'scale.json' : 'scale.yaml');
  if (!loaded.ok) throw new Error(loaded.problems.slice(0, 5).map(formatProblem).join('\n'));
  const loadMs = clock() - t0;
  const loadCpuMs = cpuMs() - c0;
  const { traffic, ...rest } = loaded.scenario;
  t0 = clock();
  c0 = cpuMs();
  const run = new ScenarioRun({ ...rest, traffic: [] }, { detailed: true });
  const buildMs = clock() - t0;
  const buildCpuMs = cpuMs() - c0;
  gc?.();
  const { heapUsed: heapBytes, rss: rssAfterBuildBytes } = process.memoryUsage();
  const [first, second] = traffic;
  if (!first || !second) throw new Error('the scale scenario has two traffic items');
  const timed = (t: typeof first, untilNs: number): [number, number] => {
    const s = clock();
    const sc = cpuMs();
    run.schedule(t);
    run.runUntil(untilNs);
    return [clock() - s, cpuMs() - sc];
  };
  // The first item sends twice, 100 us apart: a flow's result is taken once the clock moves past its last packet
  // (at the next packet's first event), so with one datagram the traced packet's span would build the first
  // result of the process, cold (code compiled on first call, a dozen optimised functions deoptimised and
  // recompiled on V8's helper threads, since c0c3cee); now it builds the second, as every later packet would.
  const [firstPacketMs, firstPacketCpuMs] = timed({ ...first, count: 2, intervalNs: 100_000 }, second.atNs - 1);
  // The first packets leave V8's young generation holding what they made last, still live (2-5 MB after one
  // scavenge, 8 MB over two). Whichever allocation next fills the young generation pays for that scavenge: at a
  // 2.6 GB heap, one inside the traced packet (which allocates about 1.2 MB) tripled its main-thread CPU (6 -> 20
  // ms at load 26, V8's helper threads as busy), there or not by chance. So two scavenges first, untimed (the
  // first keeps once-survivors in the young generation, the second promotes them; a full GC would leave 3 GB to
  // sweep behind the packet), and the packet pays for its own work, and for the result of the flow before it,
  // while its own is taken after it. V8's concurrent compilers are in the process CPU time.
  gc?.({ type: 'minor' });
  gc?.({ type: 'minor' });
  const [tracedPacketMs, tracedPacketCpuMs] = timed(second, second.atNs + 1_000_000);
  const r = run.finish();
  const last = r.flows[r.flows.length - 1];
  const pkt = last?.pkt;
  const rulesTraversed = r.events.reduce((n, e) => n + (e.kind === 'netfilter' && e.pkt === pkt ? e.evaluated : 0), 0);
  return { ...c, loadMs, buildMs, loadCpuMs, buildCpuMs, heapBytes, rssAfterBuildBytes, firstPacketMs, firstPacketCpuMs, tracedPacketMs, tracedPacketCpuMs, rulesTraversed, delivered: r.flows.every((f) => f.verdict === 'delivered') };
}
