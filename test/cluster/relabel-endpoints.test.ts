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
