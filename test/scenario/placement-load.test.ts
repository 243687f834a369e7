// Placement from manifests: affinity, anti-affinity and topology spread read and
// validated as the API server does, acted on by the scheduler model;
// round-robin where nothing decides; an unschedulable pod stays Pending with a warning.
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import type { Scenario } from '../../src/scenario/types.js';

const cluster = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: t}
cluster:
  nodes:
    - {name: n1, labels: {topology.kubernetes.io/zone: z1}}
    - {name: n2, labels: {topology.kubernetes.io/zone: z1}}
    - {name: n3, labels: {topology.kubernetes.io/zone: z2}}
    - {name: n4, labels: {topology.kubernetes.io/zone: z2}}
resources:
`;
const deployment = (name: string, replicas: number, spec: string): string => `  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: ${name}}
    spec:
      replicas: ${replicas}
      selector: {matchLabels: {app: ${name}}}
      template:
        metadata: {labels: {app: ${name}}}
        spec:
          containers: [{name: c, image: i}]
${spec.replace(/^/gm, '          ')}
`;
const antiSelf = (name: string, key = 'kubernetes.io/hostname') => `affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - {labelSelector: {matchLabels: {app: ${name}}}, topologyKey: ${key}}`;
const spreadZones = (name: string) => `topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: ${name}}}}`;

function load(text: string): Scenario {
  const r = loadScenarioText(text, 'p.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.scenario;
}
const nodesOf = (s: Scenario, app: string) => s.pods.filter((p) => p.labels.app === app).map((p) => p.nodeName);
const zone = (n: string) => (n === 'n1' || n === 'n2' ? 'z1' : 'z2');

describe('placement from manifests', () => {
  it('required anti-affinity puts one replica per node; the fifth stays Pending with the scheduler’s message', () => {
    const r = loadScenarioText(cluster + deployment('web', 5, antiSelf('web')), 'p.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(new Set(nodesOf(r.scenario, 'web'))).toEqual(new Set(['n1', 'n2', 'n3', 'n4']));
    expect(nodesOf(r.scenario, 'web')).toHaveLength(4);
    expect(r.scenario.warnings.map(formatProblem)).toContainEqual(expect.stringMatching(/^p\.yaml:\d+:\d+: resources\[0\]: pod default\/web-[a-z0-9]+-[a-z0-9]{5} stays Pending and is not run \(FailedScheduling: 0\/4 nodes are available: 4 node\(s\) didn't match pod anti-affinity rules\.\)$/));
    // Named in traffic, it is an error that says why.
    const pending = r.scenario.warnings.map((w) => /pod (default\/web-\S+) stays Pending/.exec(w.message)?.[1]).find(Boolean)!;
    const t = loadScenarioText(`${cluster}${deployment('web', 5, antiSelf('web'))}traffic:\n  - {name: t, from: pod/${pending}, to: 10.244.1.9, port: 80}\n`, 'p.yaml');
    expect(!t.ok && t.problems.map(formatProblem)).toEqual([expect.stringMatching(new RegExp(`^p\\.yaml:\\d+:\\d+: traffic\\[0\\]\\.from: pod ${pending} is Pending, not running: no node could take it \\(0/4 nodes are available: 4 node\\(s\\) didn't match pod anti-affinity rules\\.\\)$`))]);
  });

  it('topology spread over zones balances them, and the pods of another workload with a zone anti-affinity keep apart', () => {
    const s = load(cluster + deployment('api', 4, spreadZones('api')) + deployment('cache', 2, antiSelf('cache', 'topology.kubernetes.io/zone')));
    const zones = nodesOf(s, 'api').map(zone);
    expect(zones.filter((z) => z === 'z1')).toHaveLength(2);
    expect(new Set(nodesOf(s, 'cache').map(zone)).size).toBe(2);
  });

  it('pods placed round-robin in node order: the replicas spread evenly, and scaling the last workload moves no pod placed before it', () => {
    const text = (plain: number) => cluster + deployment('web', 2, antiSelf('web')) + deployment('api', 3, spreadZones('api')) + deployment('plain', plain, '');
    const where = (s: Scenario) => new Map(s.pods.map((p) => [p.name, `${p.nodeName} ${p.ip}`]));
    const base = where(load(text(3)));
    for (const plain of [1, 2, 5, 8]) {
      const s = load(text(plain));
      for (const [pod, place] of where(s)) if (base.has(pod) && !pod.startsWith('plain-')) expect(place, `${pod} with plain=${plain}`).toBe(base.get(pod));
      const perNode = new Map<string, number>();
      for (const n of nodesOf(s, 'plain')) perNode.set(n, (perNode.get(n) ?? 0) + 1);
      expect(Math.max(...perNode.values()) - (perNode.size < 4 ? 0 : Math.min(...perNode.values())), `plain=${plain}`).toBeLessThanOrEqual(1);
    }
  });

  it('Pods without a nodeName go round-robin in node order, as the scenario format says; a Pod with one moves no turn', () => {
    const pod = (name: string, node = '') => `  - {apiVersion: v1, kind: Pod, metadata: {name: ${name}}, spec: {${node ? `nodeName: ${node}, ` : ''}containers: [{name: c, image: i}]}}\n`;
    const s = load(cluster + pod('p1') + pod('pinned', 'n3') + pod('p2') + pod('p3') + pod('p4') + pod('p5') + deployment('web', 2, ''));
    const at = (name: string) => { const p = s.pods.find((x) => x.name === name)!; return `${p.nodeName} ${p.ip}`; };
    expect(['p1', 'p2', 'p3', 'p4', 'p5', 'pinned'].map(at)).toEqual(['n1 10.244.1.2', 'n2 10.244.2.2', 'n3 10.244.3.3', 'n4 10.244.4.2', 'n1 10.244.1.3', 'n3 10.244.3.2']);
    // The Deployment's replicas come after the Pods, in the same turn: one a node.
    expect(nodesOf(s, 'web')).toEqual(['n2', 'n3']);
  });

  it('preferred node affinity and PreferNoSchedule taints steer pods', () => {
    const tainted = cluster.replace('{name: n1, labels: {topology.kubernetes.io/zone: z1}}', '{name: n1, labels: {topology.kubernetes.io/zone: z1}, taints: [{key: spot, effect: PreferNoSchedule}]}');
    const prefer = `affinity:
  nodeAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - {weight: 80, preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [z1]}]}}`;
    const s = load(tainted + deployment('web', 6, prefer));
    expect(nodesOf(s, 'web').every((n) => n === 'n2')).toBe(true);
  });

  it('bad scheduling fields are file:line:col errors, as the API server rejects them', () => {
    const bad = `affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions: [{key: cores, operator: Gt, values: [many]}]
          matchFields: [{key: metadata.labels, operator: In, values: [x]}]
    preferredDuringSchedulingIgnoredDuringExecution:
      - {weight: 0, preference: {}}
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - {labelSelector: {matchLabels: {app: web}}, topologyKey: ""}
tolerations:
  - {operator: Exists, value: x}
  - {key: a, effect: NoSchedule, tolerationSeconds: 5}
topologySpreadConstraints:
  - {maxSkew: 0, topologyKey: zone, whenUnsatisfiable: Maybe}
  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, minDomains: 2}`;
    const r = loadScenarioText(cluster + deployment('web', 1, bad), 'p.yaml');
    const got = r.ok ? [] : r.problems.map(formatProblem);
    const spec = 'resources\\[0\\]\\.spec\\.template\\.spec';
    for (const m of [
      `affinity\\.nodeAffinity\\.requiredDuringSchedulingIgnoredDuringExecution\\.nodeSelectorTerms\\[0\\]\\.matchExpressions\\[0\\]\\.values: operator Gt takes exactly one integer value`,
      `nodeSelectorTerms\\[0\\]\\.matchFields\\[0\\]\\.key: expected metadata\\.name`,
      `preferredDuringSchedulingIgnoredDuringExecution\\[0\\]\\.weight: expected an integer between 1 and 100, found 0`,
      `podAntiAffinity\\.requiredDuringSchedulingIgnoredDuringExecution\\[0\\]\\.topologyKey: expected a non-empty topology key`,
      `tolerations\\[0\\]\\.value: value must be empty when operator is 'Exists'`,
      `tolerations\\[1\\]\\.tolerationSeconds: effect must be 'NoExecute'`,
      `topologySpreadConstraints\\[0\\]\\.maxSkew: expected an integer between 1 and 2147483647, found 0`,
      `topologySpreadConstraints\\[0\\]\\.whenUnsatisfiable: expected one of DoNotSchedule, ScheduleAnyway, found Maybe`,
      `topologySpreadConstraints\\[1\\]\\.minDomains: minDomains can only be set with whenUnsatisfiable: DoNotSchedule`,
    ]) {
      expect(got, m).toContainEqual(expect.stringMatching(new RegExp(`^p\\.yaml:\\d+:\\d+: ${spec}\\..*${m}`)));
    }
  });

  it("the kubelet admits a pod with spec.nodeName: an untolerated NoExecute taint or a failing nodeSelector rejects it (not run); a printed running one only warns", () => {
    const nodes = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: t}
resources:
  - {apiVersion: v1, kind: Node, metadata: {name: n1, labels: {disk: hdd}}, spec: {taints: [{key: maint, value: "yes", effect: NoExecute}, {key: soft, value: "", effect: NoSchedule}]}}
  - {apiVersion: v1, kind: Node, metadata: {name: n2, labels: {disk: hdd}}}
`;
    const pod = (name: string, node: string, extra = '', status = '') => `  - {apiVersion: v1, kind: Pod, metadata: {name: ${name}}, spec: {nodeName: ${node}, containers: [{name: c, image: i}]${extra}}${status}}\n`;
    const r = loadScenarioText(
      nodes +
        pod('tainted', 'n1') +
        pod('tolerant', 'n1', ', tolerations: [{key: maint, operator: Exists, effect: NoExecute}]') +
        pod('ssd', 'n2', ', nodeSelector: {disk: ssd}') +
        pod('printed', 'n2', ', nodeSelector: {disk: ssd}', ', status: {phase: Running, podIP: 10.244.2.9}'),
      'p.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    // NoSchedule is the scheduler's business: a pod bound by name ignores it (the kubelet looks at NoExecute only).
    expect(r.scenario.pods.filter((p) => !p.builtin).map((p) => p.name)).toEqual(['tolerant', 'printed']);
    const warnings = r.scenario.warnings.map(formatProblem);
    expect(warnings).toContainEqual(expect.stringMatching(/resources\[2\]\.spec\.nodeName: pod default\/tainted is rejected by the kubelet on node n1 \(status\.phase Failed, reason TaintToleration: Predicate TaintToleration failed: node\(s\) had taints that the pod didn't tolerate; the node's taint maint=yes:NoExecute/));
    expect(warnings).toContainEqual(expect.stringMatching(/pod default\/ssd is rejected by the kubelet on node n2 \(status\.phase Failed, reason NodeAffinity: Predicate NodeAffinity failed: node\(s\) didn't match Pod's node affinity\/selector\): not run$/));
    expect(warnings).toContainEqual(expect.stringMatching(/pod default\/printed was printed running on node n2, which a new pod like it would not pass .*: run as printed$/));
    const t = loadScenarioText(`${nodes}${pod('ssd', 'n2', ', nodeSelector: {disk: ssd}')}traffic:\n  - {name: t, from: pod/ssd, to: 10.244.1.9, port: 80}\n`, 'p.yaml');
    expect(!t.ok && t.problems.map(formatProblem)).toEqual([expect.stringMatching(/traffic\[0\]\.from: pod default\/ssd is rejected by the kubelet on node n2 .*, not running$/)]);
  });

  it('NodePorts: a host port taken on a node keeps a second pod off it (any host IP against 0.0.0.0); host-network pods hold their container ports', () => {
    const nodes = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: t}
resources:
  - {apiVersion: v1, kind: Node, metadata: {name: n1}, spec: {taints: [{key: dedicated, value: gpu, effect: NoSchedule}]}}
  - {apiVersion: v1, kind: Node, metadata: {name: n2}, spec: {unschedulable: true}}
  - {apiVersion: v1, kind: Node, metadata: {name: n3, labels: {disk: ssd}}}
`;
    const pod = (name: string, port: string, extra = '') => `  - {apiVersion: v1, kind: Pod, metadata: {name: ${name}}, spec: {nodeSelector: {disk: ssd}${extra}, containers: [{name: c, image: i, ports: [${port}]}]}}\n`;
    const r = loadScenarioText(
      nodes +
        pod('hp1', '{containerPort: 80, hostPort: 8080}') +
        pod('hp2', '{containerPort: 80, hostPort: 8080, hostIP: 192.168.56.13}') +
        pod('udp', '{containerPort: 80, hostPort: 8080, protocol: UDP}') +
        pod('other', '{containerPort: 80, hostPort: 8081}') +
        pod('hostnet', '{containerPort: 8081}', ', hostNetwork: true'),
      'p.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.pods.filter((p) => !p.builtin).map((p) => p.name)).toEqual(['hp1', 'udp', 'other']);
    const warnings = r.scenario.warnings.map(formatProblem);
    expect(warnings).toContainEqual(
      expect.stringMatching(/pod default\/hp2 stays Pending and is not run \(FailedScheduling: 0\/3 nodes are available: 1 node\(s\) didn't have free ports for the requested pod ports, 1 node\(s\) had untolerated taint \{dedicated: gpu\}, 1 node\(s\) were unschedulable\.\)$/),
    );
    expect(warnings).toContainEqual(expect.stringMatching(/pod default\/hostnet stays Pending .*1 node\(s\) didn't have free ports/));
    const bad = loadScenarioText(nodes + pod('x', '{containerPort: 80, hostPort: 81}', ', hostNetwork: true'), 'p.yaml');
    expect(!bad.ok && bad.problems.map(formatProblem)).toContainEqual(expect.stringMatching(/hostPort: must match containerPort \(80\) when hostNetwork is true, found 81$/));
  });
});
