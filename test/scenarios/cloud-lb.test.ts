import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectNexthop, type Route } from '../../src/kernel/fib.js';
import { showRoutes } from '../../src/kernel/show.js';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import type { Scenario } from '../../src/scenario/types.js';

const file = join(import.meta.dirname, '..', '..', 'scenarios', 'service-loadbalancer-spread.yaml');

/** The node each connection entered by: the nexthop the gateway's multipath route chose. */
function entryNodes(seed?: number): string[] {
  const r = loadScenarioFile(file, seed === undefined ? {} : { seed });
  if (!r.ok) throw new Error('does not load');
  const run = simulate(r.scenario);
  return run.flows
    .filter((f) => f.flow.startsWith('etp-cluster#'))
    .map((f) => run.events.find((e) => e.kind === 'route' && e.pkt === f.pkt && e.at === 'gateway'))
    .map((e) => (e?.kind === 'route' ? (e.nexthop ?? e.route) : 'none'));
}

/** The node IPs the gateway routes each load-balancer address to, read off its routes once the cluster is built (as `ip route` prints them). */
function loadBalancerBackends(scenario: Scenario): Map<string, string[]> {
  const routes = showRoutes(simulate({ ...scenario, traffic: [] }).cluster.gateway);
  const out = new Map<string, string[]>();
  for (const line of routes.split('\n')) {
    const m = /^(203\.0\.113\.\d+) (.*)$/.exec(line);
    if (m) out.set(m[1]!, [...m[2]!.matchAll(/via (\S+)/g)].map((v) => v[1]!));
  }
  return out;
}

describe('the cloud load balancer spreads connections over the eligible nodes', () => {
  it('externalTrafficPolicy Cluster: connections enter at every node, chosen per connection by the 5-tuple hash', () => {
    const nodes = entryNodes();
    expect(new Set(nodes)).toEqual(new Set(['via 192.168.56.11 dev eth0', 'via 192.168.56.12 dev eth0', 'via 192.168.56.13 dev eth0']));
    // Deterministic: the same seed, the same spread.
    expect(entryNodes()).toEqual(nodes);
    expect(entryNodes(2)).toHaveLength(6);
  });

  it('externalTrafficPolicy Local: only nodes with a ready endpoint pass the health check; none passing fails open to every node', () => {
    const r = loadScenarioFile(file);
    if (!r.ok) throw new Error('does not load');
    expect(loadBalancerBackends(r.scenario)).toEqual(
      new Map([
        ['203.0.113.10', ['192.168.56.11', '192.168.56.12', '192.168.56.13']],
        ['203.0.113.11', ['192.168.56.13']],
      ]),
    );
    const notReady = r.scenario.endpointSlices.map((s) => ({ ...s, endpoints: s.endpoints.map((e) => ({ ...e, ready: false })) }));
    expect(loadBalancerBackends({ ...r.scenario, endpointSlices: notReady }).get('203.0.113.11')).toEqual(['192.168.56.11', '192.168.56.12', '192.168.56.13']);
  });

  it('fib_select_multipath: each nexthop owns a share of the 31-bit hash space by weight', () => {
    const dev = { name: 'eth0' } as never;
    const route = { nexthops: [{ via: 1, dev, weight: 1 }, { via: 2, dev, weight: 3 }] } as unknown as Route;
    expect(selectNexthop(route, 0).via).toBe(1);
    expect(selectNexthop(route, 2 ** 29 - 1).via).toBe(1);
    expect(selectNexthop(route, 2 ** 29).via).toBe(2);
    expect(selectNexthop(route, 2 ** 31 - 1).via).toBe(2);
  });
});

describe('the cloud load balancer keeps probing while the cluster changes (GCE L4: every 8 s, 1 s timeout, out after 3 failures, back after 1 pass)', () => {
  it('eTP Cluster: a node that goes down is out after three probes time out, and back at the first probe after it returns', () => {
    const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: lb-node-down}
cluster:
  network: host-gw
  nodes: [{name: node1}, {name: node2}]
  externalHosts: [{name: client, ip: 192.168.56.100}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node1, containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}}
  - apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
    status: {loadBalancer: {ingress: [{ip: 203.0.113.10}]}}
steps:
  - {at: 10s, node: {name: node2, state: down}}
  - {at: 50s, node: {name: node2, state: up}}
traffic:
  - {name: c, from: host/client, to: 203.0.113.10, port: 80, at: 1s, count: 1, expect: {verdict: delivered}}
`;
    const r = loadScenarioText(text, 'lb-node-down.yaml');
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
    const res = simulate(r.scenario);
    const lb = res.events.flatMap((e) => (e.kind === 'change' && e.change === 'lb-health' ? [[e.t, e.detail] as const] : []));
    expect(lb).toEqual([
      [33e9, "cloud load balancer: node2 failed 3 health checks in a row (no answer within 1 s since 10 s) on kube-proxy's :10256/healthz (probed every 8 s): out of default/web's backends (203.0.113.10)"],
      [56e9, "cloud load balancer: node2 passed 1 health check on kube-proxy's :10256/healthz (probed every 8 s): back in default/web's backends (203.0.113.10)"],
    ]);
  });
});

describe('a node that is already failing and then goes down: failures of either kind count in one row', () => {
  const scenario = (steps: string): string => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: lb-503-then-down}
cluster:
  network: host-gw
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: web-1, labels: {app: web}}, spec: {nodeName: node1, containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web-2, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}}
  - apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec: {type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 32000, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
    status: {loadBalancer: {ingress: [{ip: 203.0.113.10}]}}
steps:
${steps}
`;
  const lbChanges = (steps: string): (readonly [number, string])[] => {
    const r = loadScenarioText(scenario(steps), 'lb-503-then-down.yaml');
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
    return simulate(r.scenario).events.flatMap((e) => (e.kind === 'change' && e.change === 'lb-health' ? [[e.t, e.detail] as const] : []));
  };
  const out = (why: string): string => `cloud load balancer: node2 failed 3 health checks in a row (${why}) on healthCheckNodePort 32000 (probed every 8 s): out of default/web's backends (203.0.113.10)`;

  it('503 from 10 s, down at 20 s: the deciding probe (32 s) gets no answer, so the node is out when it times out (33 s)', () => {
    expect(lbChanges('  - {at: 10s, deletePod: {pod: default/web-2}}\n  - {at: 20s, node: {name: node2, state: down}}')).toEqual([
      [33e9, out('HTTP 503 since 10 s, then no answer within 1 s since 20 s')],
    ]);
  });

  it('down after the deciding probe got its 503: the decision stands at 32 s', () => {
    expect(lbChanges('  - {at: 10s, deletePod: {pod: default/web-2}}\n  - {at: 32.5s, node: {name: node2, state: down}}')).toEqual([[32e9, out('HTTP 503 since 10 s')]]);
  });

  it('down from 10 s, back at 32.5 s: the probe of 32 s was already out and times out (out at 33 s), the next one passes (back at 40 s)', () => {
    expect(lbChanges('  - {at: 10s, node: {name: node2, state: down}}\n  - {at: 32.5s, node: {name: node2, state: up}}')).toEqual([
      [33e9, out('no answer within 1 s since 10 s')],
      [40e9, "cloud load balancer: node2 passed 1 health check on healthCheckNodePort 32000 (probed every 8 s): back in default/web's backends (203.0.113.10)"],
    ]);
  });
});
