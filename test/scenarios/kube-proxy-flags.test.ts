import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

/** A two-node VXLAN cluster with one Service (web on node2) and the given `cluster.kubeProxy` (and `cluster.flannel`) block. */
function run(kubeProxy: string, flannel = '{}') {
  const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: kp}
cluster:
  network: flannel-vxlan
  kubeProxy: ${kubeProxy}
  flannel: ${flannel}
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}}
traffic:
  - {name: node-to-svc, from: node/node1, to: service/web, port: 80}
  - {name: pod-to-svc, from: pod/client, to: service/web, port: 80, at: 1ms}
`;
  const r = loadScenarioText(yaml, 'kp.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return simulate(r.scenario);
}

const masquerade = (res: ReturnType<typeof run>, flow: string) => res.flows.find((f) => f.flow === flow)!.nat?.find((e) => e.first && e.type === 'MASQUERADE');
const port = (hostPort: string): string => hostPort.split(' ')[0]!.split(':')[1]!;

describe('cluster.kubeProxy: KubeProxyConfiguration settings', () => {
  it('randomFully (default true): the masqueraded source port is random; false keeps the client port', () => {
    const on = masquerade(run('{}'), 'node-to-svc');
    const off = masquerade(run('{randomFully: false}'), 'node-to-svc');
    expect(port(on!.after)).not.toBe(port(on!.before));
    expect(port(off!.after)).toBe(port(off!.before));
  });

  it('masqueradeAll marks pod -> ClusterIP too; clusterCIDR "" leaves node -> ClusterIP unmasqueraded', () => {
    expect(masquerade(run('{}'), 'pod-to-svc')).toBeUndefined();
    expect(masquerade(run('{masqueradeAll: true}'), 'pod-to-svc')).toBeDefined();
    // kube-proxy leaves it alone; flannel's --ip-masq (kube-flannel.yml) then masquerades the node's address leaving by flannel.1.
    expect(masquerade(run(`{clusterCIDR: ''}`, '{ipMasq: false}'), 'node-to-svc')).toBeUndefined();
    const flannel = run(`{clusterCIDR: ''}`);
    expect(masquerade(flannel, 'node-to-svc')!.after.split(':')[0]).toBe('10.244.1.0');
    expect(flannel.flows.find((f) => f.flow === 'node-to-svc')!.rules?.some((r) => r.includes('FLANNEL-POSTRTG') && r.includes('MASQUERADE'))).toBe(true);
  });

  it('detectLocalMode NodeCIDR: the node podCIDR decides "local", so a pod is not masqueraded, the node is', () => {
    const res = run('{detectLocalMode: NodeCIDR}');
    const rules = res.cluster.proxies.get('node1')!.restored;
    expect(rules).toContain('! -s 10.244.1.0/24 -j KUBE-MARK-MASQ');
    expect(masquerade(res, 'pod-to-svc')).toBeUndefined();
    expect(masquerade(res, 'node-to-svc')).toBeDefined();
  });

  it('nodePortAddresses: one KUBE-NODEPORTS jump per selected node address; loopback only if selected', () => {
    const all = run('{}').cluster.proxies.get('node1')!.restored;
    expect(all).toContain('-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
    const primary = run('{nodePortAddresses: [primary]}').cluster.proxies.get('node1')!.restored;
    expect(primary).toContain('"kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.56.11 -j KUBE-NODEPORTS');
    expect(primary).not.toContain('--dst-type LOCAL -j KUBE-NODEPORTS');
    // 127.0.0.1 is not selected: localhost NodePorts (and their KUBE-FIREWALL guard) are off, as upstream's NewProxier decides.
    expect(primary).not.toContain('127.0.0.0/8');
    const lo = run('{nodePortAddresses: [127.0.0.0/8, 192.168.56.0/24]}').cluster.proxies.get('node1')!.restored;
    expect(lo).toContain('-d 127.0.0.1 -j KUBE-NODEPORTS');
    expect(lo).toContain('-d 192.168.56.11 -j KUBE-NODEPORTS');
  });

  it('rejects bad values with file:line:col', () => {
    const r = loadScenarioText('apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: x}\ncluster:\n  kubeProxy: {nodePortAddresses: [nope], detectLocalMode: Foo}\n  nodes: [{name: n1}]\n', 'x.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map(formatProblem).join('\n')).toMatch(/x\.yaml:5:\d+: cluster\.kubeProxy\.nodePortAddresses\[0\]: expected an IPv4 CIDR/);
  });
});
