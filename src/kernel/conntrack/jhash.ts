/**
 * linux/jhash.h's jhash2: Bob Jenkins' lookup3 hashword over 32-bit words,
 * as the kernel hashes NAT ranges (nf_nat) and ipset elements with it.
 */

/** jhash2 of 32-bit words with an initial value. */
export function jhash2(k: readonly number[], initval: number): number {
  let len = k.length;
  let a = (0xdeadbeef + (len << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  let i = 0;
  while (len > 3) {
    a = (a + k[i]!) >>> 0;
    b = (b + k[i + 1]!) >>> 0;
    c = (c + k[i + 2]!) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
    len -= 3;
    i += 3;
  }
  if (len === 0) return c;
  if (len === 3) c = (c + k[i + 2]!) >>> 0;
  if (len >= 2) b = (b + k[i + 1]!) >>> 0;
  a = (a + k[i]!) >>> 0;
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

/** A host-order IPv4 address as jhash2 reads its network-order bytes: one little-endian word. */
export function addressWord(a: number): number {
  return (((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24)) >>> 0;
}
