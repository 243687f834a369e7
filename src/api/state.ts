import type { NetNs } from '../kernel/netns.js';
import { showAddr, showConntrack, showFdb, showIpsets, showIptables, showIpvs, showNeigh, showNft, showRoutes, showRouteCache } from '../kernel/show.js';

/** Kernel state views of one namespace, printed as the Linux tools print them, as of the current simulated time. */
export interface KernelState {
  /** `ip route` (main table); `routes('local')` for `ip route show table local`. */
  routes(table?: 'main' | 'local'): string;
  /** `ip neigh`. */
  neigh(): string;
  /** `bridge fdb` (bridges and VXLAN devices). */
  fdb(): string;
  /** `ip addr`. */
  addr(): string;
  /** `iptables-save`. */
  iptables(): string;
  /** `nft list ruleset` (empty without nftables, i.e. outside nftables mode), element timeouts as of now. */
  nft(): string;
  /** `conntrack -L`, with seconds left as of now. */
  conntrack(): string;
  /** `ipvsadm -Ln`, `-L --timeout` and `-Lnc` (empty without IPVS, i.e. outside ipvs mode). */
  ipvs(): string;
  /** `ipset list`. */
  ipsets(): string;
  /** `ip route show cache`: path MTUs learned from ICMP fragmentation needed, with their expiry. */
  routeCache(): string;
}

export function kernelState(ns: NetNs): KernelState {
  return {
    routes: (table = 'main') => showRoutes(ns, table),
    routeCache: () => showRouteCache(ns),
    neigh: () => showNeigh(ns),
    fdb: () => showFdb(ns),
    addr: () => showAddr(ns),
    iptables: () => showIptables(ns),
    nft: () => showNft(ns),
    conntrack: () => showConntrack(ns),
    ipvs: () => showIpvs(ns),
    ipsets: () => showIpsets(ns),
  };
}
