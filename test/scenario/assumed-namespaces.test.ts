import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';

// `kubectl get pods,svc -A -o yaml` without `ns` (reviewer hreview-user #3): the
// objects an API server printed prove their namespaces exist.
const item = (ns: string, i: number, printed: boolean) => `- apiVersion: v1
  kind: Pod
  metadata:
    name: p${i}
    namespace: ${ns}${printed ? `\n    uid: u-${ns}-${i}\n    resourceVersion: "${100 + i}"` : ''}
  spec:
    containers: [{name: c, image: x}]
  status: {phase: Running}
`;
const dump = (printed: boolean) => `apiVersion: v1
kind: List
items:
${[0, 1, 2, 3].map((i) => item('monitoring', i, printed)).join('')}${[4, 5, 6, 7].map((i) => item('ingress-nginx', i, printed)).join('')}`;

describe('namespaces an API server printed objects in', () => {
  it('are assumed with their automatic label, and one warning names them all', () => {
    const r = loadScenarioText(dump(true), 'dump.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.namespaces.filter((n) => ['monitoring', 'ingress-nginx'].includes(n.name)).map((n) => n.labels)).toEqual([
      { 'kubernetes.io/metadata.name': 'monitoring' },
      { 'kubernetes.io/metadata.name': 'ingress-nginx' },
    ]);
    const ns = r.scenario.warnings.map(formatProblem).filter((w) => /assumed/.test(w));
    expect(ns).toHaveLength(1);
    expect(ns[0]).toMatch(/dump\.yaml:\d+:\d+: .*namespaces monitoring, ingress-nginx assumed: 8 objects an API server printed .* add `ns` to `kubectl get`/i);
  });

  it('hand-written objects in an undeclared namespace: one error per namespace, with the count', () => {
    const r = loadScenarioText(dump(false), 'dump.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem)).toEqual([
      expect.stringMatching(/^dump\.yaml:8:16: .*namespace monitoring not found \(declare a Namespace\); 4 objects are in it, the first here$/),
      expect.stringMatching(/namespace ingress-nginx not found \(declare a Namespace\); 4 objects are in it/),
    ]);
  });
});
