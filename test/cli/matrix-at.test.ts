import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { probeMatrix } from '../../src/scenario/run/matrix.js';

const file = join(import.meta.dirname, '..', '..', 'scenarios', 'netpol-changes-over-time.yaml');

function webToDb(atNs: number): boolean {
  const r = loadScenarioFile(file);
  if (!r.ok) throw new Error('does not load');
  const m = probeMatrix(r.scenario, { port: 5432, protocol: 'TCP', via: 'pod', atNs });
  return m.cells.flat().find((c) => c.from === 'default/web' && c.to === 'default/db')!.allowed;
}

describe('podwalk matrix --at T: the table as of simulated time T', () => {
  it('follows the policy steps: open, denied (5 ms), allowed by a rule (12 ms), denied after the relabel (15 ms), open (18 ms)', () => {
    expect([0, 6e6, 13e6, 16e6, 19e6].map(webToDb)).toEqual([true, false, true, false, true]);
  });

  it('probes the pods that exist at T (a scale step added one)', () => {
    const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: matrix-at}
cluster: {network: host-gw, nodes: [{name: node1}, {name: node2}]}
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
steps:
  - {at: 1s, scale: {deployment: default/web, replicas: 3}}
`;
    const r = loadScenarioText(yaml, 'm.yaml');
    if (!r.ok) throw new Error('does not load');
    const before = probeMatrix(r.scenario, { port: 80, protocol: 'TCP', via: 'pod' });
    const after = probeMatrix(r.scenario, { port: 80, protocol: 'TCP', via: 'pod', atNs: 3e9 });
    expect(before.pods).toHaveLength(2);
    expect(after.pods).toHaveLength(3);
    expect(after.cells.flat().every((c) => c.allowed)).toBe(true);
  });

  it('via: service probes through the Services that exist at T: one a step created, not one a step deleted', () => {
    const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: matrix-at-services}
cluster: {network: flannel-vxlan, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {pod: a}}, spec: {nodeName: node1, containers: [{name: c, image: web, ports: [{containerPort: 80}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b, labels: {pod: b}}, spec: {nodeName: node2, containers: [{name: c, image: web, ports: [{containerPort: 80}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: a}, spec: {selector: {pod: a}, ports: [{port: 80}]}}
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: b-from-nobody}
    spec: {podSelector: {matchLabels: {pod: b}}}
steps:
  - {at: 1ms, apply: {apiVersion: v1, kind: Service, metadata: {name: b}, spec: {selector: {pod: b}, ports: [{port: 80}]}}}
  - {at: 1ms, delete: service/default/a}
`;
    const r = loadScenarioText(yaml, 'm.yaml');
    if (!r.ok) throw new Error('does not load');
    const marks = (atNs: number): string[] => probeMatrix(r.scenario, { port: 80, protocol: 'TCP', via: 'service', atNs }).cells.flat().map((c) => `${c.from}->${c.to} ${c.skipped ? '?' : c.allowed ? '.' : 'X'}`);
    expect(marks(0)).toEqual(['default/a->default/a .', 'default/a->default/b ?', 'default/b->default/a .', 'default/b->default/b ?']);
    // Once kube-proxy has synced the change (minSyncPeriod 1 s after its last sync): b through its new Service, denied by its policy.
    expect(marks(2e9)).toEqual(['default/a->default/a ?', 'default/a->default/b X', 'default/b->default/a ?', 'default/b->default/b .']);
  });

  it('the CLI takes a duration, names the time in the header, and rejects a bad one with exit 2', () => {
    let out = '';
    let err = '';
    expect(cli(['matrix', file, '--port', '5432', '--at', '6ms'], { out: (s) => (out += s), err: (s) => (err += s) })).toBe(0);
    expect(out.split('\n')[0]).toBe('reachability TCP/5432 via pod at 6ms (2 pods, 4 probes)');
    expect(cli(['matrix', file, '--at', '5'], { out: () => {}, err: (s) => (err += s) })).toBe(2);
    expect(err).toContain('--at: expected a duration with a unit');
  });
});
