import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const scenario = (steps: string) => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: d}
cluster: {nodes: [{name: node1}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
${steps}traffic:
  - {name: typo, from: pod/client, to: wbe, port: 80, at: 5s}
`;

function run(steps = '') {
  const r = loadScenarioText(scenario(steps), 'd.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return { warnings: r.scenario.warnings.map((w) => w.message), flow: simulate(r.scenario).flows[0]! };
}

describe("a DNS name no Service answers: the load-time warning says how CoreDNS's answers end the lookup, the run what did", () => {
  it('CoreDNS answers: NXDOMAIN for the search list, SERVFAIL for the bare name, as warned', () => {
    const { warnings, flow } = run();
    expect(warnings[0]).toContain('if CoreDNS answers, the lookup will fail with SERVFAIL at run time');
    expect(flow.dropReason).toBe('dns-unresolved');
    expect(flow.dropDetail).toContain('wbe (10.96.0.10: SERVFAIL ×2)');
  });

  it('kube-dns without endpoints: the same warning (load time cannot know), and the run names ECONNREFUSED', () => {
    const { warnings, flow } = run('steps:\n  - {at: 0s, scale: {deployment: kube-system/coredns, replicas: 0}}\n');
    expect(warnings[0]).toContain('if CoreDNS answers');
    expect(flow.dropDetail).toContain('ECONNREFUSED');
    expect(flow.dropDetail).not.toContain('SERVFAIL');
  });

  it('names CoreDNS answers without a Service are not warned about: a pod name in an existing namespace, a dashed endpoint address under a headless Service', () => {
    const r = loadScenarioText(
      `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: d}
cluster: {nodes: [{name: node1}]}
resources:
  - {apiVersion: v1, kind: Namespace, metadata: {name: team}}
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web, namespace: team, labels: {app: web}}, spec: {nodeName: node1, containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: hl, namespace: team}, spec: {clusterIP: None, selector: {app: web}, ports: [{port: 80}]}}
traffic:
  - {name: pod-name, from: pod/client, to: 10-244-1-3.team.pod.cluster.local, port: 80}
  - {name: dashed, from: pod/client, to: 10-244-1-3.hl.team, port: 80}
  - {name: no-such-namespace, from: pod/client, to: 10-244-1-3.nope.pod.cluster.local, port: 80}
`,
      'd.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.pods.find((p) => p.name === 'web')?.ip).toBe('10.244.1.3');
    expect(r.scenario.warnings.map((w) => w.message)).toEqual([expect.stringContaining('DNS name 10-244-1-3.nope.pod.cluster.local resolves to no Service')]);
    const flows = simulate(r.scenario).flows;
    expect(flows.map((f) => f.verdict)).toEqual(['delivered', 'delivered', 'dropped']);
  });
});
