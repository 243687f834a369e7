import { describe, expect, it } from 'vitest';
import { resolveFenceposts } from '../../src/cluster/live/rollout-fenceposts.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// deployment/util ResolveFenceposts, and validation that refuses only both fields written as 0.
describe('rollout maxSurge / maxUnavailable (ResolveFenceposts)', () => {
  it('resolves against the replicas: surge up, unavailable down, 0/0 -> unavailable 1', () => {
    expect(resolveFenceposts({ percent: 25 }, { percent: 25 }, 8)).toEqual({ maxSurge: 2, maxUnavailable: 2 });
    expect(resolveFenceposts({ percent: 25 }, { percent: 25 }, 3)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(resolveFenceposts({ count: 0 }, { percent: 25 }, 3)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(resolveFenceposts({ percent: 10 }, { percent: 10 }, 1)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  const scenario = (replicas: number, steps: string): string => `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: roll}
cluster:
  nodes: [{name: node1}, {name: node2}]
resources:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: ${replicas}
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}
steps:
${steps}
`;
  const run = (text: string) => {
    const r = loadScenarioText(text, 'roll.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    return simulate(r.scenario);
  };
  const changes = (res: ReturnType<typeof run>, at: number) => res.events.flatMap((e) => (e.kind === 'change' && e.t === at ? [`${e.change} ${e.detail}`] : []));

  it('maxSurge: 0 on 3 replicas loads and rolls one for one, the old pod first', () => {
    const res = run(scenario(3, '  - {at: 1s, rollout: {deployment: default/web, maxSurge: 0}}'));
    const at1 = changes(res, 1e9).filter((c) => /rollout|pod-terminating .*deletionTimestamp|pod-created/.test(c));
    expect(at1[0]).toMatch(/maxSurge 0, maxUnavailable 1: 0 \/ 25% of 3 replicas/);
    expect(at1[1]).toMatch(/^pod-terminating/);
    expect(at1[2]).toMatch(/^pod-created/);
    expect(at1).toHaveLength(3);
  });

  it('resolves against the replicas a scale step left: 0 -> 4 then the defaults load and roll; 2 -> 8 surges 2', () => {
    const four = run(scenario(0, '  - {at: 1s, scale: {deployment: default/web, replicas: 4}}\n  - {at: 5s, rollout: {deployment: default/web}}'));
    expect(changes(four, 5e9).find((c) => c.startsWith('rollout'))).toMatch(/maxSurge 1, maxUnavailable 1: 25% \/ 25% of 4 replicas/);
    const eight = run(scenario(2, '  - {at: 1s, scale: {deployment: default/web, replicas: 8}}\n  - {at: 5s, rollout: {deployment: default/web}}'));
    const at5 = changes(eight, 5e9);
    expect(at5.find((c) => c.startsWith('rollout'))).toMatch(/maxSurge 2, maxUnavailable 2/);
    expect(at5.filter((c) => /^pod-terminating .*deletionTimestamp/.test(c))).toHaveLength(2);
  });

  it('refuses both written as 0 (or 0%), as the API server does', () => {
    for (const pair of ['maxSurge: 0, maxUnavailable: 0', "maxSurge: '0%', maxUnavailable: 0"]) {
      const r = loadScenarioText(scenario(3, `  - {at: 1s, rollout: {deployment: default/web, ${pair}}}`), 'roll.yaml');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(formatProblem(r.problems[0]!)).toMatch(/steps\[0\]\.rollout: maxSurge and maxUnavailable cannot both be 0/);
    }
  });
});
