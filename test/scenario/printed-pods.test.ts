// A workload and the Pods kubectl printed for it, in one input: the printed Pods are
// its replicas (found by controller ownerReference, uid or kind+name), podwalk makes
// only the missing ones.
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import type { Scenario } from '../../src/scenario/types.js';

const head = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: t}
cluster:
  nodes: [{name: n1}, {name: n2}]
resources:
  - {apiVersion: v1, kind: Namespace, metadata: {name: shop}}
`;
const template = (app: string) => `selector: {matchLabels: {app: ${app}}}
      template:
        metadata: {labels: {app: ${app}}}
        spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}`;
const deployment = (replicas: number) => `  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: frontend, namespace: shop, uid: d-uid}
    spec:
      replicas: ${replicas}
      ${template('frontend')}
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata:
      name: frontend-7d4b9c8f6d
      namespace: shop
      uid: rs2-uid
      labels: {app: frontend, pod-template-hash: 7d4b9c8f6d}
      annotations: {deployment.kubernetes.io/revision: "2"}
      ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: frontend, uid: d-uid, controller: true, blockOwnerDeletion: true}]
    spec:
      replicas: ${replicas}
      ${template('frontend')}
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata:
      name: frontend-5f6c8d9b7
      namespace: shop
      uid: rs1-uid
      labels: {app: frontend, pod-template-hash: 5f6c8d9b7}
      annotations: {deployment.kubernetes.io/revision: "1"}
      ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: frontend, uid: d-uid, controller: true}]
    spec:
      replicas: 0
      ${template('frontend')}
`;
const printed = (name: string, ip: string, node: string, owner: string, extra = '') => `  - apiVersion: v1
    kind: Pod
    metadata:
      name: ${name}
      namespace: shop
      labels: {app: ${owner.split('/')[2]!.replace(/-7d4b9c8f6d$/, '')}${owner.includes('7d4b9c8f6d') ? ', pod-template-hash: 7d4b9c8f6d' : ''}}
      ownerReferences: [{apiVersion: apps/v1, kind: ${owner.split('/')[0]}, name: ${owner.split('/')[2]}, uid: ${owner.split('/')[1]}, controller: true, blockOwnerDeletion: true}]${extra}
    spec: {nodeName: ${node}, containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
    status: {podIP: ${ip}, phase: Running}
`;

function load(text: string): { s: Scenario; warnings: string[] } {
  const r = loadScenarioText(text, 'p.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return { s: r.scenario, warnings: r.scenario.warnings.map(formatProblem) };
}
const of = (s: Scenario, owner: string) => s.pods.filter((p) => p.owner?.name === owner).map((p) => [p.name, p.nodeName, p.ip, p.labels['pod-template-hash']]);

describe('a workload and its printed Pods', () => {
  it('Deployment → ReplicaSet → Pods: the printed pods are replicas; the missing one is made under the current ReplicaSet’s name', () => {
    const text = head + deployment(3) + printed('frontend-7d4b9c8f6d-x2k9p', '10.244.1.7', 'n1', 'ReplicaSet/rs2-uid/frontend-7d4b9c8f6d') + printed('frontend-7d4b9c8f6d-qq7ts', '10.244.2.9', 'n2', 'ReplicaSet/rs2-uid/frontend-7d4b9c8f6d');
    const { s, warnings } = load(text);
    const pods = of(s, 'frontend');
    expect(pods).toHaveLength(3);
    expect(pods.slice(0, 2)).toEqual([
      ['frontend-7d4b9c8f6d-x2k9p', 'n1', '10.244.1.7', '7d4b9c8f6d'],
      ['frontend-7d4b9c8f6d-qq7ts', 'n2', '10.244.2.9', '7d4b9c8f6d'],
    ]);
    expect(pods[2]![0]).toMatch(/^frontend-7d4b9c8f6d-[a-z0-9]{5}$/);
    expect(pods[2]![3]).toBe('7d4b9c8f6d');
    expect(s.pods.every((p) => p.owner?.kind !== 'ReplicaSet')).toBe(true);
    expect(warnings).toContainEqual(expect.stringMatching(/Deployment shop\/frontend: 2 of 3 replicas printed; podwalk makes frontend-7d4b9c8f6d-[a-z0-9]{5}$/));
    // Traffic naming the Deployment picks among its pods, printed ones included.
    const t = load(`${text}traffic:\n  - {name: f, from: deployment/shop/frontend, to: 10.244.1.7, protocol: TCP, port: 80}\n`).s;
    expect(t.traffic[0]!.from).toMatchObject({ kind: 'pod', name: expect.stringMatching(/^frontend-7d4b9c8f6d-/) });
  });

  it('all replicas printed: nothing is made, nothing is said; more printed than replicas: all kept, with a warning', () => {
    const two = printed('frontend-7d4b9c8f6d-x2k9p', '10.244.1.7', 'n1', 'ReplicaSet/rs2-uid/frontend-7d4b9c8f6d') + printed('frontend-7d4b9c8f6d-qq7ts', '10.244.2.9', 'n2', 'ReplicaSet/rs2-uid/frontend-7d4b9c8f6d');
    const exact = load(head + deployment(2) + two);
    expect(of(exact.s, 'frontend').map((p) => p[0])).toEqual(['frontend-7d4b9c8f6d-x2k9p', 'frontend-7d4b9c8f6d-qq7ts']);
    expect(exact.warnings.filter((w) => /frontend/.test(w))).toEqual([]);
    const more = load(head + deployment(1) + two);
    expect(of(more.s, 'frontend')).toHaveLength(2);
    expect(more.warnings).toContainEqual(expect.stringMatching(/Deployment shop\/frontend has spec\.replicas 1 but 2 running pods are printed: all are kept/));
  });

  it('without the ReplicaSet printed, the ReplicaSet name <deployment>-<pod-template-hash> leads to the Deployment', () => {
    const text = head + deployment(2).split('  - apiVersion: apps/v1\n    kind: ReplicaSet')[0] + printed('frontend-7d4b9c8f6d-x2k9p', '10.244.1.7', 'n1', 'ReplicaSet/rs2-uid/frontend-7d4b9c8f6d');
    const pods = of(load(text).s, 'frontend');
    expect(pods).toHaveLength(2);
    expect(pods[0]![0]).toBe('frontend-7d4b9c8f6d-x2k9p');
  });

  it('labels alone do not make a Pod a replica; an owner with another uid is another object', () => {
    const stray = `  - {apiVersion: v1, kind: Pod, metadata: {name: debug, namespace: shop, labels: {app: frontend, pod-template-hash: 7d4b9c8f6d}}, spec: {containers: [{name: c, image: i}]}}\n`;
    const stale = printed('frontend-7d4b9c8f6d-old01', '10.244.1.9', 'n1', 'ReplicaSet/gone-uid/frontend-7d4b9c8f6d');
    const { s } = load(head + deployment(2) + stray + stale);
    expect(of(s, 'frontend')).toHaveLength(2);
    expect(s.pods.find((p) => p.name === 'debug')!.owner).toBeUndefined();
    expect(s.pods.find((p) => p.name === 'frontend-7d4b9c8f6d-old01')!.owner).toBeUndefined();
  });

  it('StatefulSet: printed ordinals are kept, missing ordinals made; DaemonSet: nodes with a printed pod get no second one', () => {
    const sts = `  - apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: db, namespace: shop, uid: s-uid}
    spec:
      replicas: 3
      serviceName: db
      ${template('db')}
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent, namespace: shop, uid: ds-uid}
    spec:
      ${template('agent')}
`;
    const text = head + sts + printed('db-1', '10.244.2.20', 'n2', 'StatefulSet/s-uid/db') + printed('agent-7xk2p', '10.244.1.30', 'n1', 'DaemonSet/ds-uid/agent');
    const { s } = load(text);
    expect(of(s, 'db').map((p) => p[0]).sort()).toEqual(['db-0', 'db-1', 'db-2']);
    expect(s.pods.find((p) => p.name === 'db-1')).toMatchObject({ nodeName: 'n2', ip: '10.244.2.20' });
    expect(of(s, 'agent').map((p) => [p[0], p[1]])).toEqual([
      ['agent-7xk2p', 'n1'],
      [expect.stringMatching(/^agent-[a-z0-9]{5}$/), 'n2'],
    ]);
  });
});
