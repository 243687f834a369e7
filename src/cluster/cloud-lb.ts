import type { NetNs } from '../kernel/netns.js';
import type { ClusterInput, ServiceInput } from './spec.js';

/**
 * The cloud's side of LoadBalancer Services and the operator's side of
 * externalIPs: something outside the cluster must bring packets for those
 * addresses to a node. podwalk models it as the underlay gateway routing each
 * such address to the first node with the destination unchanged, as the
 * pass-through network load balancers of GCE and Azure deliver (no proxying,
 * no source NAT); kube-proxy on that node does the rest.
 */
export function routeExternalAddresses(gateway: NetNs, spec: ClusterInput, services: readonly ServiceInput[]): void {
  const first = spec.nodes[0];
  const eth0 = gateway.device('eth0');
  if (!first || !eth0) return;
  const done = new Set<string>();
  for (const svc of services) {
    for (const ip of [...svc.loadBalancerIPs, ...svc.externalIPs]) {
      if (done.has(ip)) continue;
      done.add(ip);
      gateway.addRoute(`${ip}/32`, { via: first.ip, dev: eth0 });
    }
  }
}
