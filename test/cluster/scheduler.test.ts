// kube-scheduler's filters and scores as podwalk models them (cluster/scheduler):
// each case states what upstream's plugin does.
import { describe, expect, it } from 'vitest';
import { bind, schedule, schedulingContext } from '../../src/cluster/scheduler/schedule.js';
import { withDaemonTolerations } from '../../src/cluster/scheduler/taints.js';
import type { BoundPod, PlacementNode, PlacementPod, SchedulingPod } from '../../src/cluster/scheduler/types.js';

const node = (name: string, labels: Record<string, string> = {}, taints: PlacementNode['taints'] = [], unschedulable = false): PlacementNode => ({ name, labels: { 'kubernetes.io/hostname': name, ...labels }, taints, unschedulable });
const nodes = [node('a', { zone: 'z1', disk: 'ssd', cores: '8' }), node('b', { zone: 'z1', cores: '16' }), node('c', { zone: 'z2', disk: 'hdd', cores: '4' })];
const none: PlacementPod = { nodeSelector: {}, tolerations: [], requiredNodeTerms: [] };
const pod = (name: string, placement: Partial<PlacementPod> = {}, labels: Record<string, string> = { app: 'web' }): SchedulingPod => ({ namespace: 'ns', name, labels, terminating: false, placement: { ...none, ...placement } });
const on = (p: SchedulingPod, nodeName: string): BoundPod => ({ ...p, nodeName });
const web = { labelSelector: { matchLabels: { app: 'web' }, matchExpressions: [] }, namespaces: [] };

/** Schedule pods one after another, as podwalk's loader does; returns node names (or the Pending message). */
function run(pods: SchedulingPod[], ns = nodes, bound: BoundPod[] = []): string[] {
  const c = schedulingContext(ns, new Map([['ns', { team: 'a' }], ['other', { team: 'b' }]]));
  for (const b of bound) bind(c, b);
  return pods.map((p) => {
    const d = schedule(p, c);
    if ('pending' in d) return d.pending;
    bind(c, on(p, d.node));
    return d.node;
  });
}

describe('node affinity', () => {
  it('required terms are ORed, their expressions ANDed; Gt/Lt compare integers; matchFields match the node name', () => {
    const expr = (key: string, operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt', values: string[] = []) => ({ key, operator, values });
    // Four pods one after another: the round-robin among equal nodes visits every node a term admits.
    const only = (terms: PlacementPod['requiredNodeTerms']) => run(['p1', 'p2', 'p3', 'p4'].map((n) => pod(n, { requiredNodeTerms: terms })));
    expect(new Set(only([{ matchExpressions: [expr('disk', 'Exists'), expr('zone', 'In', ['z2'])], matchFields: [] }]))).toEqual(new Set(['c']));
    expect(new Set(only([{ matchExpressions: [expr('cores', 'Gt', ['8'])], matchFields: [] }]))).toEqual(new Set(['b']));
    expect(new Set(only([{ matchExpressions: [expr('cores', 'Lt', ['5'])], matchFields: [] }, { matchExpressions: [], matchFields: [expr('metadata.name', 'In', ['a'])] }]))).toEqual(new Set(['a', 'c']));
    expect(new Set(only([{ matchExpressions: [expr('disk', 'DoesNotExist')], matchFields: [] }]))).toEqual(new Set(['b']));
    // An empty term matches no node.
    expect(run([pod('p', { requiredNodeTerms: [{ matchExpressions: [], matchFields: [] }] })])[0]).toBe("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
  });

  it('preferred terms win by weight, whatever the round-robin would pick', () => {
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5']) {
      const p = pod(n, {
        preferredNodeTerms: [
          { weight: 10, term: { matchExpressions: [{ key: 'disk', operator: 'Exists', values: [] }], matchFields: [] } },
          { weight: 50, term: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }], matchFields: [] } },
        ],
      });
      expect(run([p])[0], n).toBe('a'); // a: 60, b: 50, c: 10
    }
  });
});

describe('taints and tolerations', () => {
  const tainted = [node('a', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]), node('b', {}, [{ key: 'spot', value: '', effect: 'PreferNoSchedule' }]), node('c', {}, [], true)];

  it('NoSchedule needs a toleration, PreferNoSchedule is avoided when another node fits, cordoned nodes take nothing', () => {
    expect(run([pod('x')], tainted)).toEqual(['b']);
    expect(run([pod('x', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] })], tainted)).toEqual(['a']);
    // Tolerating everything (Exists without key) also tolerates the cordon's taint.
    // (b's PreferNoSchedule taint is tolerated too, so the three nodes score alike: round-robin.)
    const anywhere = run(['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((n) => pod(n, { tolerations: [{ operator: 'Exists' }] })), tainted);
    expect(anywhere).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it("DaemonSet pods: the controller's tolerations, by effect; network-unavailable only for host-network pods", () => {
    const netDown = [node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', value: '', effect: 'NoSchedule' }])];
    const daemon = (hostNetwork: boolean) => pod('d', { tolerations: withDaemonTolerations([], hostNetwork), daemon: true });
    expect(run([daemon(false)], netDown)).toEqual(['0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/network-unavailable: }.']);
    expect(run([daemon(true)], netDown)).toEqual(['n']);
    // disk-pressure is tolerated as NoSchedule, not NoExecute; a cordoned node takes daemon pods (the unschedulable toleration).
    expect(run([daemon(false)], [node('n', {}, [{ key: 'node.kubernetes.io/disk-pressure', value: '', effect: 'NoSchedule' }])])).toEqual(['n']);
    expect(run([daemon(false)], [node('n', {}, [{ key: 'node.kubernetes.io/disk-pressure', value: '', effect: 'NoExecute' }])])[0]).toMatch(/untolerated taint/);
    expect(run([daemon(false)], [node('n', {}, [], true)])).toEqual(['n']);
    // A toleration the pod has with the same key, operator, value and effect is replaced (its tolerationSeconds go), not doubled.
    const own = withDaemonTolerations([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }], false);
    expect(own.filter((t) => t.key === 'node.kubernetes.io/unreachable')).toEqual([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
    expect(own).toHaveLength(6);
  });

  it('no node left: Pending, in the scheduler’s words, reasons sorted', () => {
    const full = [tainted[0]!, node('b', {}, [{ key: 'node-role.kubernetes.io/control-plane', value: '', effect: 'NoSchedule' }]), tainted[2]!];
    expect(run([pod('x')], full)).toEqual(['0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) were unschedulable.']);
  });
});

describe('inter-pod affinity', () => {
  it('required anti-affinity on the hostname: one replica per node, then Pending', () => {
    const anti = { podAntiAffinity: { required: [{ ...web, topologyKey: 'kubernetes.io/hostname' }], preferred: [] } };
    const got = run(['w0', 'w1', 'w2', 'w3'].map((n) => pod(n, anti)));
    expect(new Set(got.slice(0, 3))).toEqual(new Set(['a', 'b', 'c']));
    expect(got[3]).toBe("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.");
  });

  it('required anti-affinity on the zone: one per zone', () => {
    const anti = { podAntiAffinity: { required: [{ ...web, topologyKey: 'zone' }], preferred: [] } };
    const got = run(['w0', 'w1', 'w2'].map((n) => pod(n, anti)));
    expect(got[0] === 'c' || got[1] === 'c').toBe(true);
    expect(got[2]).toMatch(/^0\/3 nodes are available: 3 node\(s\) didn't match pod anti-affinity rules\.$/);
  });

  it('running pods’ anti-affinity keeps others out (symmetry)', () => {
    const guard = on(pod('guard', { podAntiAffinity: { required: [{ ...web, topologyKey: 'zone' }], preferred: [] } }, { app: 'guard' }), 'a');
    for (const n of ['p1', 'p2', 'p3']) expect(run([pod(n)], nodes, [guard])[0]).toBe('c');
  });

  it('required affinity: next to a matching pod; the first of a self-selecting group goes anywhere', () => {
    const cache = on(pod('cache', {}, { app: 'cache' }), 'b');
    const near = { podAffinity: { required: [{ labelSelector: { matchLabels: { app: 'cache' }, matchExpressions: [] }, namespaces: [], topologyKey: 'kubernetes.io/hostname' }], preferred: [] } };
    for (const n of ['p1', 'p2', 'p3']) expect(run([pod(n, near)], nodes, [cache])[0]).toBe('b');
    expect(run([pod('p', near)])[0]).toBe("0/3 nodes are available: 3 node(s) didn't match pod affinity rules.");
    const group = { podAffinity: { required: [{ ...web, topologyKey: 'zone' }], preferred: [] } };
    const got = run(['g0', 'g1', 'g2', 'g3'].map((n) => pod(n, group)));
    const zoneOf = (n: string) => nodes.find((x) => x.name === n)!.labels.zone;
    expect(new Set(got.map(zoneOf)).size).toBe(1);
  });

  it('several required terms: one running pod must match them all (podMatchesAllAffinityTerms), not one pod per term', () => {
    const sel = (app: string) => ({ labelSelector: { matchLabels: { app }, matchExpressions: [] }, namespaces: [], topologyKey: 'kubernetes.io/hostname' });
    const both = { podAffinity: { required: [sel('a'), { ...sel('b'), labelSelector: { matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'In' as const, values: ['x'] }] } }], preferred: [] } };
    // a and b each match one term only: neither counts; c matches neither of its own terms, so it is no first of a group.
    const apart = [on(pod('a', {}, { app: 'a' }), 'b'), on(pod('b', {}, { app: 'b', tier: 'x' }), 'b')];
    const split = { podAffinity: { required: [sel('a'), sel('b')], preferred: [] } };
    expect(run([pod('c', split, { app: 'c' })], nodes, apart)[0]).toBe("0/3 nodes are available: 3 node(s) didn't match pod affinity rules.");
    // One pod matching both terms: its node.
    const ab = [on(pod('ab', {}, { app: 'a', tier: 'x' }), 'c')];
    for (const n of ['p1', 'p2', 'p3']) expect(run([pod(n, both, { app: 'c' })], nodes, ab)[0]).toBe('c');
  });

  it('namespaces: the term’s own namespace by default, namespaceSelector for others', () => {
    const other = on({ ...pod('o', {}, { app: 'db' }), namespace: 'other' }, 'c');
    const term = (extra: object) => ({ podAffinity: { required: [{ labelSelector: { matchLabels: { app: 'db' }, matchExpressions: [] }, namespaces: [], topologyKey: 'kubernetes.io/hostname', ...extra }], preferred: [] } });
    expect(run([pod('p', term({}))], nodes, [other])[0]).toMatch(/didn't match pod affinity rules/);
    expect(run([pod('p', term({ namespaceSelector: { matchLabels: { team: 'b' }, matchExpressions: [] } }))], nodes, [other])[0]).toBe('c');
    expect(run([pod('p', term({ namespaces: ['other'] }))], nodes, [other])[0]).toBe('c');
  });

  it('preferred anti-affinity spreads replicas while nodes are free, then doubles up', () => {
    const soft = { podAntiAffinity: { required: [], preferred: [{ weight: 100, term: { ...web, topologyKey: 'kubernetes.io/hostname' } }] } };
    const got = run(['s0', 's1', 's2', 's3', 's4'].map((n) => pod(n, soft)));
    expect(new Set(got.slice(0, 3))).toEqual(new Set(['a', 'b', 'c']));
    expect(got.slice(3).every((n) => ['a', 'b', 'c'].includes(n))).toBe(true);
  });
});

describe('topology spread', () => {
  const spread = (whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway', topologyKey = 'zone', maxSkew = 1) => ({
    topologySpreadConstraints: [{ maxSkew, topologyKey, whenUnsatisfiable, labelSelector: web.labelSelector, matchLabelKeys: [], nodeAffinityPolicy: 'Honor' as const, nodeTaintsPolicy: 'Ignore' as const }],
  });

  it('DoNotSchedule maxSkew 1 over zones: the zones alternate', () => {
    const got = run(['t0', 't1', 't2', 't3'].map((n) => pod(n, spread('DoNotSchedule'))));
    const zones = got.map((n) => nodes.find((x) => x.name === n)!.labels.zone);
    expect([zones.filter((z) => z === 'z1').length, zones.filter((z) => z === 'z2').length]).toEqual([2, 2]);
  });

  it('a node without the topology key is refused (missing required label)', () => {
    const bare = [node('a', { zone: 'z1' }), { ...node('b'), labels: {} }];
    const got = run(['t0', 't1', 't2'].map((n) => pod(n, spread('DoNotSchedule'))), bare);
    expect(got).toEqual(['a', 'a', 'a']);
    expect(run([pod('x', spread('DoNotSchedule'))], [bare[1]!])[0]).toBe("0/1 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label).");
  });

  it('skew beyond maxSkew is refused; ScheduleAnyway only prefers', () => {
    const busy = ['x1', 'x2'].map((n) => on(pod(n), 'a'));
    // b is tainted, but nodeTaintsPolicy Ignore still counts it as a domain (with 0 pods): a would have skew 3.
    const two = [nodes[0]!, node('b', {}, [{ key: 'k', value: '', effect: 'NoSchedule' }])];
    expect(run([pod('t', spread('DoNotSchedule', 'kubernetes.io/hostname'))], two, busy)).toEqual(["0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) had untolerated taint {k: }."]);
    // Alone, a domain is its own minimum: skew 2 + 1 - 2 = 1.
    expect(run([pod('t', spread('DoNotSchedule', 'kubernetes.io/hostname'))], [nodes[0]!], busy)).toEqual(['a']);
    expect(run([pod('t', spread('ScheduleAnyway', 'kubernetes.io/hostname'))], two.slice(0, 1), busy)).toEqual(['a']);
    for (const n of ['t1', 't2', 't3']) expect(run([pod(n, spread('ScheduleAnyway', 'kubernetes.io/hostname'))], nodes, busy)[0]).not.toBe('a');
  });
});

describe('stability', () => {
  it('a pod without preferences or inter-pod rules lands where the round-robin says, whatever runs with a nodeName', () => {
    const alone = run([pod('p')])[0];
    const crowd = ['q1', 'q2', 'q3', 'q4'].map((n) => on(pod(n, {}, { app: 'other' }), 'a'));
    expect(run([pod('p')], nodes, crowd)[0]).toBe(alone);
  });
});

describe('ties', () => {
  it('equally scored nodes are taken round-robin in node order, as the scenario format places pods without a nodeName', () => {
    expect(run(['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => pod(n, {}, { app: n })))).toEqual(['a', 'b', 'c', 'a', 'b']);
    // A pod its rules send elsewhere moves the cursor past its node.
    const onlyC = { requiredNodeTerms: [{ matchExpressions: [], matchFields: [{ key: 'metadata.name', operator: 'In' as const, values: ['c'] }] }] };
    expect(run([pod('p1', {}, { app: '1' }), pod('p2', onlyC, { app: '2' }), pod('p3', {}, { app: '3' })])).toEqual(['a', 'c', 'a']);
  });
});
