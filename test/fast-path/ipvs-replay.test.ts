// In a namespace with IPVS (every node in ipvs mode) the flow table replays what IPVS passed untouched while no
// connection entry it would find has been added since (src/kernel/fastpath/flowtable.ts, Ipvs.passes): new connections of
// other flows (a new socket per datagram to the Service) leave a plain flow's replays alone, but a connection whose
// reply tuple is that flow's (pod a connects to the Service from the port pod c's datagrams go to) makes IPVS give
// them the VIP as their source (ip_vs_reply4), and the flow must walk into it. With the fast path on and off,
// traced and not, the trace, the flows and the exact kernel state (conntrack and IPVS entries with their timers)
// must be the same.
import { afterAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/cluster/build.js';
import { showConntrack } from '../../src/kernel/show.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const saved = process.env.PODWALK_FAST_PATH;
afterAll(() => {
  if (saved === undefined) delete process.env.PODWALK_FAST_PATH;
  else process.env.PODWALK_FAST_PATH = saved;
});

const SCENARIO = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: ipvs-pass}
cluster: {proxyMode: ipvs, network: host-gw, dns: false, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: i, ports: [{containerPort: 40000, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: c, labels: {app: c}}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: svc}, spec: {selector: {app: c}, ports: [{port: 53, protocol: UDP}]}}
traffic:
  - {name: warm, from: pod/c, to: pod/a, protocol: UDP, port: 40000}
  - {name: back, from: pod/c, to: pod/a, protocol: UDP, sourcePort: 53, port: 40000, count: 300, interval: 20us, at: 100ms}
  - {name: other, from: pod/a, to: service/svc, protocol: UDP, port: 53, count: 20, interval: 50us, at: 101ms}
  - {name: svc, from: pod/a, to: service/svc, protocol: UDP, port: 53, sourcePort: 40000, count: 20, interval: 100us, at: 103ms}
`;

function run(fast: 'on' | 'off', detailed: boolean): { text: string; replays: number; unNated: number } {
  process.env.PODWALK_FAST_PATH = fast;
  const r = loadScenarioText(SCENARIO, 'w.yaml');
  if (!r.ok) throw new Error('scenario does not load');
  let cluster: Cluster | undefined;
  const result = simulate(r.scenario, { detailed, onBuilt: (c) => (cluster = c) });
  const c = cluster!;
  const state = [...c.netns.values()].map((ns) => [ns.name, ns.nf ? showConntrack(ns) : '', ...(ns.nf?.conntrack.list(c.sched.now) ?? []).map((e) => `ct ${e.text} ${e.expiresNs}`), ...(ns.ipvs ? [ns.ipvs.list(), ...ns.ipvs.exactConns()] : [])].join('\n'));
  const out = [...result.events.map((e) => JSON.stringify(e)), ...result.flows.map((f) => JSON.stringify(f)), ...state].join('\n');
  // Datagrams IPVS gave the VIP as their source (traced: the back flow's, as answers of pod a's connection from port 40000).
  const unNated = result.events.filter((e) => e.kind === 'ipvs' && e.action === 'reply').length;
  return { text: out, replays: c.world.fast.replays, unNated };
}

function firstDifference(a: string, b: string): { line: number; on: string | undefined; off: string | undefined } | undefined {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((l, k) => l !== y[k]);
  return i === -1 && x.length === y.length ? undefined : { line: i + 1, on: x[i], off: y[i] };
}

describe('IPVS passes a plain flow until a connection that is its business is added', () => {
  for (const detailed of [false, true]) {
    it(`new connections of other flows, then one whose reply tuple is the flow's, tracing ${detailed ? 'on' : 'off'}`, () => {
      const on = run('on', detailed);
      const off = run('off', detailed);
      expect(firstDifference(on.text, off.text)).toBeUndefined();
      expect(off.replays).toBe(0);
      // Replayed from the second datagram on, across the other flow's new connections and after the reply entry.
      expect(on.replays).toBeGreaterThan(4 * 280);
      if (detailed) expect(on.unNated).toBeGreaterThan(100);
    });
  }
});
