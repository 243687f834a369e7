/**
 * IPVS scheduling algorithms (net/netfilter/ipvs/ip_vs_*.c), as functions of
 * the service's real servers and the packet. Only servers with weight > 0 are
 * eligible (weight 0 = quiesced), as in the kernel.
 */

export type SchedulerName = 'rr' | 'wrr' | 'lc' | 'wlc' | 'sh' | 'dh' | 'sed' | 'nq';
export const SCHEDULERS: readonly SchedulerName[] = ['rr', 'wrr', 'lc', 'wlc', 'sh', 'dh', 'sed', 'nq'];

export interface Dest {
  ip: number;
  port: number;
  weight: number;
  activeConns: number;
  inactConns: number;
  /**
   * IP_VS_DEST_F_AVAILABLE: false once the real server is deleted from its
   * service (`ipvsadm -d`). Its connections keep pointing at it until they go
   * (net.ipv4.vs.expire_nodest_conn decides how fast); absent = available.
   */
  available?: boolean;
}

/** Per-service scheduler state (rr's cursor, wrr's current weight). */
export interface SchedState {
  cursor: number;
  cw: number;
}

/** ip_vs_dest_conn_overhead: active connections weigh 256 times inactive ones. */
function overhead(d: Dest): number {
  return d.activeConns * 256 + d.inactConns;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The 256-bucket tables of ip_vs_sh and ip_vs_dh. Every real server takes
 * buckets in list order, quiesced ones included: sh gives a server `weight`
 * consecutive buckets (at least one), dh one bucket per turn. A lookup that
 * lands on a server with weight 0 finds no destination (no sh-fallback), as
 * in the kernel: the table is not rebuilt around it.
 */
function bucketTable(dests: readonly Dest[], weighted: boolean): Dest[] {
  const table: Dest[] = [];
  for (let i = 0; dests.length > 0 && table.length < 256; i = (i + 1) % dests.length) {
    const d = dests[i]!;
    const n = weighted ? Math.max(1, d.weight) : 1;
    for (let k = 0; k < n && table.length < 256; k++) table.push(d);
  }
  return table;
}

/** ip_vs_sh_hashkey: hash_32(addr, 8), the top 8 bits of addr × GOLDEN_RATIO_32 (port 0: kube-proxy sets no sh-port flag). */
export function shBucket(addr: number): number {
  return Math.imul(addr >>> 0, 0x61c88647) >>> 24;
}

/** ip_vs_dh_hashkey: the low 8 bits of addr × 2654435761. */
export function dhBucket(addr: number): number {
  return Math.imul(addr >>> 0, 2654435761) & 255;
}

function hashed(dests: readonly Dest[], bucket: number, weighted: boolean): Dest | undefined {
  const d = bucketTable(dests, weighted)[bucket];
  return d && d.weight > 0 ? d : undefined;
}

export function schedule(name: SchedulerName, dests: readonly Dest[], st: SchedState, pkt: { src: number; dst: number }): Dest | undefined {
  const live = dests.filter((d) => d.weight > 0);
  if (live.length === 0) return undefined;
  switch (name) {
    case 'rr': {
      const d = live[st.cursor % live.length]!;
      st.cursor = (st.cursor + 1) % live.length;
      return d;
    }
    case 'wrr': {
      // ip_vs_wrr_schedule: walk the list; each time round, lower the current weight by the gcd.
      const max = Math.max(...live.map((d) => d.weight));
      const step = live.map((d) => d.weight).reduce(gcd);
      for (;;) {
        st.cursor = (st.cursor + 1) % live.length;
        if (st.cursor === 0) {
          st.cw -= step;
          if (st.cw <= 0) st.cw = max;
        }
        const d = live[st.cursor]!;
        if (d.weight >= st.cw) return d;
      }
    }
    case 'lc':
      return live.reduce((best, d) => (overhead(d) < overhead(best) ? d : best));
    case 'wlc':
      // Least overhead per weight; compared by cross-multiplying, as the kernel does.
      return live.reduce((best, d) => (overhead(d) * best.weight < overhead(best) * d.weight ? d : best));
    case 'sed':
      return live.reduce((best, d) => ((d.activeConns + 1) * best.weight < (best.activeConns + 1) * d.weight ? d : best));
    case 'nq':
      return live.find((d) => d.activeConns === 0) ?? live.reduce((best, d) => ((d.activeConns + 1) * best.weight < (best.activeConns + 1) * d.weight ? d : best));
    case 'sh':
      return hashed(dests, shBucket(pkt.src), true);
    case 'dh':
      return hashed(dests, dhBucket(pkt.dst), false);
  }
}
