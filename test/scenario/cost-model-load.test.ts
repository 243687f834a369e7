import { describe, expect, it } from 'vitest';
import { DEFAULT_COST_MODEL } from '../../src/kernel/cost-model.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const doc = (costModel: string) => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: t}
cluster:
  network: flannel-vxlan
  dns: false
${costModel ? `  costModel: ${costModel}\n` : ''}  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
traffic:
  - {name: f, from: pod/a, to: pod/b, protocol: UDP, port: 53, payload: 100}
`;

describe('cluster.costModel', () => {
  it('is on by default (absent or true: the defaults), off with false; a mapping overrides stages', () => {
    const off = loadScenarioText(doc('false'));
    const on = loadScenarioText(doc('true'));
    const absent = loadScenarioText(doc(''));
    if (!absent.ok) throw new Error('load');
    expect(absent.scenario.cluster.costModel).toEqual(DEFAULT_COST_MODEL);
    const tuned = loadScenarioText(doc('{veth: {packetNs: 1000}, netfilterRuleNs: 0}'));
    if (!off.ok || !on.ok || !tuned.ok) throw new Error('load');
    expect(off.scenario.cluster.costModel).toBeUndefined();
    expect(on.scenario.cluster.costModel).toEqual(DEFAULT_COST_MODEL);
    expect(tuned.scenario.cluster.costModel).toEqual({ ...DEFAULT_COST_MODEL, veth: { packetNs: 1000, byteNs: 0 }, netfilterRuleNs: 0 });
  });

  it('with it, the same walk takes longer in simulated time (and is delivered all the same)', () => {
    const deliveredAt = (text: string): number => {
      const r = loadScenarioText(text);
      if (!r.ok) throw new Error('load');
      const run = simulate(r.scenario, { detailed: false });
      expect(run.flows[0]!.verdict).toBe('delivered');
      return run.events.find((e) => e.kind === 'deliver' && e.at.startsWith('default/b'))!.t;
    };
    expect(deliveredAt(doc('true'))).toBeGreaterThan(deliveredAt(doc('false')));
    expect(deliveredAt(doc(''))).toBe(deliveredAt(doc('true')));
  });

  it('bad input points at the field', () => {
    const r = loadScenarioText(doc('{vethh: {packetNs: 1}, veth: {packetNs: -1}}'), 's.yaml');
    expect(r.ok).toBe(false);
    const msgs = r.ok ? [] : r.problems.map(formatProblem);
    expect(msgs.some((m) => m.includes('cluster.costModel.vethh') && m.includes('did you mean veth'))).toBe(true);
    expect(msgs.some((m) => m.includes('cluster.costModel.veth.packetNs') && m.includes('non-negative'))).toBe(true);
  });
});
