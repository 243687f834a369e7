import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// A node's agents watch the API server (on the control-plane node, node1 by default): a node cut off from it
// keeps what its agents programmed last, and relists and syncs when it reaches the API again.

const run = (body: string) => {
  const r = loadScenarioText(`apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: cutoff}
cluster: {nodes: [{name: node1}, {name: node2}]}
resources:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 2
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: client2, labels: {app: client}}, spec: {nodeName: node2, containers: [{name: c, image: curl}]}}
${body}`);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return simulate(r.scenario);
};

const changes = (res: ReturnType<typeof run>) => res.events.flatMap((e) => (e.kind === 'change' ? [[e.t / 1e9, e.at, e.change, e.detail] as const] : []));

describe('a node cut off from the API server', () => {
  it("kube-proxy on a node that is down keeps its rules: the NotReady pods' sync reaches node1 only; node2 syncs when it is back", () => {
    const res = run('steps:\n  - {at: 1s, node: {name: node2, state: down}}\n  - {at: 70s, node: {name: node2, state: up}}\n');
    const syncs = changes(res).filter(([, , kind]) => kind === 'proxy-sync').map(([t, at]) => [t, at]);
    expect(syncs).toEqual([
      [51, 'node1'],
      [70, 'node1'],
      [70, 'node2'],
    ]);
    expect(changes(res).filter(([, , kind, d]) => kind === 'endpoints' && d.startsWith('node ')).map(([t, , , d]) => [t, d])).toEqual([
      [51, 'node node2 NotReady: 3 pod(s) marked not ready'],
      [70, 'node node2 Ready: 3 pod(s) ready again'],
    ]);
  });

  it('the control-plane node going down cuts the others off: they turn NotReady, it stays Ready and its kube-proxy syncs', () => {
    const res = run('steps:\n  - {at: 1s, node: {name: node1, state: down}}\n');
    const c = changes(res);
    expect(c.filter(([, , kind, d]) => kind === 'endpoints' && d.startsWith('node ')).map(([t, , , d]) => [t, d])).toEqual([[51, 'node node2 NotReady: 3 pod(s) marked not ready']]);
    expect(c.filter(([, , kind]) => kind === 'proxy-sync').map(([t, at]) => [t, at])).toEqual([[51, 'node1']]);
  });

  it('the policy agent on a cut-off node does not see a policy applied meanwhile; it programs it once the node is back', () => {
    const policy = '{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny-web}, spec: {podSelector: {matchLabels: {app: web}}}}';
    const res = run(`  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: other}, spec: {podSelector: {matchLabels: {app: other}}}}
steps:
  - {at: 1s, node: {name: node2, state: down}}
  - {at: 2s, apply: ${policy}}
  - {at: 10s, node: {name: node2, state: up}}
traffic:
  - {name: cut-off, from: pod/client2, to: pod/default/web-55489cf447-8g6lj, port: 80, at: 5s, timeout: 1s}
  - {name: back, from: pod/client2, to: pod/default/web-55489cf447-8g6lj, port: 80, at: 11s, timeout: 1s}
`);
    expect(res.flows.find((f) => f.flow === 'cut-off')).toMatchObject({ verdict: 'delivered' });
    expect(res.flows.find((f) => f.flow === 'back')).toMatchObject({ verdict: 'dropped', dropReason: 'policy-denied' });
  });
});
