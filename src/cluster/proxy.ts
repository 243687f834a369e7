import type { NetNs } from '../kernel/netns.js';
import { Netfilter } from '../kernel/netfilter/netfilter.js';
import { jumpRules, serviceChains, syncProxyRules, type ProxierConfig } from './kube-proxy/index.js';
import type { ClusterInput, ControlPlaneInput } from './spec.js';

/** What kube-proxy programmed on one node. */
export interface NodeProxy {
  mode: 'iptables' | 'ipvs';
  config: ProxierConfig;
  /** The iptables-restore text of its last sync (KUBE-* chains), as kube-proxy wrote it. */
  restored: string;
}

/**
 * Run kube-proxy on every node. As on a real node it ensures its jump rules
 * in the built-in chains, then writes its chains with iptables-restore
 * --noflush; the kernel model parses that text like iptables-restore does.
 */
export function programProxies(nodes: Map<string, NetNs>, spec: ClusterInput, cp: ControlPlaneInput): Map<string, NodeProxy> {
  const out = new Map<string, NodeProxy>();
  for (const [name, ns] of nodes) {
    const node = spec.nodes.find((n) => n.name === name)!;
    const config: ProxierConfig = { nodeName: name, nodeIPs: [node.ip], clusterCIDR: spec.clusterCIDR };
    const rules = new Netfilter();
    const restored = syncProxyRules(config, cp.services, cp.endpointSlices);
    rules.restore(jumpRules(config), { noflush: true });
    rules.restore(restored, { noflush: true });
    const hooks = ns.enableNetfilter(rules);
    hooks.explainNat = candidatesExplainer(config, cp);
    out.set(name, { mode: spec.proxyMode, config, restored });
  }
  return out;
}

/**
 * For the trace: when a connection's first packet is DNATed, every endpoint
 * the service chain it went through could have picked (KUBE-SVC-* for
 * Cluster policy, KUBE-SVL-* for Local).
 */
function candidatesExplainer(config: ProxierConfig, cp: ControlPlaneInput): (matched: readonly { chain: string }[]) => string[] | undefined {
  const byChain = new Map<string, string[]>();
  for (const e of serviceChains(config, cp.services, cp.endpointSlices)) {
    if (e.clusterChain) byChain.set(e.clusterChain, e.endpoints.filter((x) => x.inClusterChain).map((x) => x.endpoint));
    if (e.localChain) byChain.set(e.localChain, e.endpoints.filter((x) => x.inLocalChain).map((x) => x.endpoint));
  }
  return (matched) => {
    for (const m of matched) {
      const c = byChain.get(m.chain);
      if (c) return c;
    }
    return undefined;
  };
}
