import type { NetNs } from '../kernel/netns.js';
import type { ClusterInput, EndpointSliceInput, ServiceInput } from './spec.js';

/**
 * The cloud's side of LoadBalancer Services and the operator's side of
 * externalIPs: something outside the cluster must bring packets for those
 * addresses to a node, with the destination unchanged, as the pass-through
 * network load balancers of GCE, Azure and AWS (NLB, instance targets)
 * deliver (no proxying, no source NAT); kube-proxy on that node does the rest.
 *
 * podwalk models the load balancer as the underlay gateway with one multipath
 * route per load-balancer address, a nexthop per eligible node, hashing each
 * connection's 5-tuple (fib_multipath_hash_policy 1, seeded per cluster), so
 * connections spread over the nodes as a cloud load balancer spreads them:
 * - externalTrafficPolicy Cluster: every node is a backend (any node can
 *   forward to any endpoint);
 * - externalTrafficPolicy Local: the nodes whose health check passes, i.e.
 *   that have a ready endpoint of the Service (kube-proxy's healthCheckNodePort
 *   answers 200 only there). With none healthy the cloud load balancers fail
 *   open and use every node.
 * externalIPs are the operator's: routed to the first node, as a static route
 * would.
 *
 * The health check is evaluated when the cluster is built: later changes to the
 * endpoints (steps) do not re-route.
 */
export function routeExternalAddresses(gateway: NetNs, spec: ClusterInput, services: readonly ServiceInput[], slices: readonly EndpointSliceInput[] = []): void {
  const first = spec.nodes[0];
  const eth0 = gateway.device('eth0');
  if (!first || !eth0) return;
  // A cloud load balancer spreads by connection (5-tuple), not by client address.
  gateway.sysctl.fibMultipathHashPolicy = 1;
  const backends = loadBalancerBackends(spec, services, slices);
  const done = new Set<string>();
  for (const [ip, nodes] of backends) {
    done.add(ip);
    if (nodes.length === 1) gateway.addRoute(`${ip}/32`, { via: nodes[0]!, dev: eth0 });
    else gateway.addMultipathRoute(`${ip}/32`, nodes.map((via) => ({ via, dev: eth0 })));
  }
  for (const svc of services) {
    for (const ip of svc.externalIPs) {
      if (done.has(ip)) continue;
      done.add(ip);
      gateway.addRoute(`${ip}/32`, { via: first.ip, dev: eth0 });
    }
  }
}

/**
 * Node IPs behind each load-balancer address, in node order: every node for
 * externalTrafficPolicy Cluster, the nodes with a ready local endpoint for
 * Local (all nodes when none has one). An address several Services share gets
 * the union.
 */
export function loadBalancerBackends(spec: ClusterInput, services: readonly ServiceInput[], slices: readonly EndpointSliceInput[]): Map<string, string[]> {
  const all = spec.nodes.map((n) => n.ip);
  const out = new Map<string, Set<string>>();
  for (const svc of services) {
    if (svc.loadBalancerIPs.length === 0) continue;
    let nodes = all;
    if (svc.externalTrafficPolicy === 'Local') {
      const healthy = new Set(slices.filter((s) => s.namespace === svc.namespace && s.serviceName === svc.name).flatMap((s) => s.endpoints.filter((e) => e.ready && e.nodeName !== undefined).map((e) => e.nodeName!)));
      const passing = spec.nodes.filter((n) => healthy.has(n.name)).map((n) => n.ip);
      if (passing.length > 0) nodes = passing;
    }
    for (const ip of svc.loadBalancerIPs) {
      let set = out.get(ip);
      if (!set) out.set(ip, (set = new Set()));
      for (const n of nodes) set.add(n);
    }
  }
  // Node order, whatever order the Services added them in.
  return new Map([...out].map(([ip, set]) => [ip, all.filter((n) => set.has(n))]));
}
