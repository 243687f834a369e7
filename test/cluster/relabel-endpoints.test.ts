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
});
