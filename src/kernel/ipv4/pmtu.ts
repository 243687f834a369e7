/** net.ipv4.route.mtu_expires: a learned path MTU is forgotten after 600 s. */
export const PMTU_EXPIRES_NS = 600e9;
/** net.ipv4.route.min_pmtu: reports below 552 bytes are raised to it (and the route MTU is locked). */
export const MIN_PMTU = 552;

/** One learned path MTU (a FIB nexthop exception, `fnhe`). */
export interface PmtuEntry {
  dst: number;
  mtu: number;
  expiresNs: number;
}

/**
 * Path MTU discovery's memory (ipv4_update_pmtu / __ip_rt_update_pmtu): an
 * ICMP "fragmentation needed" about a packet this host sent lowers the MTU
 * used towards that packet's destination, per destination address, for
 * mtu_expires. Output then fragments or refuses DF packets by it, and
 * `ip route get` / `ip route show cache` print it as `cache expires Ns mtu M`.
 */
export class PmtuCache {
  private readonly byDst = new Map<number, PmtuEntry>();

  /** An ICMP frag-needed reported `mtu` for `dst`; `routeMtu` is what the route allows now. Returns whether it changed. */
  learn(dst: number, mtu: number, routeMtu: number, nowNs: number): boolean {
    const old = this.get(dst, nowNs) ?? routeMtu;
    // A report that does not lower the path MTU is ignored (the route's MTU is already smaller).
    if (mtu <= 0 || mtu >= old) return false;
    const m = mtu < MIN_PMTU ? Math.min(old, MIN_PMTU) : mtu;
    this.byDst.set(dst, { dst, mtu: m, expiresNs: nowNs + PMTU_EXPIRES_NS });
    return true;
  }

  /** The learned MTU towards `dst`, if one is still valid. */
  get(dst: number, nowNs: number): number | undefined {
    if (this.byDst.size === 0) return undefined; // asked for every replayed datagram (flowtable.ts): most caches are empty
    const e = this.byDst.get(dst);
    if (!e) return undefined;
    if (e.expiresNs <= nowNs) {
      this.byDst.delete(dst);
      return undefined;
    }
    return e.mtu;
  }

  /** Valid entries, by destination. */
  list(nowNs: number): PmtuEntry[] {
    for (const e of [...this.byDst.values()]) if (e.expiresNs <= nowNs) this.byDst.delete(e.dst);
    return [...this.byDst.values()].sort((a, b) => a.dst - b.dst);
  }

  /** `cache expires 599sec mtu 1450`, as iproute2 prints an exception. */
  static describe(e: PmtuEntry, nowNs: number): string {
    return `cache expires ${Math.max(0, Math.ceil((e.expiresNs - nowNs) / 1e9))}sec mtu ${e.mtu}`;
  }
}
