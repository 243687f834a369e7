/**
 * The numeric sysctls that size or time the kernel's tables, by their Linux
 * names: how big the conntrack table may grow, how long a TCP connection's
 * entry lives in ESTABLISHED and TIME_WAIT, and the neighbour table's garbage
 * collection thresholds. Defaults are a kubeadm node's: the kernel's own, with
 * what kube-proxy sets at start (nf_conntrack_max = max(32768 x cores, 131072),
 * tcp_timeout_established 86400 s).
 */
export const KERNEL_LIMITS = {
  'net.netfilter.nf_conntrack_max': { dflt: 131072, min: 0, max: 2 ** 31 - 1 },
  'net.netfilter.nf_conntrack_tcp_timeout_established': { dflt: 86400, min: 1, max: 2 ** 31 - 1 },
  'net.netfilter.nf_conntrack_tcp_timeout_time_wait': { dflt: 120, min: 1, max: 2 ** 31 - 1 },
  'net.ipv4.neigh.default.gc_thresh1': { dflt: 128, min: 0, max: 2 ** 31 - 1 },
  'net.ipv4.neigh.default.gc_thresh2': { dflt: 512, min: 0, max: 2 ** 31 - 1 },
  'net.ipv4.neigh.default.gc_thresh3': { dflt: 1024, min: 0, max: 2 ** 31 - 1 },
  // IPVS (kernel default 0; kube-proxy's ipvs mode sets both to 1 at start, the value a kube-proxy node has):
  // a packet of a connection whose real server was deleted expires the connection instead of being dropped forever,
  'net.ipv4.vs.expire_nodest_conn': { dflt: 1, min: 0, max: 1 },
  // and a persistence template whose real server has weight 0 is expired instead of still sending the client there.
  'net.ipv4.vs.expire_quiescent_template': { dflt: 1, min: 0, max: 1 },
} as const;

export type KernelLimitName = keyof typeof KERNEL_LIMITS;
export const KERNEL_LIMIT_NAMES = Object.keys(KERNEL_LIMITS) as KernelLimitName[];

/** Values a scenario sets; the rest keep their defaults. */
export type KernelLimitsInput = Partial<Record<KernelLimitName, number>>;

export type KernelLimits = Record<KernelLimitName, number>;

export function defaultLimits(): KernelLimits {
  const out = {} as KernelLimits;
  for (const n of KERNEL_LIMIT_NAMES) out[n] = KERNEL_LIMITS[n].dflt;
  return out;
}
