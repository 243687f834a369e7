import { formatIpv4, parseIpv4 } from '../../wire/addr.js';

/** An IPv4 prefix as numbers: network address (host bits zero) and length. */
export interface Prefix {
  net: number;
  len: number;
}

export function parsePrefix(cidr: string): Prefix | undefined {
  const [a, l] = cidr.split('/');
  const ip = a === undefined ? undefined : parseIpv4(a);
  const len = Number(l);
  if (ip === undefined || l === undefined || !/^\d{1,2}$/.test(l) || len > 32) return undefined;
  return { net: (ip & mask(len)) >>> 0, len };
}

export function formatPrefix(p: Prefix): string {
  return `${formatIpv4(p.net)}/${p.len}`;
}

export function mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export function contains(outer: Prefix, inner: Prefix): boolean {
  return inner.len >= outer.len && ((inner.net & mask(outer.len)) >>> 0) === outer.net;
}

export function containsIp(p: Prefix, ip: number): boolean {
  return ((ip & mask(p.len)) >>> 0) === p.net;
}

/**
 * `cidr` minus every `except` prefix, as the smallest list of prefixes that
 * cover the rest (what an agent loads into a hash:net set). Splitting the
 * block in halves around each hole yields at most 32 prefixes per hole.
 */
export function subtract(cidr: Prefix, except: readonly Prefix[]): Prefix[] {
  let out: Prefix[] = [cidr];
  for (const hole of except) {
    const next: Prefix[] = [];
    for (const p of out) {
      if (contains(hole, p)) continue; // the hole swallows p
      if (!contains(p, hole)) {
        next.push(p);
        continue;
      }
      // Walk down from p towards the hole, keeping the sibling half at each level.
      let cur = p;
      while (cur.len < hole.len) {
        const len = cur.len + 1;
        const lo = { net: cur.net, len };
        const hi = { net: (cur.net | (1 << (32 - len))) >>> 0, len };
        if (contains(lo, hole)) {
          next.push(hi);
          cur = lo;
        } else {
          next.push(lo);
          cur = hi;
        }
      }
    }
    out = next;
  }
  return out.sort((a, b) => a.net - b.net || a.len - b.len);
}
