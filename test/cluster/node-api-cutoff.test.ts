import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { evictAfterSeconds, UNREACHABLE_TAINT } from '../../src/cluster/scheduler/taints.js';

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
      [51, 'node node2 NotReady: 3 pod(s) marked not ready; node tainted node.kubernetes.io/unreachable:NoSchedule'],
      [51, 'node node2 tainted node.kubernetes.io/unreachable:NoExecute (node lifecycle controller, 0.1 node/s in its zone)'],
      [70, 'node node2 Ready: 3 pod(s) ready again'],
    ]);
  });

  it('the control-plane node going down cuts the others off: they turn NotReady, it stays Ready and its kube-proxy syncs', () => {
    const res = run('steps:\n  - {at: 1s, node: {name: node1, state: down}}\n');
    const c = changes(res);
    expect(c.filter(([, , kind, d]) => kind === 'endpoints' && d.startsWith('node ')).map(([t, , , d]) => [t, d])).toEqual([
      [51, 'node node2 NotReady: 3 pod(s) marked not ready; node tainted node.kubernetes.io/unreachable:NoSchedule'],
      [51, 'node node2 tainted node.kubernetes.io/unreachable:NoExecute (node lifecycle controller, 0.1 node/s in its zone)'],
    ]);
    // (node2's pods are evicted at 351 s; their replacements go to node1, whose kube-proxy syncs again.)
    expect(c.filter(([, , kind]) => kind === 'proxy-sync').map(([t, at]) => [t, at])).toEqual([
      [51, 'node1'],
      [351, 'node1'],
      [352, 'node1'],
    ]);
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

describe('taint-based eviction of a node that stays unreachable', () => {
  it('DefaultTolerationSeconds: 300 s after the taint the pods are deleted; the ReplicaSet replaces its pod on node1; the deleted pod stays Terminating until node2 is back', () => {
    const res = run('steps:\n  - {at: 1s, node: {name: node2, state: down}}\n  - {at: 400s, node: {name: node2, state: up}}\n');
    const c = changes(res);
    const evicted = c.filter(([, , kind, d]) => kind === 'pod-terminating' && d.includes('evicted by the taint eviction controller'));
    expect(evicted.map(([t, at]) => [t, at])).toEqual([
      [351, 'default/client2'],
      [351, 'default/web-55489cf447-8g6lj'],
      [351, 'kube-system/coredns-6b6c955475-vfgjj'],
    ]);
    expect(evicted[1]![3]).toContain('kubelet on node2 cannot see it');
    expect(c.some(([t, , kind, d]) => t === 351 && kind === 'pod-created' && d.startsWith('pod default/web-') && d.includes(' on node1,'))).toBe(true);
    // kubelet kills them once it sees the deletion: at 400 s, not at 351 s.
    expect(c.filter(([, , kind, d]) => kind === 'pod-terminating' && d.includes('containers exited')).map(([t]) => t)).toEqual([400, 400, 400]);
  });

  it('a node back before the tolerations run out keeps its pods', () => {
    const res = run('steps:\n  - {at: 1s, node: {name: node2, state: down}}\n  - {at: 300s, node: {name: node2, state: up}}\n');
    expect(changes(res).some(([, , kind, d]) => kind === 'pod-terminating' && d.includes('evicted'))).toBe(false);
  });

  it('tolerations: the default 300 s unless the pod has its own; none matching: at once; a DaemonSet pod stays', () => {
    expect(evictAfterSeconds([], UNREACHABLE_TAINT, false)).toBe(300);
    expect(evictAfterSeconds([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 6 }], UNREACHABLE_TAINT, false)).toBe(6);
    expect(evictAfterSeconds([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }], UNREACHABLE_TAINT, false)).toBeUndefined();
    expect(evictAfterSeconds([{ operator: 'Exists' }], UNREACHABLE_TAINT, false)).toBeUndefined();
    expect(evictAfterSeconds([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: -5 }], UNREACHABLE_TAINT, false)).toBe(0);
    expect(evictAfterSeconds([], { key: 'example.com/dedicated', value: 'x', effect: 'NoExecute' }, false)).toBe(0);
    expect(evictAfterSeconds([], UNREACHABLE_TAINT, true)).toBeUndefined();
  });
});
