import type { EndpointSliceInput, ServiceInput } from '../../spec.js';
import { resolveConfig, type ProxierConfig, type ResolvedProxierConfig } from '../config.js';
import { categorizeEndpoints, endpointsFor, slicesByService, type CategorizedEndpoints, type ProxyEndpoint } from '../endpoints.js';
import { probabilityLadder } from './probability-ladder.js';
import { quoted, RestoreTable } from './restore-text.js';
import { rangesAllowNode } from '../source-ranges.js';
import { compareServicePorts, externallyAccessible, servicePortInfos, usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from '../service-port.js';
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  LOCALNET_BLOCK_RULE,
} from '../well-known.js';

/**
 * kube-proxy's iptables-mode control plane: Services and EndpointSlices in,
 * the iptables-restore document of one full syncProxyRules out (IPv4,
 * nodePortAddresses unset, no topology hints). Written from upstream's
 * pkg/proxy/iptables/proxier.go; the comments say why each rule exists.
 */

/** Above this many endpoints kube-proxy drops the per-endpoint comments to keep the rule set small. */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

const LOCALHOST_NODEPORTS_COUNTER = 'localhost_nps_accepted_pkts';
const CT_INVALID_COUNTER = 'ct_state_invalid_dropped_pkts';

/** How one service port was programmed: what a trace needs to name candidate endpoints. */
export interface ServicePortPlan {
  info: ServicePortInfo;
  /** Every endpoint kube-proxy knows for the port (before readiness/locality filtering). */
  endpoints: ProxyEndpoint[];
  categorized: CategorizedEndpoints;
  /** Chain ClusterIP traffic jumps to (KUBE-SVC, or KUBE-SVL with internalTrafficPolicy Local); undefined = filtered (REJECT/DROP). */
  internalChain?: string;
  /** KUBE-EXT chain for NodePort/external/LB traffic, when written. */
  externalChain?: string;
  /** KUBE-FW chain in front of KUBE-EXT for load balancer IPs, when written. */
  firewallChain?: string;
  /** KUBE-SVC chain, when written, and the endpoints it balances over. */
  clusterChain?: { chain: string; endpoints: ProxyEndpoint[] };
  /** KUBE-SVL chain, when written, and the endpoints it balances over. */
  localChain?: { chain: string; endpoints: ProxyEndpoint[] };
}

export interface ProxyRulesPlan {
  filter: RestoreTable;
  nat: RestoreTable;
  ports: ServicePortPlan[];
  largeClusterMode: boolean;
}

/** The iptables-restore text kube-proxy writes (`*filter ... COMMIT *nat ... COMMIT`), applied with --noflush. */
export function syncProxyRules(cfg: ProxierConfig, services: readonly ServiceInput[], slices: readonly EndpointSliceInput[]): string {
  const plan = planProxyRules(cfg, services, slices);
  return plan.filter.render() + plan.nat.render();
}

/** The rule set as tables plus, per service port, which chains and endpoints it got. */
export function planProxyRules(cfg: ProxierConfig, services: readonly ServiceInput[], slices: readonly EndpointSliceInput[]): ProxyRulesPlan {
  const c = resolveConfig(cfg);
  const filter = new RestoreTable('filter');
  const nat = new RestoreTable('nat');
  for (const chain of [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL]) filter.declare(chain);
  for (const chain of [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ]) nat.declare(chain);

  writeMasqueradeChains(nat, c);
  if (c.localhostNodePorts) {
    // route_localnet (needed for localhost NodePorts) lets martian 127/8
    // packets in from the wire; this duplicate of kubelet's rule stops them.
    filter.declare(KUBE_FIREWALL);
    filter.append(KUBE_FIREWALL, LOCALNET_BLOCK_RULE);
  }

  // The informer cache holds one object per name: a repeated Service keeps its first copy.
  const seen = new Set<string>();
  const unique = services.filter((svc) => {
    const id = `${svc.namespace}/${svc.name}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const infos = unique.flatMap(servicePortInfos).sort(compareServicePorts);
  // The informer's index: each Service's slices found once, not by scanning every slice per port.
  const sliceIndex = slicesByService(slices);
  const endpointLists = infos.map((sp) => endpointsFor(sp, sliceIndex.get(`${sp.namespace}/${sp.serviceName}`) ?? [], c.nodeName));
  const total = endpointLists.reduce((n, eps) => n + eps.length, 0);
  const largeClusterMode = total > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;

  const ports = infos.map((sp, i) => writeServicePort(filter, nat, c, sp, endpointLists[i] ?? [], largeClusterMode));

  // The NodePort dispatch must come after every service's own rules, so a
  // cluster IP that is also local never reaches KUBE-NODEPORTS first.
  const nodePortsComment = ['-m', 'comment', '--comment', quoted('kubernetes service nodeports; NOTE: this must be the last rule in this chain')];
  if (c.nodePortsOnAllAddresses) {
    nat.append(KUBE_SERVICES, nodePortsComment, '-m', 'addrtype', '--dst-type', 'LOCAL', c.localhostNodePorts ? [] : ['!', '-d', '127.0.0.0/8'], '-j', KUBE_NODEPORTS);
  } else {
    // --nodeport-addresses: one jump per node address the CIDRs select (a loopback one only with localhost NodePorts).
    for (const ip of c.nodePortIPs) {
      if (ip.startsWith('127.') && !c.localhostNodePorts) continue;
      nat.append(KUBE_SERVICES, nodePortsComment, '-d', ip, '-j', KUBE_NODEPORTS);
    }
  }
  writeForwardChain(filter, c);
  return { filter, nat, ports, largeClusterMode };
}

function writeMasqueradeChains(nat: RestoreTable, c: ResolvedProxierConfig): void {
  const m = c.masqueradeMark;
  nat.append(KUBE_POSTROUTING, '-m', 'mark', '!', '--mark', `${m}/${m}`, '-j', 'RETURN');
  // Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
  nat.append(KUBE_POSTROUTING, '-j', 'MARK', '--xor-mark', m);
  nat.append(
    KUBE_POSTROUTING,
    '-m',
    'comment',
    '--comment',
    quoted('kubernetes service traffic requiring SNAT'),
    '-j',
    'MASQUERADE',
    c.randomFully ? ['--random-fully'] : [],
  );
  nat.append(KUBE_MARK_MASQ, '-j', 'MARK', '--or-mark', m);
}

function writeForwardChain(filter: RestoreTable, c: ResolvedProxierConfig): void {
  const m = c.masqueradeMark;
  if (!c.conntrackTCPBeLiberal) {
    // Out-of-window packets conntrack calls INVALID would otherwise be
    // forwarded un-NATed and reset the pod's connection (kubernetes#74839).
    filter.append(KUBE_FORWARD, '-m', 'conntrack', '--ctstate', 'INVALID', c.nfacct ? ['-m', 'nfacct', '--nfacct-name', CT_INVALID_COUNTER] : [], '-j', 'DROP');
  }
  // Marked (service) traffic is forwarded even when the FORWARD policy is DROP.
  filter.append(KUBE_FORWARD, '-m', 'comment', '--comment', quoted('kubernetes forwarding rules'), '-m', 'mark', '--mark', `${m}/${m}`, '-j', 'ACCEPT');
  filter.append(KUBE_FORWARD, '-m', 'comment', '--comment', quoted('kubernetes forwarding conntrack rule'), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT');
}

function writeServicePort(
  filter: RestoreTable,
  nat: RestoreTable,
  c: ResolvedProxierConfig,
  sp: ServicePortInfo,
  endpoints: ProxyEndpoint[],
  largeClusterMode: boolean,
): ServicePortPlan {
  const name = sp.nameString;
  const proto = sp.proto;
  const { cluster: clusterChain, local: localChain, external: extChain, firewall: fwChain } = sp.chains;
  const categorized = categorizeEndpoints(sp, endpoints, c.nodeZone);
  const { hasAny: hasEndpoints } = categorized;
  const plan: ServicePortPlan = { info: sp, endpoints, categorized };

  const usesClusterPolicyChain = categorized.cluster.length > 0 && usesClusterEndpoints(sp);
  const usesLocalPolicyChain = categorized.local.length > 0 && usesLocalEndpoints(sp);

  const internalChain = sp.internalPolicyLocal ? localChain : clusterChain;
  const hasInternalEndpoints = hasEndpoints && !(sp.internalPolicyLocal && categorized.local.length === 0);
  const externalPolicyChain = sp.externalPolicyLocal ? localChain : clusterChain;
  const hasExternalEndpoints = hasEndpoints && !(sp.externalPolicyLocal && categorized.local.length === 0);
  // Built whenever the service has endpoints anywhere: with eTP Local and no
  // local endpoints, pods and the node itself are still short-circuited to KUBE-SVC.
  const usesExternalChain = hasEndpoints && externallyAccessible(sp);
  const usesFwChain = hasEndpoints && sp.loadBalancerVIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  const lbChain = usesFwChain ? fwChain : extChain;

  // Nothing to send to: REJECT (no endpoints at all) or DROP (no local ones under a Local policy).
  const noEndpoints = quoted(`${name} has no endpoints`);
  const noLocal = quoted(`${name} has no local endpoints`);
  const internalFilter = hasEndpoints ? { target: 'DROP', comment: noLocal } : { target: 'REJECT', comment: noEndpoints };
  const externalFilter = internalFilter;
  const dport = String(sp.port);

  // Capture the cluster IP.
  if (hasInternalEndpoints) {
    nat.append(KUBE_SERVICES, '-m', 'comment', '--comment', quoted(`${name} cluster IP`), '-m', proto, '-p', proto, '-d', sp.clusterIP, '--dport', dport, '-j', internalChain);
    plan.internalChain = internalChain;
  } else {
    filter.append(KUBE_SERVICES, '-m', 'comment', '--comment', internalFilter.comment, '-m', proto, '-p', proto, '-d', sp.clusterIP, '--dport', dport, '-j', internalFilter.target);
  }

  // Capture external IPs.
  for (const ip of sp.externalIPs) {
    if (hasEndpoints) {
      nat.append(KUBE_SERVICES, '-m', 'comment', '--comment', quoted(`${name} external IP`), '-m', proto, '-p', proto, '-d', ip, '--dport', dport, '-j', extChain);
    }
    if (!hasExternalEndpoints) {
      filter.append(KUBE_EXTERNAL_SERVICES, '-m', 'comment', '--comment', externalFilter.comment, '-m', proto, '-p', proto, '-d', ip, '--dport', dport, '-j', externalFilter.target);
    }
  }

  // Capture load balancer ingress IPs.
  for (const ip of sp.loadBalancerVIPs) {
    if (hasEndpoints) {
      nat.append(KUBE_SERVICES, '-m', 'comment', '--comment', quoted(`${name} loadbalancer IP`), '-m', proto, '-p', proto, '-d', ip, '--dport', dport, '-j', lbChain);
    }
    if (usesFwChain) {
      // Reached only by packets KUBE-FW did not send on (and so did not DNAT).
      filter.append(KUBE_PROXY_FIREWALL, '-m', 'comment', '--comment', quoted(`${name} traffic not accepted by ${fwChain}`), '-m', proto, '-p', proto, '-d', ip, '--dport', dport, '-j', 'DROP');
    }
  }
  if (!hasExternalEndpoints) {
    for (const ip of sp.loadBalancerVIPs) {
      filter.append(KUBE_EXTERNAL_SERVICES, '-m', 'comment', '--comment', externalFilter.comment, '-m', proto, '-p', proto, '-d', ip, '--dport', dport, '-j', externalFilter.target);
    }
  }

  // Capture node ports (not subject to loadBalancerSourceRanges, for better or worse).
  if (sp.nodePort !== 0) {
    const nodePort = String(sp.nodePort);
    if (hasEndpoints) {
      if (c.localhostNodePorts && c.nfacct) {
        // Same jump, counted separately so the metric shows who uses localhost NodePorts.
        nat.append(KUBE_NODEPORTS, '-m', 'comment', '--comment', name, '-m', proto, '-p', proto, '-d', '127.0.0.0/8', '--dport', nodePort, '-m', 'nfacct', '--nfacct-name', LOCALHOST_NODEPORTS_COUNTER, '-j', extChain);
      }
      nat.append(KUBE_NODEPORTS, '-m', 'comment', '--comment', name, '-m', proto, '-p', proto, '--dport', nodePort, '-j', extChain);
    }
    if (!hasExternalEndpoints) {
      filter.append(KUBE_EXTERNAL_SERVICES, '-m', 'comment', '--comment', externalFilter.comment, '-m', 'addrtype', '--dst-type', 'LOCAL', '-m', proto, '-p', proto, '--dport', nodePort, '-j', externalFilter.target);
    }
  }

  // The load balancer's health checker must reach kube-proxy's health server whatever the endpoints.
  if (sp.healthCheckNodePort !== 0) {
    filter.append(KUBE_NODEPORTS, '-m', 'comment', '--comment', quoted(`${name} health check node port`), '-m', 'tcp', '-p', 'tcp', '--dport', String(sp.healthCheckNodePort), '-j', 'ACCEPT');
  }

  if (hasInternalEndpoints) {
    const match = ['-m', 'comment', '--comment', quoted(`${name} cluster IP`), '-m', proto, '-p', proto, '-d', sp.clusterIP, '--dport', dport];
    // Declared here because the masquerade rule is the chain's first; the
    // chain exists whenever internal endpoints do (see usesClusterPolicyChain / usesLocalPolicyChain).
    nat.declare(internalChain);
    if (c.masqueradeAll) {
      nat.append(internalChain, match, '-j', KUBE_MARK_MASQ);
    } else if (c.clusterCIDR !== '') {
      // Off-cluster clients reaching the service IP (say via a static route
      // to any node) may be answered by a pod on another node: masquerade
      // them so the reply comes back through this node.
      nat.append(internalChain, match, '!', '-s', c.clusterCIDR, '-j', KUBE_MARK_MASQ);
    }
  }

  if (usesExternalChain) {
    nat.declare(extChain);
    plan.externalChain = extChain;
    if (!sp.externalPolicyLocal) {
      // Endpoints may be on other nodes: masquerade so replies return through this node.
      nat.append(extChain, '-m', 'comment', '--comment', quoted(`masquerade traffic for ${name} external destinations`), '-j', KUBE_MARK_MASQ);
    } else {
      if (c.clusterCIDR !== '') {
        // A pod reaching an external address of the service behaves as if it
        // went out to the load balancer and back: no traffic policy applies.
        nat.append(extChain, '-m', 'comment', '--comment', quoted(`pod traffic for ${name} external destinations`), '-s', c.clusterCIDR, '-j', clusterChain);
      }
      // The node itself would use the (local) external IP as source: masquerade it, and let it use any endpoint.
      nat.append(extChain, '-m', 'comment', '--comment', quoted(`masquerade LOCAL traffic for ${name} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', KUBE_MARK_MASQ);
      nat.append(extChain, '-m', 'comment', '--comment', quoted(`route LOCAL traffic for ${name} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', clusterChain);
    }
    if (hasExternalEndpoints) nat.append(extChain, '-j', externalPolicyChain);
  }

  if (usesFwChain) {
    nat.declare(fwChain);
    plan.firewallChain = fwChain;
    const head = ['-m', 'comment', '--comment', quoted(`${name} loadbalancer IP`)];
    for (const cidr of sp.loadBalancerSourceRanges) nat.append(fwChain, head, '-s', cidr, '-j', extChain);
    // A VIP bound locally makes the node's own requests arrive with the VIP as source: let them through.
    if (rangesAllowNode(sp.loadBalancerSourceRanges, c.nodeIPs[0])) {
      for (const ip of sp.loadBalancerVIPs) nat.append(fwChain, head, '-s', ip, '-j', extChain);
    }
    // Falls through un-DNATed, so KUBE-PROXY-FIREWALL in filter drops it.
    nat.append(fwChain, '-m', 'comment', '--comment', quoted(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`));
  }

  if (usesClusterPolicyChain) {
    nat.declare(clusterChain);
    writeServiceToEndpointRules(nat, sp, clusterChain, categorized.cluster, largeClusterMode);
    plan.clusterChain = { chain: clusterChain, endpoints: categorized.cluster };
  }
  if (usesLocalPolicyChain) {
    nat.declare(localChain);
    writeServiceToEndpointRules(nat, sp, localChain, categorized.local, largeClusterMode);
    plan.localChain = { chain: localChain, endpoints: categorized.local };
  }

  for (const ep of categorized.reachable) {
    nat.declare(ep.chain);
    const head = largeClusterMode ? [] : ['-m', 'comment', '--comment', name];
    // Hairpin: a pod reaching itself through the service must be masqueraded,
    // or it would answer itself directly and the client would not recognise the reply.
    nat.append(ep.chain, head, '-s', ep.ip, '-j', KUBE_MARK_MASQ);
    const affinity = sp.sessionAffinityClientIP ? ['-m', 'recent', '--name', ep.chain, '--set'] : [];
    nat.append(ep.chain, head, affinity, '-m', proto, '-p', proto, '-j', 'DNAT', '--to-destination', ep.key);
  }
  return plan;
}

function writeServiceToEndpointRules(nat: RestoreTable, sp: ServicePortInfo, chain: string, endpoints: readonly ProxyEndpoint[], largeClusterMode: boolean): void {
  const comment = (ep: ProxyEndpoint): string[] => (largeClusterMode ? [] : ['-m', 'comment', '--comment', quoted(`${sp.nameString} -> ${ep.key}`)]);
  if (sp.sessionAffinityClientIP) {
    // A client seen recently goes back to the endpoint it used last time.
    for (const ep of endpoints) {
      nat.append(chain, comment(ep), '-m', 'recent', '--name', ep.chain, '--rcheck', '--seconds', String(sp.stickyMaxAgeSeconds), '--reap', '-j', ep.chain);
    }
  }
  const ladder = probabilityLadder(endpoints.length);
  endpoints.forEach((ep, i) => {
    const p = ladder[i];
    nat.append(chain, comment(ep), p === undefined ? [] : ['-m', 'statistic', '--mode', 'random', '--probability', p], '-j', ep.chain);
  });
}
