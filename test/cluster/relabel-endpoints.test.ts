import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// `kubectl label pod` reaches the EndpointSlice controller, not only the policy agent.
const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: relabel-endpoints}
cluster: {network: flannel-vxlan, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web-a, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: w, image: nginx, ports: [{containerPort: 80}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web-b, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: w, image: nginx, ports: [{containerPort: 80}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80}]}}
steps:
  - {at: 1ms, label: {pod: default/web-b, labels: {app: debug}}}
  - {at: 2s, label: {pod: default/web-b, labels: {app: web}}}
traffic:
  - {name: before, from: pod/client, to: service/web, port: 80, count: 8, interval: 10us}
  - {name: out, from: pod/client, to: service/web, port: 80, count: 8, interval: 10us, at: 10ms}
  - {name: back, from: pod/client, to: service/web, port: 80, count: 8, interval: 10us, at: 4s}
`;

describe('relabelling a pod', () => {
  it('takes it out of the Service it no longer matches (and back), once kube-proxy has synced', () => {
    const loaded = loadScenarioText(yaml, 'relabel.yaml');
    if (!loaded.ok) throw new Error('load');
    const r = simulate(loaded.scenario);
    const backends = (item: string): string[] => [...new Set(r.flows.filter((f) => f.flow.startsWith(`${item}#`)).map((f) => f.deliveredTo ?? '?'))].sort();
    expect(backends('before')).toEqual(['pod/default/web-a', 'pod/default/web-b']);
    expect(backends('out')).toEqual(['pod/default/web-a']);
    expect(backends('back')).toEqual(['pod/default/web-a', 'pod/default/web-b']);
    const changes = r.events.filter((e) => e.kind === 'change').map((e) => (e.kind === 'change' ? `${e.t} ${e.change}: ${e.detail}` : ''));
    expect(changes.filter((c) => c.includes('EndpointSlices of default/web updated'))).toHaveLength(2);
  });

  it("a Deployment's new replicas get its template's labels, not a relabelled replica's", () => {
    const base = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: relabel-template}
cluster: {network: flannel-vxlan, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 1
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: w, image: nginx, ports: [{containerPort: 80}]}]}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80}]}}
`;
    const first = loadScenarioText(base, 'relabel-template.yaml');
    if (!first.ok) throw new Error('load');
    const replica = first.scenario.pods.find((p) => p.name.startsWith('web-'))!.name;
    const loaded = loadScenarioText(
      `${base}steps:
  - {at: 1ms, label: {pod: default/${replica}, labels: {app: debug}}}
  - {at: 2ms, scale: {deployment: default/web, replicas: 2, readyAfter: 0s}}
traffic:
  - {name: after, from: pod/client, to: service/web, port: 80, count: 6, interval: 10us, at: 2s}
`,
      'relabel-template.yaml',
    );
    if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
    const r = simulate(loaded.scenario);
    const to = [...new Set(r.flows.map((f) => f.deliveredTo))];
    // The new replica serves (it carries app=web); the relabelled one (app=debug) is out of the Service.
    expect(to.length).toBeGreaterThan(0);
    for (const d of to) expect(d).toMatch(/^pod\/default\/web-/);
    expect(to).not.toContain(`pod/default/${replica}`);
  });
});

describe("the ReplicaSet controller's ClaimPods on a relabelled pod", () => {
  const doc = (steps: string, replicas = 2, selector = '{matchLabels: {app: web}}') => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: rs-claim}
cluster: {network: flannel-vxlan, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata: {name: web}
    spec:
      replicas: ${replicas}
      selector: ${selector}
      template:
        metadata: {labels: {app: web, tier: front}}
        spec: {containers: [{name: w, image: nginx, ports: [{containerPort: 80}]}]}
${steps}`;
  const run = (steps: (pods: string[]) => string, replicas = 2, selector?: string) => {
    const first = loadScenarioText(doc('', replicas, selector), 'rs.yaml');
    if (!first.ok) throw new Error('load');
    const pods = first.scenario.pods.filter((p) => p.name.startsWith('web-')).map((p) => p.name);
    const loaded = loadScenarioText(doc(`steps:\n${steps(pods)}`, replicas, selector), 'rs.yaml');
    if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
    const r = simulate(loaded.scenario);
    const changes = r.events.flatMap((e) => (e.kind === 'change' && (e.change === 'scale' || e.change === 'pod-created' || e.change === 'pod-terminating') ? [`${e.t / 1e9} ${e.detail}`] : []));
    return { pods, changes };
  };

  it('a pod relabelled out of the selector is released and replaced; a label the selector does not read changes nothing', () => {
    const { pods, changes } = run((p) => `  - {at: 1ms, label: {pod: default/${p[0]}, labels: {app: debug}}}\n  - {at: 2ms, label: {pod: default/${p[1]}, labels: {tier: back}}}\n`);
    expect(changes).toHaveLength(2);
    expect(changes[0]).toBe(`0.001 replicaset default/web released pod default/${pods[0]} (its labels no longer match the selector app=web): 1 of 2 replicas, creating 1`);
    expect(changes[1]).toMatch(/^0\.001 pod default\/web-[a-z0-9]{5} on node\d, IP /);
    // matchExpressions count too: tier NotIn [back] no longer holds for the second pod.
    const expr = run((p) => `  - {at: 1ms, label: {pod: default/${p[1]}, labels: {tier: back}}}\n`, 2, '{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: NotIn, values: [back]}]}');
    expect(expr.changes[0]).toBe(`0.001 replicaset default/web released pod default/${expr.pods[1]} (its labels no longer match the selector app=web,tier notin (back)): 1 of 2 replicas, creating 1`);
  });

  it('labelled back, the pod is adopted and the ReplicaSet deletes the pod ranked first: not ready before ready, then the newer', () => {
    // Back before the replacement is Ready (1 s): the replacement, not ready, goes.
    const early = run((p) => `  - {at: 1ms, label: {pod: default/${p[0]}, labels: {app: debug}}}\n  - {at: 500ms, label: {pod: default/${p[0]}, labels: {app: web}}}\n`);
    const replacement = /pod default\/(web-[a-z0-9]{5}) on/.exec(early.changes[1]!)![1]!;
    expect(early.changes[2]).toBe(`0.5 replicaset default/web adopted pod default/${early.pods[0]} (its labels match the selector again): 3 of 2 replicas, deleting default/${replacement}`);
    // A deleted pod is not released: it was not relabelled.
    expect(early.changes.filter((c) => c.includes('released'))).toHaveLength(1);
  });
});
