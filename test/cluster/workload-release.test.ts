import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

/** A StatefulSet db (3 replicas) and a DaemonSet agent on two nodes, with Services; `steps` and `traffic` appended. */
function run(steps: string, traffic = '') {
  const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: release}
cluster: {network: flannel-vxlan, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: db}
    spec:
      serviceName: db
      replicas: 3
      selector: {matchLabels: {app: db}}
      template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: db}, spec: {selector: {app: db}, ports: [{port: 5432}]}}
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent}
    spec:
      selector: {matchLabels: {app: agent}}
      template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: agent, image: agent, ports: [{containerPort: 9100}]}]}}
steps:
${steps}
${traffic ? `traffic:\n${traffic}` : ''}`;
  const r = loadScenarioText(yaml, 'release.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const res = simulate(r.scenario);
  const changes = res.events.flatMap((e) => (e.kind === 'change' && (e.change === 'scale' || e.change === 'pod-created' || e.change === 'pod-deleted') ? [`${e.t / 1e9} ${e.detail}`] : []));
  return { res, changes, agentOnNode2: r.scenario.pods.find((p) => p.name.startsWith('agent-') && p.nodeName === 'node2')!.name };
}

describe('StatefulSet and DaemonSet release a pod relabelled out of their selector, as their controllers do', () => {
  it('the StatefulSet cannot recreate the name the orphan holds: its create fails until the orphan is gone, then a retry (5 ms doubling) makes it', () => {
    const { res, changes } = run(
      '  - {at: 1ms, label: {pod: default/db-1, labels: {app: debug}}}\n  - {at: 3s, deletePod: {pod: default/db-1}}',
      '  - {name: out, from: pod/client, to: service/db, port: 5432, count: 12, interval: 10us, at: 2s}\n  - {name: back, from: pod/client, to: service/db, port: 5432, count: 12, interval: 10us, at: 7s}\n',
    );
    expect(changes[0]).toBe('0.001 statefulset default/db released pod default/db-1 (its labels no longer match the selector app=db): 2 of 3 replicas; creating pod default/db-1 fails: pods "db-1" already exists (the sync is retried with backoff until the name is free)');
    // No pod is made while the orphan holds the name; it is gone at 4 s (1 s sandbox teardown), and the retries after 1 ms
    // come at 1 ms + 5 ms x (2^k - 1): the first after 4 s is k = 10, 5.116 s.
    expect(changes.filter((c) => c.includes('CNI ADD'))).toEqual([expect.stringMatching(/^5\.116 pod default\/db-1 on node\d, IP /)]);
    expect(changes).toContain('5.116 statefulset default/db: sync retried, creating pod default/db-1 (its name is free)');
    const backends = (item: string) => [...new Set(res.flows.filter((f) => f.flow.startsWith(`${item}#`)).map((f) => f.deliveredTo))].sort();
    expect(backends('out')).toEqual(['pod/default/db-0', 'pod/default/db-2']);
    expect(backends('back')).toEqual(['pod/default/db-0', 'pod/default/db-1', 'pod/default/db-2']);
  });

  it('labelled back, the StatefulSet adopts the orphan: nothing to create or delete', () => {
    const { changes } = run('  - {at: 1ms, label: {pod: default/db-1, labels: {app: debug}}}\n  - {at: 2s, label: {pod: default/db-1, labels: {app: db}}}');
    expect(changes).toEqual([expect.stringContaining('released pod default/db-1'), '2 statefulset default/db adopted pod default/db-1 (its labels match the selector again): 3 replicas']);
  });

  it('a deleted StatefulSet pod comes back under its name, a DaemonSet pod on its node, once the old one is gone (not at once)', () => {
    const { changes, agentOnNode2 } = run(`  - {at: 1s, deletePod: {pod: default/db-1}}\n  - {at: 1s, deletePod: {pod: default/AGENT}}`.replace('AGENT', 'agent-kskpk'));
    expect(agentOnNode2).toBe('agent-kskpk');
    expect(changes.filter((c) => c.includes('CNI ADD'))).toEqual([expect.stringMatching(/^2 pod default\/db-1 on node\d, IP /), expect.stringMatching(/^2 pod default\/agent-[a-z0-9]{5} on node2, IP /)]);
  });

  it('the DaemonSet creates a pod on the node at once; labelled back, the oldest of the two stays', () => {
    const { changes } = run('  - {at: 1ms, label: {pod: default/agent-kskpk, labels: {app: debug}}}\n  - {at: 2s, label: {pod: default/agent-kskpk, labels: {app: agent}}}');
    expect(changes[0]).toBe('0.001 daemonset default/agent released pod default/agent-kskpk (its labels no longer match the selector app=agent): 1 of 2 daemon pods; node node2 has none, creating 1 there');
    const made = /pod (default\/agent-[a-z0-9]{5}) on node2/.exec(changes[1]!)![1]!;
    expect(changes).toContain(`2 daemonset default/agent adopted pod default/agent-kskpk (its labels match the selector again): 2 daemon pods on node node2, deleting ${made}`);
    expect(changes.at(-1)).toMatch(new RegExp(`^3 pod ${made} deleted`));
  });
});
