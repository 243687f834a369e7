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
  const j = jhash2Addr(byteSwap(src), range.persistent ? 0 : byteSwap(dst));
  const dist = (max - range.toIp + 1) >>> 0;
  return (range.toIp + reciprocalScale(j, dist)) >>> 0;
}

/** reciprocal_scale: `(u32)(((u64)val * range) >> 32)`, exact without 64-bit integers. */
export function reciprocalScale(val: number, range: number): number {
  const hi = (val >>> 16) * range; // < 2^48
  const lo = (val & 0xffff) * range; // < 2^48
  return Math.floor((hi + Math.floor(lo / 65536)) / 65536);
}

/** jhash2 (Bob Jenkins' lookup3 hashword) of the four words [addr, 0, 0, 0] with `initval`. */
export function jhash2Addr(addr: number, initval: number): number {
  let a = (0xdeadbeef + (4 << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  // The first three words, then __jhash_mix.
  a = (a + addr) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
  // The last word (zero), then __jhash_final.
  c = (c ^ b) >>> 0; c = (c - rol32(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 24)) >>> 0;
  return c;
}

function rol32(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function byteSwap(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}
