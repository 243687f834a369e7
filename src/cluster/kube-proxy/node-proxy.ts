import type { NetNs } from '../../kernel/netns.js';
import { formatIpv4 } from '../../wire/addr.js';
import type { Netfilter } from '../../kernel/netfilter/netfilter.js';
import { SharedRules } from '../../kernel/netfilter/shared-rules.js';
import { DeferredNetfilter } from './iptables/deferred-netfilter.js';
import { programIpvsNode } from './ipvs/ipvs-node.js';
import { isServiceChainName, jumpRules, planProxyRules, resolveConfig, type ProxierConfig, type ServicePortPlan } from './index.js';
import { udpCleanup, type UdpCleanup } from './conntrack-cleanup.js';
import { importedNetfilter, importIpvs } from '../node-import.js';
import { programNftablesNode } from './nftables/nftables-node.js';
import { ServiceHealthServer } from './health-server.js';
import { DEFAULT_KUBE_PROXY, type ClusterInput, type ControlPlaneInput } from '../spec.js';
import { ZONE_LABEL } from '../control-plane/endpointslice-controller.js';
import { kubeletChains, kubeletRules } from '../kubelet/iptables.js';
import { canaryChains } from '../iptables-monitor.js';
import { KUBE_PROXY_CANARY } from './well-known.js';

/** What kube-proxy programmed on one node. */
export interface NodeProxy {
  mode: 'iptables' | 'ipvs' | 'nftables';
  config: ProxierConfig;
  /** What kube-proxy wrote in its last sync: iptables-restore text (KUBE-* chains), or in nftables mode the `nft -f` transaction. */
  restored: string;
  /** The API objects of its last sync. */
  synced: ControlPlaneInput;
  /** Its service health server (healthCheckNodePorts): to be re-synced after each sync. */
  health: ServiceHealthServer;
  /**
   * A full syncProxyRules against new API objects (iptables mode): the new
   * chains restored with --noflush, chains no longer needed deleted (`-X`), as
   * upstream's full sync does. Returns what the UDP conntrack cleanup needs.
   */
  resync?(cp: ControlPlaneInput): UdpCleanup;
}

/**
 * Run kube-proxy on every node. As on a real node it ensures its jump rules
 * in the built-in chains, then writes its chains with iptables-restore
 * --noflush; the kernel model parses that text like iptables-restore does.
 */
export function programProxies(nodes: Map<string, NetNs>, spec: ClusterInput, cp: ControlPlaneInput): Map<string, NodeProxy> {
  const out = new Map<string, NodeProxy>();
  const specs = new Map(spec.nodes.map((n) => [n.name, n]));
  // kube-proxy writes nearly the same lines on every node: each is parsed once for the cluster.
  const shared = new SharedRules();
  for (const [name, ns] of nodes) {
    const node = specs.get(name)!;
    const config = proxierConfig(spec, node, ns.addrs.map((a) => formatIpv4(a.ip)));
    // kube-proxy sets route_localnet=1 when it serves NodePorts on 127.0.0.1 (iptables mode), unless the scenario fixes the sysctl.
    const localhostNodePorts = spec.proxyMode === 'iptables' && resolveConfig(config).localhostNodePorts;
    ns.sysctl.routeLocalnet = spec.sysctls?.routeLocalnet ?? localhostNodePorts;
    const health = new ServiceHealthServer(ns, name, () => out.get(name)?.synced ?? cp);
    const imported = node.imported ?? {};
    if (spec.proxyMode === 'nftables') {
      const node = programNftablesNode(ns, { ...config, serviceCIDRs: [spec.serviceCIDR] }, cp);
      // kube-proxy's nftables table is its own; a saved iptables rule set is what other components wrote.
      const engine = ns.nf!.engine as Netfilter;
      if (imported.iptablesSave) importedNetfilter({ ...imported, iptablesSave: imported.iptablesSave }, engine);
      else {
        if (imported.ipsetSave) engine.ipsets.restore(imported.ipsetSave);
        // kubelet's iptables are there whatever the proxy mode.
        engine.restore(kubeletRules(), { noflush: true });
      }
      if (imported.ipvsadm) importIpvs(ns, imported.ipvsadm);
      out.set(name, {
      health,
        mode: 'nftables',
        config,
        get restored() {
          return node.plan().transaction;
        },
        get synced() {
          return node.synced();
        },
        resync(next: ControlPlaneInput): UdpCleanup {
          // The UDP conntrack clean-up follows the same endpoint changes in every mode.
          const before = planProxyRules(config, node.synced().services, node.synced().endpointSlices);
          node.resync(next);
          return udpCleanup(before.ports, planProxyRules(config, next.services, next.endpointSlices).ports);
        },
      });
      continue;
    }
    if (spec.proxyMode === 'ipvs') {
      const { plan, sync } = programIpvsNode(ns, config, cp, spec.ipvs, imported);
      let synced = cp;
      out.set(name, {
        health,
        mode: 'ipvs',
        config,
        restored: imported.iptablesSave ? '' : plan.rules,
        get synced() {
          return synced;
        },
        resync(next: ControlPlaneInput): UdpCleanup {
          // kube-proxy's ipvs proxier runs the same UDP conntrack clean-up as the iptables one.
          const before = planProxyRules(config, synced.services, synced.endpointSlices);
          sync?.sync(next);
          synced = next;
          return udpCleanup(before.ports, planProxyRules(config, next.services, next.endpointSlices).ports);
        },
      });
      continue;
    }
    if (imported.ipvsadm) importIpvs(ns, imported.ipvsadm);
    if (imported.iptablesSave) {
      // The saved rule set is the node's: kube-proxy writes nothing over it, on later syncs either (a static snapshot).
      ns.enableNetfilter(importedNetfilter({ ...imported, iptablesSave: imported.iptablesSave }));
      out.set(name, { health, mode: spec.proxyMode, config, restored: '', synced: cp, resync: () => ({ required: false, serving: { byServiceIP: new Map(), byNodePort: new Map() } }) });
      continue;
    }
    // kube-proxy's output depends only on the API objects: it is generated (once) when first
    // needed, and the rules are parsed when the node's iptables are first used (deferred-netfilter.ts).
    let current = cp;
    let text: string | undefined;
    // One plan of the current sync gives both the restore text and the trace's candidate endpoints (10,000 Services: planned once per node, not twice).
    let planned: { of: ControlPlaneInput; ports: readonly ServicePortPlan[] } | undefined;
    const ports = (): readonly ServicePortPlan[] => {
      if (planned?.of !== current) planned = { of: current, ports: planProxyRules(config, current.services, current.endpointSlices).ports };
      return planned.ports;
    };
    const restored = (): string => {
      if (text === undefined) {
        const plan = planProxyRules(config, current.services, current.endpointSlices);
        planned = { of: current, ports: plan.ports };
        text = plan.filter.render() + plan.nat.render();
      }
      return text;
    };
    const rules = new DeferredNetfilter((nf) => {
      if (imported.ipsetSave) nf.ipsets.restore(imported.ipsetSave);
      // kubelet (started first) wrote its chains; kube-proxy's Monitor its canaries, then its jumps and its sync.
      nf.restore(kubeletChains(), { noflush: true });
      nf.restore(canaryChains(KUBE_PROXY_CANARY), { noflush: true });
      nf.restore(jumpRules(config), { noflush: true });
      nf.restore(restored(), { noflush: true });
    }, shared);
    const hooks = ns.enableNetfilter(rules);
    hooks.explainNat = candidatesExplainer(ports);
    out.set(name, {
        health,
      mode: spec.proxyMode,
      config,
      get restored() {
        return restored();
      },
      get synced() {
        return current;
      },
      resync(next: ControlPlaneInput): UdpCleanup {
        const before = ports();
        rules.materialize();
        current = next;
        text = undefined;
        rules.restore(withStaleChainsDeleted(restored(), rules), { noflush: true });
        return udpCleanup(before, ports());
      },
    });
  }
  return out;
}

/** kube-proxy's configuration on one node, from the cluster's KubeProxyConfiguration (mode-neutral). */
export function proxierConfig(spec: ClusterInput, node: { name: string; ip: string; podCIDR: string }, localAddresses?: string[]): ProxierConfig {
  const kp = spec.kubeProxy ?? { ...DEFAULT_KUBE_PROXY, clusterCIDR: spec.clusterCIDR };
  const zone = spec.nodes.find((n) => n.name === node.name)?.labels?.[ZONE_LABEL];
  return {
    nodeName: node.name,
    ...(zone ? { nodeZone: zone } : {}),
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
 * Upstream's full sync declares every chain it still needs (which flushes
 * them) and deletes, with `-X`, the service chains it wrote before and no
 * longer needs, so that a removed endpoint's KUBE-SEP chain disappears.
 */
function withStaleChainsDeleted(text: string, nf: Netfilter): string {
  const declared = new Set([...text.matchAll(/^:(\S+) /gm)].map((m) => m[1]!));
  const stale = nf.chains('nat').filter((c) => isServiceChainName(c) && !declared.has(c));
  if (stale.length === 0) return text;
  // Flush them first in the nat block (they may jump to each other), then delete.
  const natStart = text.indexOf('*nat\n');
  const commit = text.indexOf('COMMIT', natStart);
  const decl = stale.map((c) => `:${c} - [0:0]`).join('\n');
  const del = stale.map((c) => `-X ${c}`).join('\n');
  const head = text.slice(0, natStart + 5);
  const body = text.slice(natStart + 5, commit);
  return `${head}${decl}\n${body}${del}\n${text.slice(commit)}`;
}

/**
 * For the trace: when a connection's first packet is DNATed, every endpoint
 * the service chain it went through could have picked (KUBE-SVC-* for
 * Cluster policy, KUBE-SVL-* for Local).
 */
function candidatesExplainer(ports: () => readonly ServicePortPlan[]): (matched: readonly { chain: string }[]) => string[] | undefined {
  let byChain: Map<string, string[]> | undefined; // computed on the first DNAT this node explains
  let of: readonly ServicePortPlan[] | undefined;
  const chains = (): Map<string, string[]> => {
    if (byChain && of === ports()) return byChain;
    of = ports();
    byChain = new Map<string, string[]>();
    for (const p of of) {
      // Every endpoint kube-proxy knows, in its order, that the chain lists (as serviceChains reports them).
      const listed = (chain: { endpoints: readonly { key: string }[] }): string[] => {
        const keys = new Set(chain.endpoints.map((e) => e.key));
        return p.endpoints.filter((e) => keys.has(e.key)).map((e) => e.key);
      };
      if (p.clusterChain) byChain.set(p.clusterChain.chain, listed(p.clusterChain));
      if (p.localChain) byChain.set(p.localChain.chain, listed(p.localChain));
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
