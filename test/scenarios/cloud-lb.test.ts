import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectNexthop, type Route } from '../../src/kernel/ipv4/fib.js';
import { showRoutes } from '../../src/kernel/show.js';
import { formatProblem, loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import type { Scenario } from '../../src/scenario/types.js';
import type { TraceEvent } from '../../src/trace/events.js';

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
  // A multipath route's nexthops follow on lines of their own, tab-indented.
  for (const route of routes.split(/\n(?!\t)/)) {
    const m = /^(203\.0\.113\.\d+) ([^]*)$/.exec(route);
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

describe('Services created, changed and deleted by steps are served like the scenario\'s own', () => {
  const lbChanges = (events: readonly TraceEvent[]): (readonly [number, string])[] => events.flatMap((e) => (e.kind === 'change' && e.change === 'lb-health' ? [[e.t, e.detail] as const] : []));

  it('created at 5 s: kube-proxy opens its healthCheckNodePort, the new load balancer fails open and takes node3 alone at the first probe; deleted at 30 s: listener and route gone', () => {
    const r = loadScenarioFile(join(import.meta.dirname, '..', '..', 'scenarios', 'service-loadbalancer-added.yaml'));
    if (!r.ok) throw new Error('does not load');
    const step = r.scenario.steps[0]!.action;
    expect(step.kind === 'apply-service' && [step.service.clusterIP, step.service.ports[0]!.nodePort, step.service.healthCheckNodePort]).toEqual(['10.96.0.11', 30000, 32000]);
    const res = simulate(r.scenario);
    // The gateway's route for the address as each packet found it: nowhere, every node (fail open), node3, nowhere.
    const routes = new Map<string, Set<string>>();
    for (const e of res.events) {
      if (e.at !== 'gateway' || (e.kind !== 'route' && !(e.kind === 'drop' && e.reason === 'no-route')) || (e.kind === 'route' && e.dst !== '203.0.113.20')) continue;
      const phase = e.t < 5e9 ? 'before' : e.t < 8e9 ? 'created' : e.t < 30e9 ? 'probed' : 'deleted';
      if (!routes.has(phase)) routes.set(phase, new Set());
      routes.get(phase)!.add(e.kind === 'route' ? `${e.route.split(' ').slice(0, 4).join(' ')}${e.nexthops ? ` (${e.nexthops} nexthops)` : ''}` : 'none');
    }
    expect(Object.fromEntries([...routes].map(([k, v]) => [k, [...v]]))).toMatchObject({
      before: ['none'],
      created: [expect.stringContaining('(3 nexthops)')],
      probed: expect.arrayContaining(['203.0.113.20 via 192.168.56.13 dev']),
      deleted: ['none'],
    });
    expect(lbChanges(res.events)).toEqual([[8e9, "cloud load balancer: node3 passed 1 health check on healthCheckNodePort 32000 (probed every 8 s): into default/web-local's backends (203.0.113.20)"]]);
    // The health server's answers (200 on node3, 503 on node1, refused before and after) are the scenario's own expectations.
    expect(res.flows.filter((f) => f.flow.startsWith('health-')).length).toBe(4);
    expect(['node1', 'node2', 'node3'].map((n) => res.cluster.nodes.get(n)!.sockets.listensTcp(32000))).toEqual([false, false, false]);
    expect(res.cluster.proxies.get('node3')!.restored).not.toContain('web-local');
  });

  it('replaced at 10 s with externalTrafficPolicy Local: same cluster IP and node port, a healthCheckNodePort on every node, and node2 (no endpoint) out after three 503s', () => {
    const svc = (etp: string) => `
      apiVersion: v1
      kind: Service
      metadata: {name: web}
      spec: {type: LoadBalancer, externalTrafficPolicy: ${etp}, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
      status: {loadBalancer: {ingress: [{ip: 203.0.113.10}]}}`;
    const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: lb-replaced}
cluster:
  network: host-gw
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node1, containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}}
  - ${svc('Cluster').trim().replace(/\n {6}/g, '\n    ')}
steps:
  - at: 10s
    apply:${svc('Local').replace(/\n {6}/g, '\n      ')}
`;
    const r = loadScenarioText(text, 'lb-replaced.yaml');
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
    const before = r.scenario.services.find((s) => s.name === 'web')!;
    const step = r.scenario.steps[0]!.action;
    if (step.kind !== 'apply-service') throw new Error('not a Service step');
    expect([step.service.clusterIP, step.service.ports[0]!.nodePort]).toEqual([before.clusterIP, before.ports[0]!.nodePort]);
    expect(step.service.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    const res = simulate(r.scenario);
    expect(lbChanges(res.events)).toEqual([
      [32e9, `cloud load balancer: node2 failed 3 health checks in a row (HTTP 503 since 10 s) on healthCheckNodePort ${step.service.healthCheckNodePort} (probed every 8 s): out of default/web's backends (203.0.113.10)`],
    ]);
    expect(['node1', 'node2'].map((n) => res.cluster.nodes.get(n)!.sockets.listensTcp(step.service.healthCheckNodePort!))).toEqual([true, true]);
  });

  it('what the API server would refuse is an exit-2 error at its place: a changed cluster IP, deleting a Service that is not there, replacing a built-in one', () => {
    const base = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: bad-steps}
cluster: {network: host-gw, nodes: [{name: node1}]}
resources:
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {clusterIP: 10.96.0.50, selector: {app: web}, ports: [{port: 80}]}}
steps:
`;
    const problems = (steps: string): string[] => {
      const r = loadScenarioText(base + steps, 'bad-steps.yaml');
      return r.ok ? [] : r.problems.map((p) => formatProblem(p));
    };
    expect(problems('  - {at: 1s, apply: {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {clusterIP: 10.96.0.51, ports: [{port: 80}]}}}\n')).toEqual([
      'bad-steps.yaml:8:94: steps[0].apply.spec.clusterIP: field is immutable: Service default/web has clusterIP 10.96.0.50',
    ]);
    expect(problems('  - {at: 1s, delete: service/default/web}\n  - {at: 2s, delete: service/default/web}\n')).toEqual(['bad-steps.yaml:9:22: steps[1].delete: no Service default/web exists at 2 s']);
    expect(problems('  - {at: 1s, delete: service/kube-system/kube-dns}\n')).toEqual(['bad-steps.yaml:8:22: steps[0].delete: Service kube-system/kube-dns is built in (cluster DNS, the API server)']);
    expect(problems('  - {at: 1s, delete: pod/default/web}\n')[0]).toContain('expected networkpolicy/<namespace>/<name> or service/<namespace>/<name>');
  });
});
