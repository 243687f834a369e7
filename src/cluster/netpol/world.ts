import type { NetworkPolicyControl, PodInput, ServiceInput } from '../spec.js';
import type { PolicyWorld } from './types.js';

/** The agent's view of the API: policies, namespaces and every pod with its labels and named ports. */
export function policyWorld(np: NetworkPolicyControl, pods: readonly PodInput[], nodeAddresses: (node: string) => string[] = () => []): PolicyWorld {
  return {
    policies: np.policies,
    namespaces: np.namespaces,
    options: np.options,
    pods: pods.map((p) => {
      const pod = { namespace: p.namespace, name: p.name, nodeName: p.nodeName, ip: p.ip, hostNetwork: p.hostNetwork, labels: p.labels ?? {}, ports: p.ports };
      if (!p.hostNetwork) return pod;
      return { ...pod, hostAddresses: nodeAddresses(p.nodeName).filter((a) => a !== p.ip) };
    }),
  };
}

/** ipvs mode binds every Service IP to kube-ipvs0 on every node: these are local addresses there. */
export function localServiceIps(services: readonly ServiceInput[]): string[] {
  const ips = new Set<string>();
  for (const s of services) {
    if (s.clusterIP) ips.add(s.clusterIP);
    for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) ips.add(ip);
  }
  return [...ips];
}
