// What `kubectl get all,sa,secret,cm,hpa,pdb,... -A -o yaml` prints besides the kinds
// podwalk models: built-in kinds that do not change how packets go, and custom
// resources, are ignored with one warning per kind; an unknown kind in a built-in API
// group (a typo) stays an error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';

const list = readFileSync(join(import.meta.dirname, 'kubectl-get-kubeadm.yaml'), 'utf8');

describe('kinds podwalk does not model', () => {
  it('are ignored, one warning per kind with its count', () => {
    const r = loadScenarioText(list, 'kubectl-get-kubeadm.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const ignored = r.scenario.warnings.map(formatProblem).filter((w) => / ignored: /.test(w)).map((w) => w.replace(/^kubectl-get-kubeadm\.yaml:\d+:\d+: doc 1\.items\[\d+\]\.kind: /, ''));
    expect(ignored).toEqual([
      '1 Job object (batch/v1) ignored: podwalk makes no pods for Jobs; the Pods printed with them run as printed',
      '2 ServiceAccount objects (v1) ignored: they do not change how packets go',
      '1 ConfigMap object (v1) ignored: they do not change how packets go',
      '1 Secret object (v1) ignored: they do not change how packets go',
      '1 HorizontalPodAutoscaler object (autoscaling/v2) ignored: replicas stay what the workloads print',
      '1 PodDisruptionBudget object (policy/v1) ignored: they do not change how packets go',
      "1 GlobalNetworkPolicy object (crd.projectcalico.org/v1) ignored: a custom resource, which podwalk does not read (if it changes the network, e.g. a CNI's own policy or a Gateway API route, the walk does not show it)",
    ]);
    expect(r.scenario.ignored.map((x) => x.kind)).toHaveLength(8);
  });

  const problems = (doc: string): string[] => {
    const r = loadScenarioText(doc, 'm.yaml');
    return r.ok ? [] : r.problems.map(formatProblem);
  };

  it('an unknown kind in a built-in group is an error, with a suggestion', () => {
    expect(problems('apiVersion: apps/v1\nkind: Deploymnt\nmetadata: {name: x}\n')).toEqual([
      expect.stringMatching(/^m\.yaml:2:7: doc 1\.kind: unknown kind Deploymnt in apiVersion apps\/v1 \(did you mean Deployment\?\); podwalk models Namespace, Pod, /),
    ]);
    expect(problems('apiVersion: v1\nkind: ServiceAcount\nmetadata: {name: x}\n')).toEqual([expect.stringMatching(/unknown kind ServiceAcount in apiVersion v1 \(did you mean ServiceAccount\?\)/)]);
  });

  it('a known kind in another group is an error', () => {
    expect(problems('apiVersion: apps/v1\nkind: Secret\nmetadata: {name: x}\n')).toEqual(['m.yaml:1:13: doc 1.apiVersion: expected apiVersion v1 for Secret, found apps/v1']);
    expect(problems('apiVersion: v1\nkind: CronJob\nmetadata: {name: x}\n')).toEqual(['m.yaml:1:13: doc 1.apiVersion: expected apiVersion batch/<version> for CronJob, found v1']);
  });
});
