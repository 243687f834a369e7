import { cidrContains, formatCidr, parseCidr, parseIpv4 } from '../../../wire/addr.js';
import type { EndpointSliceInput, ServiceInput } from '../../spec.js';
import { resolveConfig, type ProxierConfig } from '../config.js';
import { categorizeEndpoints, endpointsFor, slicesByService, type ProxyEndpoint } from '../endpoints.js';
import { NFT_PREFIX, nftEndpointBase, nftServicePortBase } from './nft-chain-names.js';
import { compareServicePorts, externallyAccessible, servicePortInfos, usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from '../service-port.js';
import { rangesAllowNode } from '../source-ranges.js';
import { parsePriority } from '../../../kernel/nftables/priority.js';
import type { NftHook } from '../../../kernel/nftables/types.js';

/** What the nftables proxier needs beyond the iptables one. */
export interface NftProxierConfig extends ProxierConfig {
  /** The Service CIDRs (`ip daddr { ... } drop` for unallocated ClusterIPs); empty = no such rule. */
  serviceCIDRs?: string[];
}

/** One service port's chains in the kube-proxy table, for traces and tests. */
export interface NftServicePortPlan {
  servicePort: string;
  clusterChain?: string;
  localChain?: string;
  /** `endpoint-...` chain → `ip:port`, for every endpoint a policy chain can pick. */
  clusterEndpoints: string[];
  localEndpoints: string[];
}

export interface NftablesPlan {
  /** The `nft -f` transaction kube-proxy runs (a full sync into a fresh table). */
  transaction: string;
  ports: NftServicePortPlan[];
}

export const KUBE_PROXY_TABLE = 'kube-proxy';

/**
 * kube-proxy's nftables mode (pkg/proxy/nftables, IPv4): one `ip kube-proxy`
 * table. Base chains at fixed priorities hook netfilter; per-packet dispatch is
 * a lookup of `daddr . l4proto . dport` in the `service-ips` verdict map (and
 * `l4proto . dport` in `service-nodeports` for local addresses), so the cost
 * does not grow with the number of Services. Each service port has a
 * `service-`/`local-` chain picking an endpoint with `numgen random mod N vmap`,
 * an `external-` chain for NodePort/external/LB traffic, a `firewall-` chain for
 * loadBalancerSourceRanges, and one `endpoint-` chain per endpoint that DNATs.
 * Services without usable endpoints are rejected or dropped through the
 * `no-endpoint-services`/`no-endpoint-nodeports` maps in the filter chains.
 * The text is what the knftables library hands to `nft -f`: kube-proxy asks
 * for named priorities (`dstnat-10`), and knftables writes them as numbers
 * (`priority -110`), because nft before 1.0.8 refuses `dstnat` on the output
 * hook (Debian 12's 1.0.6 among them).
 */
export function planNftables(cfg: NftProxierConfig, services: readonly ServiceInput[], slices: readonly EndpointSliceInput[]): NftablesPlan {
  const c = resolveConfig(cfg);
  const mark = c.masqueradeMark;
  const tx = new Tx();
  const T = `ip ${KUBE_PROXY_TABLE}`;
  const clusterCidr = c.clusterCIDR === '' ? undefined : parseCidr(c.clusterCIDR);
  const podCidr = clusterCidr ? formatCidr(clusterCidr) : undefined;

  // setupNFTables
  tx.add(`add table ${T} { comment "rules for kube-proxy" ; }`);
  const base: [string, string, NftHook, string][] = [
    ['filter-prerouting-pre-dnat', 'filter', 'prerouting', 'dstnat-10'],
    ['filter-output-pre-dnat', 'filter', 'output', 'dstnat-10'],
    ['filter-input', 'filter', 'input', 'filter'],
    ['filter-forward', 'filter', 'forward', 'filter'],
    ['filter-output', 'filter', 'output', 'filter'],
    ['nat-prerouting', 'nat', 'prerouting', 'dstnat'],
    ['nat-output', 'nat', 'output', 'dstnat'],
    ['nat-postrouting', 'nat', 'postrouting', 'srcnat'],
  ];
  for (const [name, type, hook, prio] of base) {
    tx.add(`add chain ${T} ${name} { type ${type} hook ${hook} priority ${knftablesPriority(prio, hook)} ; }`);
    tx.add(`flush chain ${T} ${name}`);
  }
  const created = new Set<string>();
  const ensure = (chain: string): void => {
    if (created.has(chain)) return;
    created.add(chain);
    tx.add(`add chain ${T} ${chain}`);
    tx.add(`flush chain ${T} ${chain}`);
  };
  const jumps: [string, string, string][] = [
    ['nodeport-endpoints-check', 'filter-input', 'ct state new'],
    ['service-endpoints-check', 'filter-input', 'ct state new'],
    ['service-endpoints-check', 'filter-forward', 'ct state new'],
    ['service-endpoints-check', 'filter-output', 'ct state new'],
    ['firewall-check', 'filter-prerouting-pre-dnat', 'ct state new'],
    ['firewall-check', 'filter-output-pre-dnat', 'ct state new'],
    ['services', 'nat-output', ''],
    ['services', 'nat-prerouting', ''],
    ['masquerading', 'nat-postrouting', ''],
    ['cluster-ips-check', 'filter-forward', 'ct state new'],
    ['cluster-ips-check', 'filter-output', 'ct state new'],
  ];
  for (const [dst, src, extra] of jumps) {
    ensure(dst);
    tx.add(`add rule ${T} ${src} ${extra === '' ? '' : `${extra} `}jump ${dst}`);
  }
  for (const chain of ['services', 'cluster-ips-check', 'masquerading', 'mark-for-masquerade']) ensure(chain);
  tx.add(`add rule ${T} mark-for-masquerade mark set mark or ${mark}`);
  tx.add(`add rule ${T} masquerading mark and ${mark} == 0 return`);
  tx.add(`add rule ${T} masquerading mark set mark xor ${mark}`);
  tx.add(`add rule ${T} masquerading masquerade fully-random`);
  tx.add(`add set ${T} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`);
  tx.add(`add rule ${T} cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`);
  const serviceCIDRs = (cfg.serviceCIDRs ?? []).map((s) => parseCidr(s.trim())).filter((x) => x !== undefined).map(formatCidr);
  if (serviceCIDRs.length > 0) tx.add(`add rule ${T} cluster-ips-check ip daddr { ${serviceCIDRs.join(',')} } drop comment "Drop traffic to unallocated ClusterIPs"`);
  // --nodeport-addresses defaults to "primary" in nftables mode: NodePorts answer on the node IP only
  // (and never on 127.0.0.1: nftables mode has no localhost NodePorts). A CIDR list that covers
  // everything (0.0.0.0/0) means every local address, tested with `fib daddr type local` instead of a set.
  const npa = (cfg.nodePortAddresses ?? []).length > 0 ? cfg.nodePortAddresses! : ['primary'];
  const npCidrs = npa.map((a) => parseCidr(a === 'primary' ? `${c.nodeIPs[0] ?? '0.0.0.0'}/32` : a.trim())).filter((x) => x !== undefined);
  const matchAll = npCidrs.some((x) => x.prefix === 0);
  const nodeIP = c.nodeIPs[0];
  tx.add(`add set ${T} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`);
  if (matchAll) tx.add(`delete set ${T} nodeport-ips`);
  else {
    tx.add(`flush set ${T} nodeport-ips`);
    const local = cfg.localAddresses ?? c.nodeIPs;
    for (const ip of local) {
      const n = parseIpv4(ip);
      if (n === undefined || n >>> 24 === 127) continue;
      if (npCidrs.some((x) => cidrContains(x, n))) tx.add(`add element ${T} nodeport-ips { ${ip} }`);
    }
  }
  tx.add(`add map ${T} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`);
  tx.add(`add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`);
  tx.add(`add chain ${T} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`);
  tx.add(`flush chain ${T} reject-chain`);
  tx.add(`add rule ${T} reject-chain reject`);
  tx.add(`add rule ${T} service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services`);
  if (matchAll) tx.add(`add rule ${T} nodeport-endpoints-check ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports`);
  else tx.add(`add rule ${T} nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports`);
  tx.add(`add map ${T} firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`);
  ensure('firewall-check');
  tx.add(`add rule ${T} firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips`);
  tx.add(`add map ${T} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`);
  tx.add(`add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`);
  tx.add(`add rule ${T} services ip daddr . meta l4proto . th dport vmap @service-ips`);
  if (matchAll) tx.add(`add rule ${T} services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports`);
  else tx.add(`add rule ${T} services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports`);
  for (const name of ['cluster-ips', 'service-ips', 'firewall-ips', 'no-endpoint-services', 'no-endpoint-nodeports', 'service-nodeports']) tx.add(`flush ${name === 'cluster-ips' ? 'set' : 'map'} ${T} ${name}`);

  // syncProxyRules: every service port (sorted, as upstream's tests read it).
  const bySvc = slicesByService(slices);
  const ports = services.flatMap(servicePortInfos).sort(compareServicePorts);
  const plans: NftServicePortPlan[] = [];
  // nftElementStorage.ensureElem: one element per set and key. Two Services that claim the same IP . proto . port
  // (an external IP both list) do not send nft two elements, which it refuses as a whole (File exists): the later
  // write replaces the earlier (upstream deletes and re-adds it), so the Service that comes last wins. Upstream
  // walks its Service map in Go's random order; here services sort by namespace, name and port.
  const elements = new Map<string, string>();
  const element = (set: string, text: string): void => {
    const key = text.split(/ comment | : /)[0]!;
    elements.set(`${set} ${key}`, `add element ${T} ${set} { ${text} }`);
  };
  for (const sp of ports) {
    const base = nftServicePortBase(sp.namespace, sp.serviceName, sp.protocol, sp.portName);
    const clusterChain = NFT_PREFIX.cluster + base;
    const localChain = NFT_PREFIX.local + base;
    const externalChain = NFT_PREFIX.external + base;
    const fwChain = NFT_PREFIX.firewall + base;
    const eps = endpointsFor(sp, bySvc.get(`${sp.namespace}/${sp.serviceName}`) ?? [], c.nodeName);
    const cat = categorizeEndpoints(sp, eps, c.nodeZone);
    const epBase = (ep: ProxyEndpoint): string => nftEndpointBase(sp.namespace, sp.serviceName, sp.protocol, sp.portName, ep.key);
    const epChain = (ep: ProxyEndpoint): string => NFT_PREFIX.endpoint + epBase(ep);
    const affinitySet = (ep: ProxyEndpoint): string => NFT_PREFIX.affinity + epBase(ep);
    const proto = sp.proto;
    const plan: NftServicePortPlan = { servicePort: sp.nameString, clusterEndpoints: [], localEndpoints: [] };

    for (const ep of cat.reachable) ensure(epChain(ep));
    const usesCluster = cat.cluster.length > 0 && usesClusterEndpoints(sp);
    if (usesCluster) {
      ensure(clusterChain);
      plan.clusterChain = clusterChain;
      plan.clusterEndpoints = cat.cluster.map((e) => e.key);
    }
    const usesLocal = cat.local.length > 0 && usesLocalEndpoints(sp);
    if (usesLocal) {
      ensure(localChain);
      plan.localChain = localChain;
      plan.localEndpoints = cat.local.map((e) => e.key);
    }
    let internalChain = clusterChain;
    let hasInternal = cat.hasAny;
    if (sp.internalPolicyLocal) {
      internalChain = localChain;
      if (cat.local.length === 0) hasInternal = false;
    }
    let externalPolicyChain = clusterChain;
    let hasExternal = cat.hasAny;
    if (sp.externalPolicyLocal) {
      externalPolicyChain = localChain;
      if (cat.local.length === 0) hasExternal = false;
    }
    const usesExternal = cat.hasAny && externallyAccessible(sp);
    if (usesExternal) ensure(externalChain);

    let internalVerdict = '';
    let externalVerdict = '';
    if (!cat.hasAny) {
      internalVerdict = 'goto reject-chain';
      externalVerdict = 'goto reject-chain';
    } else {
      if (!hasInternal) internalVerdict = 'drop';
      if (!hasExternal) externalVerdict = 'drop';
    }
    const key = (ip: string): string => `${ip} . ${proto} . ${sp.port}`;
    const noEndpoint = (k: string, verdict: string): void => element('no-endpoint-services', `${k} comment "${sp.nameString}" : ${verdict}`);

    element('cluster-ips', sp.clusterIP);
    if (hasInternal) element('service-ips', `${key(sp.clusterIP)} : goto ${internalChain}`);
    else noEndpoint(key(sp.clusterIP), internalVerdict);
    for (const ip of sp.externalIPs) {
      if (cat.hasAny) element('service-ips', `${key(ip)} : goto ${externalChain}`);
      if (!hasExternal) noEndpoint(key(ip), externalVerdict);
    }
    const usesFw = sp.loadBalancerVIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
    if (usesFw) ensure(fwChain);
    for (const ip of sp.loadBalancerVIPs) {
      if (cat.hasAny) element('service-ips', `${key(ip)} : goto ${externalChain}`);
      if (usesFw) element('firewall-ips', `${key(ip)} : goto ${fwChain}`);
    }
    if (!hasExternal) for (const ip of sp.loadBalancerVIPs) noEndpoint(key(ip), externalVerdict);
    if (sp.nodePort !== 0) {
      if (cat.hasAny) element('service-nodeports', `${proto} . ${sp.nodePort} : goto ${externalChain}`);
      if (!hasExternal) element('no-endpoint-nodeports', `${proto} . ${sp.nodePort} comment "${sp.nameString}" : ${externalVerdict}`);
    }

    if (hasInternal) {
      if (c.masqueradeAll) tx.add(`add rule ${T} ${internalChain} ip daddr ${sp.clusterIP} jump mark-for-masquerade`);
      else if (podCidr) tx.add(`add rule ${T} ${internalChain} ip daddr ${sp.clusterIP} ip saddr != ${podCidr} jump mark-for-masquerade`);
    }
    if (usesExternal) {
      if (!sp.externalPolicyLocal) tx.add(`add rule ${T} ${externalChain} jump mark-for-masquerade`);
      else {
        if (podCidr) tx.add(`add rule ${T} ${externalChain} ip saddr ${podCidr} goto ${clusterChain} comment "short-circuit pod traffic"`);
        tx.add(`add rule ${T} ${externalChain} fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`);
        tx.add(`add rule ${T} ${externalChain} fib saddr type local goto ${clusterChain} comment "short-circuit local traffic"`);
      }
      if (hasExternal) tx.add(`add rule ${T} ${externalChain} goto ${externalPolicyChain}`);
    }
    if (usesFw) {
      const sources = [...sp.loadBalancerSourceRanges];
      if (rangesAllowNode(sp.loadBalancerSourceRanges, nodeIP)) sources.push(...sp.loadBalancerVIPs);
      tx.add(`add rule ${T} ${fwChain} ip saddr != { ${sources.join(' , ')} } drop`);
    }
    if (sp.sessionAffinityClientIP) {
      for (const ep of cat.reachable) tx.add(`add set ${T} ${affinitySet(ep)} { type ipv4_addr ; flags dynamic,timeout ; timeout ${sp.stickyMaxAgeSeconds}s ; }`);
    }
    const toEndpoints = (chain: string, list: readonly ProxyEndpoint[]): void => {
      if (sp.sessionAffinityClientIP) for (const ep of list) tx.add(`add rule ${T} ${chain} ip saddr @${affinitySet(ep)} goto ${epChain(ep)}`);
      const vmap = list.map((ep, i) => `${i} : goto ${epChain(ep)}`).join(' , ');
      tx.add(`add rule ${T} ${chain} numgen random mod ${list.length} vmap { ${vmap} }`);
    };
    if (usesCluster) toEndpoints(clusterChain, cat.cluster);
    if (usesLocal) toEndpoints(localChain, cat.local);
    for (const ep of cat.reachable) {
      const chain = epChain(ep);
      tx.add(`add rule ${T} ${chain} ip saddr ${ep.ip} jump mark-for-masquerade`);
      if (sp.sessionAffinityClientIP) tx.add(`add rule ${T} ${chain} update @${affinitySet(ep)} { ip saddr }`);
      tx.add(`add rule ${T} ${chain} meta l4proto ${proto} dnat to ${ep.key}`);
    }
    plans.push(plan);
  }
  for (const e of elements.values()) tx.add(e);
  return { transaction: tx.text(), ports: plans };
}

/** The transaction text alone. */
export function syncNftables(cfg: NftProxierConfig, services: readonly ServiceInput[], slices: readonly EndpointSliceInput[]): string {
  return planNftables(cfg, services, slices).transaction;
}

class Tx {
  private readonly lines: string[] = [];
  add(line: string): void {
    this.lines.push(line);
  }
  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export type { ServicePortInfo };

/** knftables (Chain.writeOperation) parses a named priority to its number and writes `priority N`. */
function knftablesPriority(named: string, hook: NftHook): number {
  const n = parsePriority([named], hook);
  if (typeof n === 'string') throw new Error(`kube-proxy base chain priority ${named}: ${n}`);
  return n;
}
