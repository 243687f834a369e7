import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// Reviewer hfix-user #2: a node's netfilter stream used to be forked from its
// netns stream after the node's devices had drawn their MACs, so one more pod
// (one more host-side veth) on the client's node moved `-m statistic` and the
// random-fully NAT ports. A stream now depends only on the seed and its label.
const text = readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'service-clusterip.yaml'), 'utf8');

// Listed last, so it takes the next free address and shifts no other pod's IP.
const extraPod = (node: string) => `  - apiVersion: v1
    kind: Pod
    metadata: {name: zzz-unrelated, labels: {app: other}}
    spec:
      nodeName: ${node}
      containers: [{name: app, image: busybox}]
traffic:
`;

function outcome(yaml: string, seed: number) {
  const r = loadScenarioText(yaml, 'service-clusterip.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const res = simulate({ ...r.scenario, cluster: { ...r.scenario.cluster, seed } });
  return res.flows.map((f) => ({ flow: f.flow, deliveredTo: f.deliveredTo, nat: f.nat?.map((n) => `${n.type} ${n.before} -> ${n.after}`) }));
}

describe('randomness does not shift with unrelated objects', () => {
  for (const seed of [1, 5, 6]) {
    it(`seed ${seed}: an unrelated pod on the client's node or the other node keeps every flow's endpoint and NAT`, () => {
      const base = outcome(text, seed);
      expect(base.some((f) => f.nat?.some((n) => n.startsWith('MASQUERADE')))).toBe(true);
      for (const node of ['node1', 'node2']) expect(outcome(text.replace(/^traffic:\n/m, extraPod(node)), seed)).toEqual(base);
    });
  }

  it('different seeds still pick different endpoints (the streams are not constant)', () => {
    const picks = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => outcome(text, seed)[0]!.deliveredTo));
    expect(picks.size).toBe(2);
  });
});
