import type { NetNs } from '../kernel/netns.js';
import { formatIpv4 } from '../wire/addr.js';
import { DeferredNetfilter } from './deferred-netfilter.js';
import { programIpvsNode } from './ipvs-node.js';
import { jumpRules, serviceChains, syncProxyRules, type ProxierConfig } from './kube-proxy/index.js';
import { DEFAULT_KUBE_PROXY, type ClusterInput, type ControlPlaneInput } from './spec.js';

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
    const config = proxierConfig(spec, node, ns.addrs.map((a) => formatIpv4(a.ip)));
    if (spec.proxyMode === 'ipvs') {
      const plan = programIpvsNode(ns, config, cp, spec.ipvs);
      out.set(name, { mode: 'ipvs', config, restored: plan.rules });
      continue;
    }
    // kube-proxy's output depends only on the API objects: it is generated (once) when first
    // needed, and the rules are parsed when the node's iptables are first used (deferred-netfilter.ts).
    let text: string | undefined;
    const restored = (): string => (text ??= syncProxyRules(config, cp.services, cp.endpointSlices));
    const rules = new DeferredNetfilter((nf) => {
      nf.restore(jumpRules(config), { noflush: true });
      nf.restore(restored(), { noflush: true });
    });
    const hooks = ns.enableNetfilter(rules);
    hooks.explainNat = candidatesExplainer(config, cp);
    out.set(name, {
      mode: spec.proxyMode,
      config,
      get restored() {
        return restored();
      },
    });
  }
  return out;
}

/** kube-proxy's configuration on one node, from the cluster's KubeProxyConfiguration (mode-neutral). */
export function proxierConfig(spec: ClusterInput, node: { name: string; ip: string; podCIDR: string }, localAddresses?: string[]): ProxierConfig {
  const kp = spec.kubeProxy ?? { ...DEFAULT_KUBE_PROXY, clusterCIDR: spec.clusterCIDR };
  return {
    nodeName: node.name,
    nodeIPs: [node.ip],
    // The local-traffic detector: upstream writes the same `-s`/`! -s` matches for either mode, only the CIDR differs.
    clusterCIDR: kp.detectLocalMode === 'NodeCIDR' ? node.podCIDR : kp.clusterCIDR,
    masqueradeAll: kp.masqueradeAll,
    localhostNodePorts: kp.localhostNodePorts,
    randomFully: kp.randomFully,
    nodePortAddresses: kp.nodePortAddresses,
    ...(localAddresses ? { localAddresses } : {}),
  };
}

/**
 * For the trace: when a connection's first packet is DNATed, every endpoint
 * the service chain it went through could have picked (KUBE-SVC-* for
 * Cluster policy, KUBE-SVL-* for Local).
 */
function candidatesExplainer(config: ProxierConfig, cp: ControlPlaneInput): (matched: readonly { chain: string }[]) => string[] | undefined {
  let byChain: Map<string, string[]> | undefined; // computed on the first DNAT this node explains
  const chains = (): Map<string, string[]> => {
    if (byChain) return byChain;
    byChain = new Map<string, string[]>();
    for (const e of serviceChains(config, cp.services, cp.endpointSlices)) {
      if (e.clusterChain) byChain.set(e.clusterChain, e.endpoints.filter((x) => x.inClusterChain).map((x) => x.endpoint));
      if (e.localChain) byChain.set(e.localChain, e.endpoints.filter((x) => x.inLocalChain).map((x) => x.endpoint));
    }
    return byChain;
  };
  return (matched) => {
    const byChain = chains();
    for (const m of matched) {
      const c = byChain.get(m.chain);
      if (c) return c;
    }
    return undefined;
  };
}
