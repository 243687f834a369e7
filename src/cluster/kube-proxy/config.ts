import { cidrContains, parseCidr, parseIpv4 } from '../../wire/addr.js';

/** What kube-proxy (iptables mode, IPv4) knows about its node and how it was started. */
export interface ProxierConfig {
  /** `--hostname-override`: endpoints whose nodeName equals it are local. */
  nodeName: string;
  /** The node's topology.kubernetes.io/zone label (kube-proxy watches its Node for it): which zone hints are for it. */
  nodeZone?: string;
  /** The node's own IPv4 addresses; the first is the node IP (loadBalancerSourceRanges "allow from node" check). */
  nodeIPs: string[];
  /** `--cluster-cidr` (local traffic detector LocalModeClusterCIDR); `''` = no detector. */
  clusterCIDR: string;
  /** `--iptables-masquerade-bit`, default 14 (mark 0x4000). */
  masqueradeBit?: number;
  /** `--iptables-localhost-nodeports`, default true: NodePorts answer on 127.0.0.0/8 (and KUBE-FIREWALL guards route_localnet). */
  localhostNodePorts?: boolean;
  /** `--masquerade-all`, default false: masquerade every packet to a cluster IP. */
  masqueradeAll?: boolean;
  /**
   * The kernel has the nfacct counters kube-proxy creates for its metrics
   * (xt_nfacct); default true, as in upstream's tests. When false the
   * `-m nfacct` matches and the separate localhost NodePort rules are not written.
   */
  nfacct?: boolean;
  /** `net.netfilter.nf_conntrack_tcp_be_liberal` is set: kube-proxy then writes no INVALID drop rule. Default false. */
  conntrackTCPBeLiberal?: boolean;
  /** The iptables binary supports `--random-fully` (appended to MASQUERADE). Default false, as in upstream's tests. */
  randomFully?: boolean;
  /** `--nodeport-addresses`: CIDRs or `primary`; absent/[] = NodePorts on every local address. */
  nodePortAddresses?: string[];
  /** The node's interface addresses, in interface order, that `--nodeport-addresses` CIDRs select from (default nodeIPs + 127.0.0.1). */
  localAddresses?: string[];
}

/** ProxierConfig with every default applied. */
export interface ResolvedProxierConfig {
  nodeName: string;
  /** '' when the node has no zone label (hints are then ignored). */
  nodeZone: string;
  nodeIPs: string[];
  clusterCIDR: string;
  masqueradeMark: string;
  localhostNodePorts: boolean;
  masqueradeAll: boolean;
  nfacct: boolean;
  conntrackTCPBeLiberal: boolean;
  randomFully: boolean;
  /** NodePorts answer on every local address (`--nodeport-addresses` unset or 0.0.0.0/0). */
  nodePortsOnAllAddresses: boolean;
  /** Otherwise: the node addresses the CIDRs select (upstream GetNodeIPs), one KUBE-NODEPORTS jump each. */
  nodePortIPs: string[];
}

/**
 * Apply kube-proxy's defaults. The mark is printed as iptables-save prints it
 * (`0x4000`): kube-proxy itself formats it with Go's `%#08x`, which iptables
 * normalizes when it stores the rule, so the saved rule set is the same.
 */
export function resolveConfig(cfg: ProxierConfig): ResolvedProxierConfig {
  const bit = cfg.masqueradeBit ?? 14;
  const npa = (cfg.nodePortAddresses ?? []).map((a) => (a === 'primary' ? `${cfg.nodeIPs[0] ?? '0.0.0.0'}/32` : a));
  const all = npa.length === 0 || npa.some((a) => a.endsWith('/0'));
  const local = cfg.localAddresses ?? [...cfg.nodeIPs, '127.0.0.1'];
  const nodePortIPs = all ? [] : local.filter((ip, i) => local.indexOf(ip) === i && npa.some((c) => inCidr(c, ip)));
  // Upstream (NewProxier): localhost NodePorts are off unless --nodeport-addresses lets 127.0.0.1 in.
  const loopbackAllowed = all || npa.some((c) => inCidr(c, '127.0.0.1'));
  if (!Number.isInteger(bit) || bit < 0 || bit > 31) throw new RangeError(`masqueradeBit ${bit} is not in 0..31`);
  return {
    nodeName: cfg.nodeName,
    nodeZone: cfg.nodeZone ?? '',
    nodeIPs: [...cfg.nodeIPs],
    clusterCIDR: cfg.clusterCIDR.trim(),
    masqueradeMark: `0x${(2 ** bit).toString(16)}`,
    localhostNodePorts: (cfg.localhostNodePorts ?? true) && loopbackAllowed,
    masqueradeAll: cfg.masqueradeAll ?? false,
    nfacct: cfg.nfacct ?? true,
    conntrackTCPBeLiberal: cfg.conntrackTCPBeLiberal ?? false,
    randomFully: cfg.randomFully ?? false,
    nodePortsOnAllAddresses: all,
    nodePortIPs,
  };
}

function inCidr(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const a = parseIpv4(ip);
  return c !== undefined && a !== undefined && cidrContains(c, a);
}
