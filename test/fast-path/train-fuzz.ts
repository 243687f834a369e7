// A seeded generator of scenarios around periodic trains (train-fuzz.test.ts runs each with the train replay on and
// off and compares them): networks, proxy modes, same and cross node, Services, NodePorts, hairpin, a destination not
// listening, several trains at once, intervals from 1 ns to a millisecond, payloads from 0 to past the MTU, small TTLs,
// a slow or distant underlay, and steps under the trains (policies, conntrack flushes, a node down, netem, MTU,
// kube-proxy, pods deleted or restarted, a deployment scaled, labels, sysctls). Deterministic: the case is its seed.
import type { SimulateOptions } from '../../src/scenario/run/simulate.js';

/** mulberry32: a small seeded generator (the case's own, not the simulator's). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzCase {
  seed: number;
  text: string;
  opts: SimulateOptions;
}

const US = 1000;
const MS = 1e6;

/** The case of `seed`; `maxCount` caps each item's count (npm test's cases: a few seconds in all). */
export function fuzzCase(seed: number, maxCount = 100_000): FuzzCase {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number): boolean => r() < p;
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

  // Half the cases near the benchmark walk (one long train the replay takes, with things around and under it);
  // the rest mostly what the replay takes (host-gw, the defaults), often something else.
  const bench = chance(0.5);
  const usual = <T>(x: T, others: readonly T[]): T => (bench ? (chance(0.9) ? x : pick(others)) : chance(0.7) ? x : pick(others));
  const network = usual('host-gw', ['host-gw', 'flannel-vxlan', 'flannel-udp'] as const);
  const proxy = usual('iptables', ['ipvs', 'nftables'] as const);
  const bandwidth = usual('10Gbit', ['1Gbit', '100Mbit', '10Mbit', '1Mbit']);
  const latency = usual('50us', ['1us', '0ns', '3us', '400us', '2ms']);
  const costModel = usual('', [', costModel: false']);
  const cpus = usual('', [', cpus: 2', ', cpus: 3']);
  const hairpin = chance(0.1) ? ', hairpinMode: false' : '';
  const header = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: fuzz-${seed}}
cluster: {network: ${network}, proxyMode: ${proxy}, dns: false${costModel}${hairpin}, underlay: {bandwidth: ${bandwidth}, latency: ${latency}}, nodes: [{name: node1${cpus}}, {name: node2${cpus}}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {app: a}}, spec: {nodeName: node1, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node1, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: c, labels: {app: c}}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: d}, spec: {nodeName: node2, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: e}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: h}, spec: {nodeName: node2, hostNetwork: true, containers: [{name: c, image: i, ports: [{containerPort: 5353, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: svc}, spec: {selector: {app: c}, ports: [{port: 53, protocol: UDP}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: svca}, spec: {selector: {app: a}, ports: [{port: 53, protocol: UDP}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: np}, spec: {type: NodePort, selector: {app: c}, ports: [{port: 53, protocol: UDP, nodePort: 30053}]}}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 2
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}
  - {apiVersion: v1, kind: Service, metadata: {name: websvc}, spec: {selector: {app: web}, ports: [{port: 53, protocol: UDP}]}}
`;
  // Routes: from, to (pods named as the scenario names them).
  const routes: [string, string][] = [
    ['pod/a', 'pod/b'],
    ['pod/a', 'pod/b'],
    ['pod/a', 'pod/b'],
    ['pod/a', 'pod/b'],
    ['pod/a', 'pod/c'],
    ['pod/a', 'pod/c'],
    ['pod/a', 'pod/c'],
    ['pod/a', 'pod/c'],
    ['pod/a', 'pod/c'],
    ['pod/c', 'pod/a'],
    ['pod/c', 'pod/a'],
    ['pod/b', 'pod/a'],
    ['pod/a', 'pod/d'],
    ['pod/a', 'pod/e'],
    ['pod/a', 'service/svc'],
    ['pod/a', 'service/svca'],
    ['pod/a', 'service/websvc'],
    ['pod/a', '192.168.56.12'],
    ['pod/a', '192.168.56.11'],
    ['pod/a', 'pod/a'],
    ['node/node1', 'pod/c'],
    ['node/node2', 'pod/b'],
    ['node/node1', 'pod/c'],
    ['pod/a', 'pod/h'],
  ];
  const intervals = [1, 7, 100, 999, 1000, 2200, 2201, 2500, 3000, 4000, 5000, 5000, 5000, 5000, 5000, 7000, 12345, 37 * US, 100 * US, 1 * MS];
  const payloads = [0, 11, 12, 64, 64, 64, 64, 64, 64, 200, 1400, 1473, 3000];
  const trains = bench ? pick([1, 1, 1, 2]) : pick([1, 1, 1, 2, 2, 3]);
  const traffic: string[] = [];
  let end = 0;
  const t0 = 10 * MS;
  // A warm-up first, most of the time (ARP resolved before a burst).
  if (chance(0.8)) traffic.push(`  - {name: warm, from: pod/a, to: pod/c, protocol: UDP, port: 53}`);
  for (let i = 0; i < trains; i++) {
    const main = bench && i === 0;
    const [from, to0] = main ? pick([['pod/a', 'pod/b'], ['pod/a', 'pod/c'], ['pod/a', 'pod/c'], ['pod/c', 'pod/a']] as const) : i > 0 && chance(0.3) ? (chance(0.5) ? ['pod/a', 'pod/c'] : ['pod/c', 'pod/a']) : pick(routes);
    const np = to0.startsWith('192.');
    const to = to0;
    const port = np ? 30053 : to0 === 'pod/h' ? 5353 : 53;
    const interval = main ? pick([3000, 5000, 5000, 5000, 6000, 10000]) : pick(intervals);
    const count = Math.min(maxCount, main ? int(500, 3000) : int(2, chance(0.3) ? 1500 : 400));
    const at = t0 + int(0, 3) * MS + (chance(0.5) ? int(0, 9999) : 0);
    end = Math.max(end, at + count * interval);
    const payload = main ? pick([64, 64, 64, 12, 1400]) : pick(payloads);
    const ttl = !main && chance(0.1) ? `, ttl: ${int(1, 3)}` : '';
    const reuse = main || chance(0.92) ? ', reuseConnection: true' : '';
    const sport = chance(0.2) ? `, sourcePort: ${40000 + i}` : '';
    traffic.push(`  - {name: t${i}, from: ${from}, to: ${to}, protocol: UDP, port: ${port}, payload: ${payload}, count: ${count}, interval: ${interval}ns, at: ${at}ns${ttl}${reuse}${sport}}`);
  }
  if (chance(0.2)) traffic.push(`  - {name: other, from: pod/b, to: pod/c, protocol: UDP, port: 53, count: ${int(1, 5)}, interval: ${int(1, 3000)}us, at: ${t0 + int(0, 4000) * US}ns}`);
  if (chance(0.1)) traffic.push(`  - {name: ping, from: pod/a, to: pod/c, protocol: ICMP, count: 2, interval: 1ms, at: ${t0 + int(0, 4000) * US}ns}`);
  if (chance(0.05)) traffic.push(`  - {name: tcp, from: pod/a, to: pod/c, protocol: TCP, port: 53, at: ${t0 + int(0, 4000) * US}ns}`);

  const steps: string[] = [];
  const timed: [number, string][] = [];
  const nsteps = chance(0.5) ? 0 : int(1, 4);
  const span = Math.max(end - t0, 1);
  for (let i = 0; i < nsteps; i++) {
    const at = t0 + Math.floor(r() * span * 1.1) + (chance(0.5) ? 1 : 0);
    const node = pick(['node1', 'node2']);
    const s = pick([
      `{conntrack: {node: ${node}, flush: true}}`,
      `{conntrack: {node: ${node}, protocol: UDP, origDport: 53}}`,
      `{node: {name: node2, state: down}}`,
      `{node: {name: node2, state: up}}`,
      `{node: {name: ${node}, state: down, withdrawRoutesAfter: ${pick(['1us', '1ms'])}}}`,
      `{link: {machine: ${node}, loss: 30%}}`,
      `{link: {machine: ${node}, delay: ${pick(['3us', '200us', '1ms'])}}}`,
      `{link: {machine: ${node}, delay: 100us, jitter: 50us}}`,
      `{link: {machine: ${node}, loss: 0%}}`,
      `{mtu: {device: ${node}:cbr0, mtu: ${pick([100, 1500])}}}`,
      `{mtu: {device: ${node}:eth0, mtu: ${pick([576, 1500])}}}`,
      `{mtu: {device: default/a:eth0, mtu: ${pick([200, 1500])}}}`,
      `{kubeProxy: {syncDelay: ${pick(['0s', '1ms'])}}}`,
      `{hairpin: {pod: default/a, on: ${pick(['true', 'false'])}}}`,
      `{deletePod: {pod: default/c}}`,
      `{restart: default/c}`,
      `{restart: default/b}`,
      `{scale: {deployment: default/web, replicas: ${int(0, 3)}}}`,
      `{label: {pod: default/c, labels: {app: ${pick(['null', 'c', 'x'])}}}}`,
      `{sysctl: {node: ${node}, net.ipv4.ip_forward: ${pick([0, 1])}}}`,
      `{sysctl: {node: ${node}, net.bridge.bridge-nf-call-iptables: ${pick([0, 1])}}}`,
      `apply: {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}}}`,
      `apply: {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, ingress: [{}]}}`,
      `{delete: networkpolicy/default/deny}`,
    ]);
    timed.push([at, s]);
  }
  // In time order; a policy deleted only once one was applied (kubectl delete of nothing is an error).
  timed.sort((x, y) => x[0] - y[0]);
  let applied = false;
  for (const [at, s] of timed) {
    if (s.startsWith('{delete')) {
      if (!applied) continue;
      applied = false;
    }
    if (s.startsWith('apply')) applied = true;
    steps.push(s.startsWith('apply') ? `  - at: ${at}ns\n    ${s}` : `  - {at: ${at}ns, ${s.slice(1)}`);
  }
  const opts: SimulateOptions = {};
  if (chance(0.15)) opts.eventBudget = int(2000, 40000);
  if (chance(0.1)) opts.keepTrace = false;
  if (chance(0.05)) opts.keepFlows = false;
  const text = `${header}traffic:\n${traffic.join('\n')}\n${steps.length > 0 ? `steps:\n${steps.join('\n')}\n` : ''}`;
  return { seed, text, opts };
}

/** The first line where the runs differ, or undefined. */
export function difference(a: string, b: string): string | undefined {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((l, k) => l !== y[k]);
  if (i === -1 && x.length === y.length) return undefined;
  const j = i === -1 ? Math.min(x.length, y.length) : i;
  return `line ${j + 1}\n  on:  ${x[j]}\n  off: ${y[j]}`;
}
