// The service CIDR of a brought-in cluster: k3s (10.43.0.0/16), EKS (172.20.0.0/16),
// GKE (a /20) and kubeadm (10.96.0.0/12) clusters print their Services' cluster IPs;
// without cluster.serviceCIDR, podwalk infers the range from what was printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import type { Scenario } from '../../src/scenario/types.js';

const dir = import.meta.dirname;
const kubeadm = readFileSync(join(dir, 'kubectl-get-kubeadm.yaml'), 'utf8');
const kind = readFileSync(join(dir, 'kubectl-get-all.yaml'), 'utf8');
/** kubectl-get-kubeadm.yaml without its kube-apiserver pod (which names the range itself). */
const noApiServerPod = kubeadm.replace(/- apiVersion: v1\n {2}kind: Pod\n {2}metadata:\n {4}annotations:\n {6}kubeadm\.kubernetes\.io[\s\S]*?(?=- apiVersion: apps\/v1\n {2}kind: Deployment)/, '');

function load(text: string, file = 'cluster.yaml'): Scenario {
  const r = loadScenarioText(text, file);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.scenario;
}
/** The cluster's Services moved to another range (10.96.x.y -> prefix.x.y). */
const moved = (text: string, prefix: string) => text.replaceAll('10.96.', `${prefix}.`);
const kubeDns = (s: Scenario) => s.services.find((x) => x.namespace === 'kube-system' && x.name === 'kube-dns')!.clusterIP;

describe('service CIDR inferred from printed objects', () => {
  it('kubeadm: the default 10.96.0.0/12 (nothing to infer)', () => {
    expect(noApiServerPod).not.toContain('kube-apiserver-cp-1');
    expect(load(noApiServerPod).cluster.serviceCIDR).toBe('10.96.0.0/12');
    expect(load(kind).cluster.serviceCIDR).toBe('10.96.0.0/12');
  });

  it('k3s and EKS: the /16 starting below the kubernetes Service address; kube-dns at its 10th address', () => {
    const k3s = load(moved(kind, '10.43'));
    expect(k3s.cluster.serviceCIDR).toBe('10.43.0.0/16');
    expect(kubeDns(k3s)).toBe('10.43.0.10');
    const eks = load(moved(noApiServerPod, '172.20'));
    expect(eks.cluster.serviceCIDR).toBe('172.20.0.0/16');
    // EKS' other default, inside kubeadm's 10.96.0.0/12 but not at its first address.
    expect(load(moved(noApiServerPod, '10.100')).cluster.serviceCIDR).toBe('10.100.0.0/16');
  });

  it('GKE: a /20 that is no /16', () => {
    const text = noApiServerPod.replaceAll('10.96.0.1', '34.118.224.1');
    expect(load(text).cluster.serviceCIDR).toBe('34.118.224.0/20');
  });

  it('a printed kube-apiserver names the range (--service-cluster-ip-range)', () => {
    const text = kubeadm.replace('--service-cluster-ip-range=10.96.0.0/12', '--service-cluster-ip-range=10.96.0.0/16');
    expect(load(text).cluster.serviceCIDR).toBe('10.96.0.0/16');
  });

  it('without the kubernetes Service, the smallest /16 or larger that holds the printed addresses', () => {
    const svc = '- apiVersion: v1\n  kind: Service\n  metadata:\n    name: web\n    namespace: default\n    uid: 1f2e3d4c-0000-4000-8000-00000000d001\n  spec:\n    clusterIP: 10.43.7.9\n    ports:\n    - port: 80\n      protocol: TCP\n      targetPort: 80\n    selector:\n      app: web\n    type: ClusterIP\n';
    const text = noApiServerPod.replace(/- apiVersion: v1\n {2}kind: Service\n[\s\S]*?(?=- addressType)/, svc).replace(/- addressType[\s\S]*?(?=kind: List)/, '');
    expect(text).not.toContain('name: kubernetes\n');
    expect(load(text).cluster.serviceCIDR).toBe('10.43.0.0/16');
  });

  it('cluster.serviceCIDR wins; a Service outside it names the field to set', () => {
    const text = `${moved(kind, '10.43')}---\napiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: s}\ncluster: {serviceCIDR: 10.96.0.0/12}\n`;
    const r = loadScenarioText(text, 'cluster.yaml');
    expect(!r.ok && r.problems.map(formatProblem)[0]).toMatch(/spec\.clusterIP: clusterIP 10\.43\.0\.1 is not inside serviceCIDR 10\.96\.0\.0\/12 \(set cluster\.serviceCIDR to the cluster's service range, kube-apiserver's --service-cluster-ip-range\)$/);
  });

  it('a hand-written Service (no metadata.uid) does not widen the range', () => {
    const text = 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.43.0.5, ports: [{port: 80}]}\n';
    const r = loadScenarioText(text, 'svc.yaml');
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([expect.stringMatching(/clusterIP 10\.43\.0\.5 is not inside serviceCIDR 10\.96\.0\.0\/12/)]);
  });
});
