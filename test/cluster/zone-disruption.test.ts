import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { zoneQps, zoneState } from '../../src/cluster/live/zone-disruption.js';

// pkg/controller/nodelifecycle: ComputeZoneState, setLimiterInZone, the NoExecute tainter's rate (0.1 node/s, burst 1).
describe('node lifecycle controller: zone states and the eviction rate', () => {
  it('ComputeZoneState and the rate of each state', () => {
    expect(zoneState(2, 3)).toBe('partial-disruption');
    expect(zoneState(3, 2)).toBe('normal');
    expect(zoneState(1, 2)).toBe('normal'); // 2 NotReady are never a partial disruption
    expect(zoneState(0, 2)).toBe('full-disruption');
    expect(zoneQps('partial-disruption', 50)).toBe(0);
    expect(zoneQps('partial-disruption', 51)).toBe(0.01);
    expect(zoneQps('full-disruption', 5)).toBe(0.1);
    expect(zoneQps('normal', 5)).toBe(0.1);
  });

  const scenario = (nodes: string[], down: string[]) => `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: zone}
cluster:
  nodes: [${nodes.map((n) => `{name: ${n}}`).join(', ')}]
resources:
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent}
    spec:
      selector: {matchLabels: {app: agent}}
      template:
        metadata: {labels: {app: agent}}
        spec: {containers: [{name: a, image: a}]}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: ${nodes.length * 2}
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}
steps:
${down.map((n) => `  - {at: 1s, node: {name: ${n}, state: down}}`).join('\n')}
traffic:
  - {name: t, from: node/${nodes[0]}, to: node/${nodes[nodes.length - 1]}, protocol: ICMP, at: 400s}
`;
  const run = (nodes: string[], down: string[]) => {
    const r = loadScenarioText(scenario(nodes, down), 'zone.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    return simulate(r.scenario);
  };
  const evictions = (res: ReturnType<typeof run>) => res.events.flatMap((e) => (e.kind === 'change' && e.detail.includes('evicted by the taint eviction controller') ? [e.t / 1e9] : []));
  const taints = (res: ReturnType<typeof run>) => res.events.flatMap((e) => (e.kind === 'change' && /tainted node\.kubernetes\.io\/unreachable:NoExecute/.test(e.detail) ? [[e.t / 1e9, e.detail.split(' ')[1]]] : []));

  it('3 of 5 nodes NotReady: the zone is partially disrupted, a small cluster taints nothing, no pod is evicted', () => {
    const res = run(['cp', 'n1', 'n2', 'n3', 'n4'], ['n1', 'n2', 'n3']);
    expect(taints(res)).toEqual([]);
    expect(evictions(res)).toEqual([]);
    expect(res.events.some((e) => e.kind === 'change' && /partially disrupted \(3 of 5 nodes NotReady\).*evictions stopped/.test(e.detail))).toBe(true);
  });

  it('the control-plane node down: the others NotReady from its view, 3 of 4: no eviction, no replacement on the cut-off nodes', () => {
    const res = run(['cp', 'n1', 'n2', 'n3'], ['cp']);
    expect(evictions(res)).toEqual([]);
    expect(res.events.some((e) => e.kind === 'change' && e.change === 'pod-created')).toBe(false);
  });

  it('2 of 5 NotReady: a healthy zone taints one node per 10 s, so the second node`s pods go 10 s after the first`s', () => {
    const res = run(['cp', 'n1', 'n2', 'n3', 'n4'], ['n1', 'n2']);
    expect(taints(res)).toEqual([
      [51, 'n1'],
      [61, 'n2'],
    ]);
    const ev = evictions(res);
    expect(ev.length).toBeGreaterThan(2);
    expect(new Set(ev)).toEqual(new Set([351, 361]));
  });
});
