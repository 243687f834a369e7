// Pods that have finished (status.phase Succeeded or Failed: a completed Job's pod, an
// evicted pod) as kubectl prints them: kubelet keeps no sandbox for them and the
// EndpointSlice controller leaves them out, so podwalk skips them (one warning).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';

const list = readFileSync(join(import.meta.dirname, 'kubectl-get-kubeadm.yaml'), 'utf8');

describe('finished pods in kubectl output', () => {
  it('are skipped: a running pod may have a completed pod’s old IP, an evicted replica is no replica', () => {
    const r = loadScenarioText(list, 'kubectl-get-kubeadm.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const s = r.scenario;
    expect(s.pods.filter((p) => p.namespace === 'default').map((p) => [p.name, p.ip])).toEqual([['web-7d9c6b5f4-q8r2t', '10.244.1.5']]);
    const warnings = s.warnings.map(formatProblem);
    expect(warnings.filter((w) => /finished/.test(w))).toEqual([
      expect.stringMatching(/^kubectl-get-kubeadm\.yaml:\d+:\d+: doc 1\.items\[\d+\]\.status\.phase: 2 printed pods have finished \(status\.phase Succeeded or Failed: completed Job pods, evicted pods; first default\/db-migrate-8kq2w\): skipped/),
    ]);
    expect(warnings.join('\n')).not.toMatch(/running pods are printed|replicas printed/);
  });

  it('traffic naming one is an error that says why', () => {
    const text = `${list}---\napiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: f}\ntraffic:\n  - {name: t, from: deployment/default/web, to: pod/default/db-migrate-8kq2w, port: 80}\n`;
    const r = loadScenarioText(text, 'kubectl-get-kubeadm.yaml');
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([expect.stringMatching(/traffic\[0\]\.to: pod default\/db-migrate-8kq2w has finished \(status\.phase Succeeded\): it has no network namespace any more$/)]);
  });

  it('an unknown phase is an error', () => {
    const r = loadScenarioText(list.replace('phase: Succeeded', 'phase: Completed'), 'kubectl-get-kubeadm.yaml');
    expect(!r.ok && r.problems.map(formatProblem)[0]).toMatch(/doc 1\.items\[6\]\.status\.phase: expected one of Pending, Running, Succeeded, Failed, Unknown, found Completed$/);
  });
});
