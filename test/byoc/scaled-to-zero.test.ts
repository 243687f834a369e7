// A Deployment printed at replicas: 0 has no pods, but its ReplicaSet keeps the pod template:
// a scale step makes pods from it as the ReplicaSet controller would.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podTemplateHash } from '../../src/cluster/control-plane/generated-names.js';
import { formatProblem, loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { checkExpectations } from '../../src/scenario/run/expect.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { cidrContains, parseCidr, parseIpv4 } from '../../src/wire/addr.js';

const file = join(import.meta.dirname, '../../scenarios/byo-deployment-scaled-to-zero.yaml');

function created(events: ReturnType<typeof simulate>['events']): { name: string; node: string; ip: string }[] {
  return events.flatMap((e) => {
    const m = e.kind === 'change' && e.change === 'pod-created' ? /^pod default\/(\S+) on (\S+), IP (\S+)/.exec(e.detail) : null;
    return m ? [{ name: m[1]!, node: m[2]!, ip: m[3]! }] : [];
  });
}

describe('a Deployment printed at replicas: 0, scaled up by a step', () => {
  it('keeps its template (named and labelled after the current printed ReplicaSet) and runs no pod at first', () => {
    const r = loadScenarioFile(file);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.pods.filter((p) => p.owner?.name === 'api')).toEqual([]);
    const t = r.scenario.podTemplates ?? [];
    expect(t.map((p) => [p.name.replace(/-[a-z0-9]{5}$/, '-*'), p.labels, p.owner?.kind, p.ports])).toEqual([['api-6d9c7b5f4d-*', { app: 'api', 'pod-template-hash': '6d9c7b5f4d' }, 'Deployment', [{ containerPort: 8080, protocol: 'TCP', name: 'http' }]]]);
  });

  it('the scale step makes <deployment>-<pod-template-hash>-<5 chars> pods, scheduled and addressed from their node podCIDR, and the Service answers', () => {
    const r = loadScenarioFile(file);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const res = simulate(r.scenario);
    expect(checkExpectations(res.flows)).toEqual([]);
    const pods = created(res.events);
    expect(pods).toHaveLength(2);
    expect(new Set(pods.map((p) => p.node))).toEqual(new Set(['node1', 'node2']));
    for (const p of pods) {
      expect(p.name).toMatch(/^api-6d9c7b5f4d-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      const cidr = r.scenario.cluster.nodes.find((n) => n.name === p.node)!.podCIDR;
      expect(cidrContains(parseCidr(cidr)!, parseIpv4(p.ip)!)).toBe(true);
    }
  });

  it('without a printed ReplicaSet the pods carry the hash podwalk gives the Deployment, as at any replica count', () => {
    const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: zero}
cluster: {network: flannel-vxlan, nodes: [{name: node1}, {name: node2}]}
resources:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: default}
    spec:
      replicas: 0
      selector: {matchLabels: {app: web}}
      template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}}
steps:
  - {at: 1s, scale: {deployment: web, replicas: 1}}
`;
    const r = loadScenarioText(yaml, 'zero.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const hash = podTemplateHash('default/web');
    expect(r.scenario.podTemplates?.map((p) => p.labels)).toEqual([{ app: 'web', 'pod-template-hash': hash }]);
    expect(created(simulate(r.scenario).events).map((p) => p.name)).toEqual([expect.stringMatching(new RegExp(`^web-${hash}-[a-z0-9]{5}$`))]);
  });

  it('a scale step naming a Deployment that is neither running nor at replicas: 0 is still an error', () => {
    const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: none}
cluster: {network: flannel-vxlan, nodes: [{name: node1}]}
steps:
  - {at: 1s, scale: {deployment: web, replicas: 1}}
`;
    const r = loadScenarioText(yaml, 'none.yaml');
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([expect.stringMatching(/^none\.yaml:\d+:\d+: steps\[0\]\.scale\.deployment: no Deployment default\/web with pods or at replicas: 0$/)]);
  });
});
