import { formatIpv4 } from '../../wire/addr.js';
import { RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_SERVFAIL, type DnsMessage } from '../../wire/dns.js';
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
 * option wins) over its defaults: ndots 1, 5 s, 2 tries. (kubelet writes
 * `ndots:5` for ClusterFirst: see podResolvConf.)
 */
export function resolverLimits(options: readonly string[]): ResolverLimits {
  const out: ResolverLimits = { ndots: 1, timeoutS: 5, attempts: 2 };
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

/** A pod's `spec.dnsPolicy`. */
export type DnsPolicy = 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';

/** `spec.dnsConfig` as the API server accepted it (options as `name` or `name:value`). */
export interface PodDnsConfig {
  nameservers: string[];
  searches: string[];
  options: { name: string; value?: string }[];
}

/** The lines of a resolv.conf: what the container runtime writes from kubelet's DNSConfig. */
export interface ResolvConfLines {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** kubelet's limits (pkg/apis/core/validation MaxDNSNameservers, MaxDNSSearchPaths, MaxDNSSearchListChars; the subdomain length). */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
const MAX_SEARCH_LENGTH = 253;

/**
 * The node's /etc/resolv.conf as podwalk models it (kubelet's --resolv-conf,
 * and what nodes and external hosts use themselves): the cluster DNS as the
 * only nameserver, no search path, no options. There is no upstream
 * resolver in podwalk for it to name.
 */
export function nodeResolvConf(clusterDns: string): ResolvConfLines {
  return { nameservers: [clusterDns], search: [], options: [] };
}

/**
 * kubelet's GetPodDNS (pkg/kubelet/network/dns): the resolv.conf a pod gets.
 * ClusterFirst (the default; ClusterFirstWithHostNet too, and ClusterFirst
 * only for pods not on the host network): the cluster DNS, the search path
 * `<ns>.svc.<zone> svc.<zone> <zone>` before the node's, `ndots:5`. Default
 * (and ClusterFirst on the host network): the node's resolv.conf. None:
 * nothing but the pod's dnsConfig. Then dnsConfig is appended (duplicates
 * dropped; an option replaces the one of its name) and the result cut to
 * kubelet's limits (3 nameservers; 32 search paths, none longer than 253
 * characters, 2048 in all: the last ones go), each cut reported in
 * kubelet's words (a DNSConfigForming warning event).
 */
export function podResolvConf(pod: { namespace: string; hostNetwork: boolean; dnsPolicy?: DnsPolicy; dnsConfig?: PodDnsConfig }, clusterDns: string, zone = DEFAULT_CLUSTER_ZONE): ResolvConfLines & { warnings: string[] } {
  const policy = pod.dnsPolicy ?? 'ClusterFirst';
  const cluster = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !pod.hostNetwork);
  const host = nodeResolvConf(clusterDns);
  let conf: ResolvConfLines =
    policy === 'None'
      ? { nameservers: [], search: [], options: [] }
      : cluster
        ? { nameservers: [clusterDns], search: unique([...searchList(pod.namespace, zone), ...host.search]), options: [`ndots:${CLUSTER_FIRST_NDOTS}`] }
        : host;
  const cfg = pod.dnsConfig;
  if (cfg) conf = { nameservers: unique([...conf.nameservers, ...cfg.nameservers]), search: unique([...conf.search, ...cfg.searches]), options: mergeOptions(conf.options, cfg.options) };
  const warnings: string[] = [];
  if (conf.nameservers.length > MAX_DNS_NAMESERVERS) {
    conf.nameservers = conf.nameservers.slice(0, MAX_DNS_NAMESERVERS);
    warnings.push(`Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${conf.nameservers.join(' ')}`);
  }
  let search = conf.search;
  let cut = search.length > MAX_DNS_SEARCH_PATHS;
  search = search.slice(0, MAX_DNS_SEARCH_PATHS);
  if (search.some((d) => d.length > MAX_SEARCH_LENGTH)) {
    cut = true;
    search = search.filter((d) => d.length <= MAX_SEARCH_LENGTH);
  }
  while (search.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) {
    cut = true;
    search = search.slice(0, -1);
  }
  if (cut) warnings.push(`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${search.join(' ')}`);
  return { ...conf, search, warnings };
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/** kubelet's mergeDNSOptions: by name, the pod's replacing the base's (kubelet's order is a Go map's; here the base's, then new names). */
function mergeOptions(base: readonly string[], pod: readonly { name: string; value?: string }[]): string[] {
  const byName = new Map<string, string>();
  for (const o of base) {
    const colon = o.indexOf(':');
    byName.set(colon < 0 ? o : o.slice(0, colon), colon < 0 ? '' : o.slice(colon + 1));
  }
  for (const o of pod) byName.set(o.name, o.value ?? '');
  return [...byName].map(([name, value]) => (value === '' ? name : `${name}:${value}`));
}

/** resolv.conf as the container runtime writes it (search, nameserver, options). */
export function formatResolvConf(c: ResolvConfLines): string {
  return `${c.search.length > 0 ? `search ${c.search.join(' ')}\n` : ''}${c.nameservers.map((n) => `nameserver ${n}\n`).join('')}${c.options.length > 0 ? `options ${c.options.join(' ')}\n` : ''}`;
}

/**
 * /etc/resolv.conf as a pod with dnsPolicy ClusterFirst sees it, in the
 * order containerd writes DNSConfig (search, nameserver, options).
 */
export function resolvConf(podNamespace: string, dnsIP: string | number, zone = DEFAULT_CLUSTER_ZONE): string {
  const ip = typeof dnsIP === 'number' ? formatIpv4(dnsIP) : dnsIP;
  const c = podResolvConf({ namespace: podNamespace, hostNetwork: false }, ip, zone);
  return formatResolvConf(c);
}

/** One name res_search tries, and where in its order it stands. */
export interface SearchCandidate {
  name: string;
  /** `as-is`: tried first (at least ndots dots); `search`: a search domain appended (`.` in the list: the name itself); `last`: as is, after the search list. */
  stage: 'as-is' | 'search' | 'last';
  /** A search candidate from `.` on the search list: the name itself. */
  root?: true;
  /**
   * The `last` try when `.` is on the search list: res_search sends it only
   * if the search ended before reaching `.` (root_on_list counts only the
   * domains it tried).
   */
  unlessRootTried?: true;
}

/**
 * The names glibc's res_search tries for `name` with resolv.conf's search
 * list, in order (written without the trailing dot, as they go on the
 * wire):
 * - a trailing dot makes the name absolute: only itself;
 * - with at least `ndots` dots it is tried as is first, then with each
 *   search domain;
 * - otherwise each search domain first, then as is (single-label names
 *   too: `options no-tld-query` is not set), unless the search list holds
 *   the root `.` (then the name was tried as is in its place).
 */
export function searchPlan(name: string, search: readonly string[], ndots: number): SearchCandidate[] {
  if (name.endsWith('.')) return [{ name: name.slice(0, -1), stage: 'as-is' }];
  const dots = name.split('.').length - 1;
  const out: SearchCandidate[] = [];
  if (dots >= ndots) out.push({ name, stage: 'as-is' });
  let rootOnList = false;
  for (const d of search) {
    const domain = d.startsWith('.') ? d.slice(1) : d;
    if (domain === '') rootOnList = true;
    out.push(domain === '' ? { name, stage: 'search', root: true } : { name: `${name}.${domain.replace(/\.$/, '')}`, stage: 'search' });
  }
  if (dots < ndots) out.push(rootOnList ? { name, stage: 'last', unlessRootTried: true } : { name, stage: 'last' });
  return out;
}

/**
 * The names glibc's res_search tries for `name` from a ClusterFirst pod in
 * `podNamespace` (searchPlan over kubelet's search path, ndots:5 unless
 * told). Names are sent as typed (glibc does not fold case).
 */
export function searchCandidates(name: string, podNamespace: string, opts: { ndots?: number; zone?: string } = {}): string[] {
  return searchPlan(name, searchList(podNamespace, opts.zone), opts.ndots ?? CLUSTER_FIRST_NDOTS)
    .filter((c) => !c.unlessRootTried)
    .map((c) => c.name);
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
