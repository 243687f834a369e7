import { formatIpv4 } from '../wire/addr.js';
import { RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_SERVFAIL, type DnsMessage } from '../wire/dns.js';
import { DEFAULT_CLUSTER_ZONE } from './cluster-dns.js';

/**
 * A pod's stub resolver for dnsPolicy ClusterFirst: the resolv.conf kubelet
 * asks the runtime to write, and glibc's search-list rules over it.
 * The packets themselves are sent by scenario/run/dns-lookup.ts (A and
 * AAAA in parallel from one socket, as glibc does; TCP after a truncated
 * answer).
 */

/** kubelet's ClusterFirst `options ndots:5`. */
export const CLUSTER_FIRST_NDOTS = 5;

/** What a stub resolver reads from resolv.conf `options` (the rest it reads are flags: single-request, use-vc, edns0). */
export interface ResolverLimits {
  ndots: number;
  /** Seconds to wait for the answers to one try (`timeout:`; RES_TIMEOUT). */
  timeoutS: number;
  /** Tries per name (`attempts:`; RES_DFLRETRY). */
  attempts: number;
}

/**
 * glibc's res_init reading of `options ndots:N timeout:N attempts:N` (atoi,
 * then capped at RES_MAXNDOTS 15, RES_MAXRETRANS 30, RES_MAXRETRY 5; a later
 * option wins), over kubelet's ClusterFirst `ndots:5` and the defaults of 5 s
 * and 2 tries. kubelet lets the pod's `dnsConfig.options` replace its own
 * option of the same name.
 */
export function resolverLimits(options: readonly string[]): ResolverLimits {
  const out: ResolverLimits = { ndots: CLUSTER_FIRST_NDOTS, timeoutS: 5, attempts: 2 };
  for (const o of options) {
    const colon = o.indexOf(':');
    if (colon < 0) continue;
    const value = Math.max(0, atoi(o.slice(colon + 1)));
    const name = o.slice(0, colon);
    if (name === 'ndots') out.ndots = Math.min(value, 15);
    else if (name === 'timeout') out.timeoutS = Math.min(value, 30);
    else if (name === 'attempts') out.attempts = Math.min(value, 5);
  }
  return out;
}

/** C's atoi: optional blanks and sign, then digits up to the first other character; 0 without any. */
function atoi(s: string): number {
  const m = /^[ \t]*([+-]?[0-9]+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}

/** kubelet's search path for a pod in `podNamespace` (the node's own search domains, none in podwalk, would follow). */
export function searchList(podNamespace: string, zone = DEFAULT_CLUSTER_ZONE): string[] {
  return [`${podNamespace}.svc.${zone}`, `svc.${zone}`, zone];
}

/**
 * /etc/resolv.conf as a pod with dnsPolicy ClusterFirst sees it, in the
 * order containerd writes DNSConfig (search, nameserver, options).
 */
export function resolvConf(podNamespace: string, dnsIP: string | number, zone = DEFAULT_CLUSTER_ZONE): string {
  const ip = typeof dnsIP === 'number' ? formatIpv4(dnsIP) : dnsIP;
  return `search ${searchList(podNamespace, zone).join(' ')}\nnameserver ${ip}\noptions ndots:${CLUSTER_FIRST_NDOTS}\n`;
}

/**
 * The names glibc's res_search tries for `name`, in order (written without
 * the trailing dot, as they go on the wire):
 * - a trailing dot makes the name absolute: only itself;
 * - with at least `ndots` dots it is tried as is first, then with each
 *   search domain;
 * - otherwise each search domain first, then as is (single-label names
 *   too: `options no-tld-query` is not set).
 * Names are sent as typed (glibc does not fold case).
 */
export function searchCandidates(name: string, podNamespace: string, opts: { ndots?: number; zone?: string } = {}): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const dots = name.split('.').length - 1;
  const searched = searchList(podNamespace, opts.zone).map((d) => `${name}.${d}`);
  return dots >= (opts.ndots ?? CLUSTER_FIRST_NDOTS) ? [name, ...searched] : [...searched, name];
}

/**
 * What the caller does with the reply to one candidate's A query, by
 * res_query's reading of it: NOERROR with answers ends the search
 * (`found` if they hold an A record; `stop` if not, e.g. a lone CNAME to a
 * name nobody could resolve: getaddrinfo then fails without trying further
 * candidates). NXDOMAIN moves on to the next candidate, and so, as in
 * glibc (got_nodata, got_servfail), do NODATA (NOERROR, no answers) and
 * SERVFAIL; any other rcode (REFUSED, FORMERR, NOTIMP) stops. After the
 * last candidate the lookup fails.
 */
export function resolverStep(reply: DnsMessage): 'found' | 'next' | 'stop' {
  const rcode = reply.flags & 0xf;
  if (rcode === RCODE_NOERROR && reply.answers.length > 0) return reply.answers.some((r) => r.data.kind === 'a') ? 'found' : 'stop';
  return rcode === RCODE_NOERROR || rcode === RCODE_NXDOMAIN || rcode === RCODE_SERVFAIL ? 'next' : 'stop';
}
