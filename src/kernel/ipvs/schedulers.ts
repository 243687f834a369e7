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

/** ip_vs_sh / ip_vs_dh: 256 buckets filled round-robin with servers (each `weight` times), indexed by a multiplicative hash. */
function hashed(dests: readonly Dest[], addr: number): Dest | undefined {
  const live = dests.filter((d) => d.weight > 0);
  if (live.length === 0) return undefined;
  const bucket = Math.floor(((Math.imul(addr >>> 0, 2654435761) >>> 0) / 2 ** 24)) & 255;
  // Bucket b holds the server at position b in the weighted round-robin sequence.
  const seq: Dest[] = [];
  for (const d of live) for (let i = 0; i < d.weight && seq.length < 256; i++) seq.push(d);
  return seq[bucket % seq.length];
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
      return hashed(dests, pkt.src);
    case 'dh':
      return hashed(dests, pkt.dst);
  }
}
