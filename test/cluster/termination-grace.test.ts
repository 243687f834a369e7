import { describe, expect, it } from 'vitest';
import { terminationTimes } from '../../src/cluster/live/control-loop.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

describe("kubelet's killContainer: the preStop hook within the grace period, then SIGTERM", () => {
  it('a hook shorter than the grace period runs whole; SIGKILL after what is left in whole seconds', () => {
    expect(terminationTimes(30, 5.5e9)).toMatchObject({ sigtermNs: 5.5e9, describe: 'SIGTERM after a 5.5 s preStop; SIGKILL 25 s later if still running' });
    expect(terminationTimes(30, 0)).toMatchObject({ sigtermNs: 0, describe: 'SIGTERM; SIGKILL 30 s later if still running' });
  });

  it('a longer hook is cut off at the grace period; SIGKILL at least 2 s after SIGTERM', () => {
    expect(terminationTimes(10, 60e9)).toMatchObject({ sigtermNs: 10e9, describe: 'SIGTERM after the 60 s preStop, cut off at the 10 s grace period; SIGKILL 2 s later if still running' });
    expect(terminationTimes(30, 30e9).sigtermNs).toBe(30e9);
  });

  it('a grace period of 0: no hook at all', () => {
    expect(terminationTimes(0, 5e9).sigtermNs).toBe(0);
  });

  it("a Deployment's template carries the field to its pods and their replacements (default 30 s)", () => {
    const yaml = (grace: string) => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: g}
cluster: {nodes: [{name: node1}]}
resources:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 1
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {${grace}containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
steps:
  - {at: 1s, rollout: {deployment: default/web, preStop: 40s}}
`;
    const exits = (grace: string): number[] => {
      const r = loadScenarioText(yaml(grace));
      if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
      return simulate(r.scenario).events.flatMap((e) => (e.kind === 'change' && e.detail.includes('containers exited') ? [e.t / 1e9] : []));
    };
    // The old pod goes once its replacement is Ready (2 s), then 40 s of preStop: cut off at 30 s by default.
    expect(exits('')).toEqual([32]);
    expect(exits('terminationGracePeriodSeconds: 60, ')).toEqual([42]);
  });
});
