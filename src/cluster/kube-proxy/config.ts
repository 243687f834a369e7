/** What kube-proxy (iptables mode, IPv4) knows about its node and how it was started. */
export interface ProxierConfig {
  /** `--hostname-override`: endpoints whose nodeName equals it are local. */
  nodeName: string;
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
}

/** ProxierConfig with every default applied. */
export interface ResolvedProxierConfig {
  nodeName: string;
  nodeIPs: string[];
  clusterCIDR: string;
  masqueradeMark: string;
  localhostNodePorts: boolean;
  masqueradeAll: boolean;
  nfacct: boolean;
  conntrackTCPBeLiberal: boolean;
  randomFully: boolean;
}

/**
 * Apply kube-proxy's defaults. The mark is printed as iptables-save prints it
 * (`0x4000`): kube-proxy itself formats it with Go's `%#08x`, which iptables
 * normalizes when it stores the rule, so the saved rule set is the same.
 */
export function resolveConfig(cfg: ProxierConfig): ResolvedProxierConfig {
  const bit = cfg.masqueradeBit ?? 14;
  if (!Number.isInteger(bit) || bit < 0 || bit > 31) throw new RangeError(`masqueradeBit ${bit} is not in 0..31`);
  return {
    nodeName: cfg.nodeName,
    nodeIPs: [...cfg.nodeIPs],
    clusterCIDR: cfg.clusterCIDR.trim(),
    masqueradeMark: `0x${(2 ** bit).toString(16)}`,
    localhostNodePorts: cfg.localhostNodePorts ?? true,
    masqueradeAll: cfg.masqueradeAll ?? false,
    nfacct: cfg.nfacct ?? true,
    conntrackTCPBeLiberal: cfg.conntrackTCPBeLiberal ?? false,
    randomFully: cfg.randomFully ?? false,
  };
}
