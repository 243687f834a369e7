// The API server in a brought-in cluster: pods reach it through default/kubernetes
// whatever kubectl printed of it. kube-apiserver (a hostNetwork static pod) listens on
// its --secure-port on each control-plane node, and its endpoint reconciler writes the
// kubernetes Service's endpoints itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import type { Scenario } from '../../src/scenario/types.js';

const dir = import.meta.dirname;
const kubeadm = readFileSync(join(dir, 'kubectl-get-kubeadm.yaml'), 'utf8');
const kind = readFileSync(join(dir, 'kubectl-get-all.yaml'), 'utf8');

function load(text: string, file: string): Scenario {
  const r = loadScenarioText(text, file);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.scenario;
}

/** The List, then a Scenario document sending from `from` to the kubernetes Service's https port. */
const withTraffic = (list: string, from: string): string =>
  `${list}---\napiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: api}\ntraffic:\n  - {name: in-cluster-config, from: ${from}, to: service/default/kubernetes, port: 443}\n`;

function walk(text: string, file: string) {
  const s = load(text, file);
  const flow = simulate(s).flows[0]!;
  return { s, flow };
}

describe('default/kubernetes in a brought-in cluster', () => {
  it('printed Service, EndpointSlice and kube-apiserver static pod (no ports declared): the pod reaches the API server on 6443', () => {
    const { s, flow } = walk(withTraffic(kubeadm, 'deployment/default/web'), 'kubectl-get-kubeadm.yaml');
    expect(flow.verdict).toBe('delivered');
    expect(flow.deliveredTo).toBe('node/cp-1');
    const apiserver = s.pods.find((p) => p.name === 'kube-apiserver-cp-1')!;
    // The printed pod (not a built-in one) listens on its --secure-port.
    expect([apiserver.builtin, apiserver.ip, apiserver.ports]).toEqual([false, '10.0.0.10', [{ containerPort: 6443, protocol: 'TCP' }]]);
    expect(s.endpointSlices.filter((x) => x.serviceName === 'kubernetes').map((x) => [x.endpoints.map((e) => e.ip), x.ports.map((p) => p.port)])).toEqual([[['10.0.0.10'], [6443]]]);
    // The printed slice says what the API server advertises: no warning about it.
    expect(s.warnings.map(formatProblem).join('\n')).not.toMatch(/default\/kubernetes replaced/);
  });

  it('printed Service alone (kubectl get svc, no endpointslices, no pods): the API server still keeps its endpoints', () => {
    const { s, flow } = walk(withTraffic(kind, 'deployment/shop/frontend'), 'kubectl-get-all.yaml');
    expect([flow.verdict, flow.deliveredTo]).toEqual(['delivered', 'node/kind-control-plane']);
    expect(s.services.find((x) => x.name === 'kubernetes')).toMatchObject({ clusterIP: '10.96.0.1', builtin: false });
  });

  it('a printed --secure-port moves the listener and the endpoints', () => {
    const text = kubeadm.replace('- --secure-port=6443', '- --secure-port=8443');
    const { s, flow } = walk(withTraffic(text, 'deployment/default/web'), 'kubectl-get-kubeadm.yaml');
    expect(flow.verdict).toBe('delivered');
    expect(s.endpointSlices.find((x) => x.serviceName === 'kubernetes')!.ports.map((p) => p.port)).toEqual([8443]);
    expect(s.warnings.map(formatProblem).join('\n')).toMatch(/EndpointSlice default\/kubernetes replaced: kube-apiserver keeps the kubernetes Service's endpoints itself; here it listens at 10\.0\.0\.10:8443 \(printed: 10\.0\.0\.10:6443\)/);
  });

  it('endpoints printed elsewhere (a managed control plane outside the nodes) give way with a warning', () => {
    const text = kubeadm.replace('  - addresses:\n    - 10.0.0.10\n    conditions:', '  - addresses:\n    - 172.31.5.9\n    conditions:');
    const { s, flow } = walk(withTraffic(text, 'deployment/default/web'), 'kubectl-get-kubeadm.yaml');
    expect([flow.verdict, flow.deliveredTo]).toEqual(['delivered', 'node/cp-1']);
    expect(s.warnings.map(formatProblem).join('\n')).toMatch(/kubectl-get-kubeadm\.yaml:\d+:\d+: .*EndpointSlice default\/kubernetes replaced: .* at 10\.0\.0\.10:6443 \(printed: 172\.31\.5\.9:6443\)/);
  });

  it('cluster.kubernetesService: false takes the printed objects as they are (no API server runs)', () => {
    const text = withTraffic(kubeadm, 'deployment/default/web').replace('metadata: {name: api}\n', 'metadata: {name: api}\ncluster: {kubernetesService: false}\n');
    const { flow } = walk(text, 'kubectl-get-kubeadm.yaml');
    // The printed pod still runs kube-apiserver: it listens.
    expect(flow.verdict).toBe('delivered');
    const noPod = text.replace('      - kube-apiserver\n', '      - sleep\n');
    expect(walk(noPod, 'kubectl-get-kubeadm.yaml').flow).toMatchObject({ verdict: 'dropped', dropReason: 'tcp-reset' });
  });
});
