import { formatIpv4, parseIpv4 } from '../../wire/addr.js';

/** An address with its mask, as `-s`/`-d` and set entries hold it. */
export interface AddrMask {
  net: number;
  mask: number;
}

/** Mask -> prefix length, or -1 when the mask is not contiguous. */
export function maskToPrefix(mask: number): number {
  const inv = ~mask >>> 0;
  // Contiguous masks are ones then zeros: the inverted mask plus one is a power of two.
  if (((inv + 1) & inv) !== 0) return -1;
  return countBits(mask);
}

function countBits(n: number): number {
  let c = 0;
  for (let x = n >>> 0; x !== 0; x = (x & (x - 1)) >>> 0) c++;
  return c;
}

export function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * `0` and dotted quads (the common forms xtables' inet_aton accepts). A
 * hand-rolled scan: restore parses tens of thousands of addresses.
 */
export function parseAddr(s: string): number | undefined {
  if (s === '0') return 0;
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return undefined; // no leading zeros (octal in inet_aton)
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return (n * 256 + octet) >>> 0;
}

/** `a.b.c.d[/nn|/a.b.c.d]`; the address is masked as iptables stores it. */
export function parseAddrMask(s: string): AddrMask | undefined {
  const slash = s.indexOf('/');
  const a = parseAddr(slash < 0 ? s : s.slice(0, slash));
  if (a === undefined) return undefined;
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = s.slice(slash + 1);
    if (/^[0-9]{1,2}$/.test(m) && Number(m) <= 32) mask = prefixToMask(Number(m));
    else {
      const dotted = parseIpv4(m);
      if (dotted === undefined) return undefined;
      mask = dotted;
    }
  }
  return { net: (a & mask) >>> 0, mask };
}

/** `a.b.c.d/nn`, or `a.b.c.d/m.m.m.m` for a non-contiguous mask (xtables_ipmask_to_numeric). */
export function formatAddrMask(net: number, mask: number): string {
  const p = maskToPrefix(mask);
  return `${formatIpv4(net)}/${p < 0 ? formatIpv4(mask) : p}`;
}
