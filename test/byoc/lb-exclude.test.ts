// node.kubernetes.io/exclude-from-external-load-balancers: kubeadm labels its
// control-plane nodes with it, and the cloud provider's service controller leaves
// such nodes out of every load balancer it programs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/api/simulation.js';

const list = readFileSync(join(import.meta.dirname, 'kubectl-get-kubeadm.yaml'), 'utf8');
/** web as a LoadBalancer Service, as kubectl prints it once the cloud gave it an address. */
const lbService = `- apiVersion: v1
  kind: Service
  metadata:
    creationTimestamp: "2026-11-02T10:10:02Z"
    name: web
    namespace: default
    resourceVersion: "3100"
    uid: 1f2e3d4c-0000-4000-8000-00000000d002
  spec:
    allocateLoadBalancerNodePorts: true
    clusterIP: 10.101.7.20
    clusterIPs:
    - 10.101.7.20
    externalTrafficPolicy: Cluster
    internalTrafficPolicy: Cluster
    ipFamilies:
    - IPv4
    ipFamilyPolicy: SingleStack
    ports:
    - nodePort: 31380
      port: 80
      protocol: TCP
      targetPort: http
    selector:
      app: web
    sessionAffinity: None
    type: LoadBalancer
  status:
    loadBalancer:
      ingress:
      - ip: 198.51.100.7
        ipMode: VIP
`;
const withLb = (text: string) => text.replace('kind: List\n', `${lbService}kind: List\n`);
const lbRoute = (text: string) => {
  const routes = Simulation.fromYaml(withLb(text)).state('gateway').routes();
  return routes.slice(routes.indexOf('198.51.100.7')).split('\n').filter((l, i) => i === 0 || l.startsWith('\t')).join('\n');
};

describe('cloud load balancer backends', () => {
  it('leave out a node labelled exclude-from-external-load-balancers (the kubeadm control plane)', () => {
    expect(list).toContain('node.kubernetes.io/exclude-from-external-load-balancers: ""');
    expect(lbRoute(list)).toBe('198.51.100.7 via 10.0.0.11 dev eth0 ');
  });

  it('take every node without it', () => {
    const text = list.replace('      node.kubernetes.io/exclude-from-external-load-balancers: ""\n', '');
    expect(lbRoute(text)).toBe('198.51.100.7 \n\tnexthop via 10.0.0.10 dev eth0 weight 1 \n\tnexthop via 10.0.0.11 dev eth0 weight 1 ');
  });
});
