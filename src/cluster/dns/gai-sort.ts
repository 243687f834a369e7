import type { NetNs } from '../../kernel/netns.js';
import { prefixMask } from '../../wire/addr.js';

/**
 * glibc's getaddrinfo orders the addresses a name resolved to (rfc3484_sort,
 * RFC 3484/6724 destination address selection) before the application sees
 * them; an application that connects to the first one therefore connects to
 * this order's first. For a pod's IPv4 destinations the rules that can tell
 * two apart are:
 * - rule 1: an address with no route (connect() on a UDP socket fails: no
 *   source address) goes after those with one;
 * - rule 9, as glibc applies it to IPv4: only a destination inside the
 *   source address's own subnet (its prefix length on the device) has a
 *   common prefix; the longer it is, the earlier. Every other address counts
 *   as 0;
 * - rule 10: otherwise the order the answer gave (CoreDNS's, shuffled by
 *   `loadbalance`).
 * Scope, label and precedence (rules 2, 5, 6, 8) are the same for every
 * non-loopback, non-link-local IPv4 address, which is all a cluster has.
 * Measured with glibc 2.36 from 10.244.2.2/24: 10.244.1.9, 10.244.3.4,
 * 10.244.2.200, 10.244.2.3 come back as 10.244.2.3, 10.244.2.200, 10.244.1.9,
 * 10.244.3.4.
 */
export function sortDestinations(ns: NetNs, ips: readonly number[]): number[] {
  if (ips.length < 2) return [...ips];
  const keyed = ips.map((ip, index) => {
    const src = ns.stack.sourceFor(ip);
    const prefix = src === undefined ? 0 : (ns.addrs.find((a) => a.ip === src)?.prefix ?? 0);
    // fls() in glibc counts the leading bits the two addresses share.
    const common = prefix > 0 && src !== undefined && ((src ^ ip) & prefixMask(prefix)) === 0 ? Math.clz32(src ^ ip) : 0;
    return { ip, index, usable: src !== undefined, common };
  });
  keyed.sort((a, b) => (a.usable !== b.usable ? (a.usable ? -1 : 1) : b.common - a.common || a.index - b.index));
  return keyed.map((k) => k.ip);
}
