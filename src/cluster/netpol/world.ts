import type { NetNs } from '../../kernel/netns.js';
import { formatIpv4 } from '../../wire/addr.js';
import type { ClusterInput, NetworkPolicyControl, PodInput, ServiceInput } from '../spec.js';
import type { PolicyPod, PolicyWorld } from './types.js';

/** The agent's view of the API: policies, namespaces and every pod with its labels and named ports. */
export function policyWorld(np: NetworkPolicyControl, pods: readonly PodInput[], nodes: ReadonlyMap<string, NetNs>): PolicyWorld {
  return { policies: np.policies, namespaces: np.namespaces, options: np.options, ...(np.nodePortRange ? { nodePortRange: np.nodePortRange } : {}), pods: pods.map((p) => policyPod(p, nodes.get(p.nodeName))) };
}

/** A pod as the agent reads it from the API (a hostNetwork pod speaks from whichever node address the route selects, not only the node IP). */
export function policyPod(p: PodInput, node: NetNs | undefined): PolicyPod {
  const pod = { namespace: p.namespace, name: p.name, nodeName: p.nodeName, ip: p.ip, hostNetwork: p.hostNetwork, labels: p.labels ?? {}, ports: p.ports };
  if (!p.hostNetwork) return pod;
  const hostAddresses = (node?.addrs ?? []).filter((a) => a.dev.name !== 'lo').map((a) => formatIpv4(a.ip)).filter((a) => a !== p.ip);
  return { ...pod, hostAddresses };
}

/**
 * The Service IPs that are local addresses on every node: ipvs mode binds each cluster IP, external IP and
 * load-balancer IP to kube-ipvs0 (none in the other modes). The agent follows the Services it watches.
 */
export function localServiceIps(mode: ClusterInput['proxyMode'], services: readonly ServiceInput[]): string[] {
  if (mode !== 'ipvs') return [];
  const ips = new Set<string>();
  for (const s of services) {
    if (s.clusterIP) ips.add(s.clusterIP);
    for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) ips.add(ip);
  }
  return [...ips];
}
