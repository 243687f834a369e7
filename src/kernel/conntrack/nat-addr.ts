import { addressWord, jhash2 } from './jhash.js';

/**
 * Which address of a NAT range a connection gets (nf_nat's
 * find_best_ips_proto): `--to-source A-B` or `--to-destination A-B`. Linux
 * hashes the connection's source address (jhash2 over the whole
 * nf_inet_addr, an IPv4 address followed by three zero words) with its
 * destination address as the initial value, and scales the hash onto the
 * range: a client keeps its address for one destination across connections
 * and reboots, and different clients or destinations spread over the range.
 * `--persistent` (NF_NAT_RANGE_PERSISTENT) leaves the destination out: one
 * address per client whatever it talks to.
 */

/** The addresses of a NAT target: one, or an inclusive range (host order). */
export interface NatAddressRange {
  toIp: number;
  toIpMax?: number;
  persistent?: boolean;
}

/**
 * The address for a connection whose (already destination-NATed) tuple is
 * `src → dst`, host order. For SNAT that is the original source and the
 * destination it is sent to; for DNAT the client and the original destination.
 */
export function natAddress(range: NatAddressRange, src: number, dst: number): number {
  const max = range.toIpMax;
  if (max === undefined || max === range.toIp) return range.toIp;
  // The tuple's addresses are in network byte order; jhash2 reads them as the CPU's (little-endian) words.
  const j = jhash2Addr(addressWord(src), range.persistent ? 0 : addressWord(dst));
  const dist = (max - range.toIp + 1) >>> 0;
  return (range.toIp + reciprocalScale(j, dist)) >>> 0;
}

/** reciprocal_scale: `(u32)(((u64)val * range) >> 32)`, exact without 64-bit integers. */
export function reciprocalScale(val: number, range: number): number {
  const hi = (val >>> 16) * range; // < 2^48
  const lo = (val & 0xffff) * range; // < 2^48
  return Math.floor((hi + Math.floor(lo / 65536)) / 65536);
}

/** jhash2 of the four words [addr, 0, 0, 0] (an IPv4 nf_inet_addr) with `initval`. */
export function jhash2Addr(addr: number, initval: number): number {
  return jhash2([addr, 0, 0, 0], initval);
}
