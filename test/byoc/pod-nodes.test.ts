// A developer with rights in one namespace cannot list Nodes: `kubectl get pods,svc -n shop -o yaml`
// names the nodes only in its Pods (spec.nodeName, status.hostIP). Without Node objects or
// cluster.nodes, those are the cluster's nodes (one warning says so), instead of one error per Pod.
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const pod = (name: string, node: string, hostIP: string, podIP: string, extra = ''): string =>
  `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop, uid: u-${name}, resourceVersion: "7", labels: {app: ${name.split('-')[0]}}}
spec: {nodeName: ${node}, ${extra}containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]}
status: {phase: Running, hostIP: ${hostIP}, podIP: ${podIP}}
`;
const dump = [
  pod('web-1', 'gke-pool-a-1', '10.128.0.5', '10.8.1.7'),
  pod('web-2', 'gke-pool-a-2', '10.128.0.6', '10.8.2.9'),
  pod('api-1', 'gke-pool-a-1', '10.128.0.5', '10.8.1.12'),
  pod('agent-1', 'gke-pool-a-3', '10.128.0.7', '10.128.0.7', 'hostNetwork: true, '),
].join('---\n');

describe('nodes from printed Pods', () => {
  it('are the cluster when no Node object or cluster.nodes names any', () => {
    const r = loadScenarioText(dump, 'pods.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.cluster.nodes.map((n) => `${n.name} ${n.ip} ${n.podCIDR}`)).toEqual([
      'gke-pool-a-1 10.128.0.5 10.8.1.0/24',
      'gke-pool-a-2 10.128.0.6 10.8.2.0/24',
      // Only a hostNetwork pod there: its subnet is not known, so it gets the next free /24.
      expect.stringMatching(/^gke-pool-a-3 10\.128\.0\.7 10\.8\.\d+\.0\/24$/),
    ]);
    const w = r.scenario.warnings.map(formatProblem);
    expect(w).toContainEqual(
      'pods.yaml:4:18: doc 1.spec.nodeName: no Node objects: the nodes the printed Pods run on are assumed (gke-pool-a-1 10.128.0.5 10.8.1.0/24, gke-pool-a-2 10.128.0.6 10.8.2.0/24, gke-pool-a-3 10.128.0.7: spec.nodeName, status.hostIP, and the /24 holding their pod IPs as podCIDR), with no labels or taints. Add `nodes` to `kubectl get` (or cluster.nodes) for theirs',
    );
    expect(w.find((x) => x.includes('no Scenario document'))).toContain('(3 nodes (gke-pool-a-1, gke-pool-a-2, gke-pool-a-3),');
  });

  it('a scenario without cluster.nodes walks them', () => {
    const text = `apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: t}\ntraffic:\n  - {name: across, from: pod/shop/web-1, to: pod/shop/web-2, port: 8080, expect: {verdict: delivered, via: [gke-pool-a-1:flannel.1, gke-pool-a-2:cbr0]}}\n---\n${dump}`;
    const r = loadScenarioText(text, 's.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(simulate(r.scenario).flows[0]).toMatchObject({ verdict: 'delivered', deliveredTo: 'pod/shop/web-2', seenSource: '10.8.1.7' });
  });

  it('hand-written Pods (no uid) still run on the default cluster, and Node objects win', () => {
    const hand = 'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {nodeName: node2, containers: [{name: c, image: x}]}\n';
    const r = loadScenarioText(hand, 'h.yaml');
    expect(r.ok && r.scenario.cluster.nodes.map((n) => n.name)).toEqual(['node1', 'node2']);
    const withNode = `apiVersion: v1\nkind: Node\nmetadata: {name: gke-pool-a-1}\nspec: {podCIDR: 10.8.1.0/24}\nstatus: {addresses: [{type: InternalIP, address: 10.128.0.5}]}\n---\n${pod('web-1', 'gke-pool-a-1', '10.128.0.5', '10.8.1.7')}`;
    const n = loadScenarioText(withNode, 'n.yaml');
    expect(n.ok && n.scenario.cluster.nodes.map((x) => x.name)).toEqual(['gke-pool-a-1']);
    expect(n.ok && n.scenario.warnings.some((x) => x.message.includes('no Node objects'))).toBe(false);
  });
});
