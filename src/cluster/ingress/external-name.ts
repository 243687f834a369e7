import { answer, type ClusterDnsRecords } from '../dns/cluster-dns.js';
import { resolverLimits, searchPlan, type ResolvConfLines } from '../dns/resolver.js';
import { parseIpv4 } from '../../wire/addr.js';
import { DNS_A, DNS_CLASS_IN, DNS_RD, RCODE_NOERROR } from '../../wire/dns.js';
import type { ServiceInput } from '../spec.js';
import type { IngressBackendInput } from './types.js';

/**
 * An Ingress backend that is an `ExternalName` Service, as ingress-nginx
 * handles it: the controller posts one endpoint whose address is the name
 * (endpointslices.go getEndpointsFromSlices; it never reads EndpointSlices
 * for such a Service), and each nginx worker's Lua balancer resolves the name
 * through the DNS servers of the controller pod's resolv.conf
 * (balancer.lua resolve_external_names, util/dns.lua), again whenever its
 * cache entry has expired.
 */

/**
 * The port the controller posts (externalNamePorts, then
 * getEndpointsFromSlices's `TargetPort.IntValue()`): a backend port name is
 * looked up among the Service's port names (a targetPort that is not a
 * number falls back to that port's `port`); a number among the ports'
 * `port`s, whose targetPort is taken as it is, so a named targetPort gives
 * port 0 (no peer can be set from it); a number the Service lacks (or a
 * Service without ports) is used as it is; a name it lacks gives 0.
 */
export function externalNamePort(svc: ServiceInput, port: IngressBackendInput['port']): number {
  if ('name' in port) {
    const p = svc.ports.find((x) => x.name === port.name);
    if (p) return typeof p.targetPort === 'number' && p.targetPort !== 0 ? p.targetPort : p.port;
    // strconv.Atoi failed: the number loop looks for port 0, which no Service port has.
    return 0;
  }
  const p = svc.ports.find((x) => x.port === port.number);
  if (p) return typeof p.targetPort === 'number' ? p.targetPort : 0;
  return port.number;
}

/**
 * Why the controller posts no endpoint for the name (the backend then has
 * none: 503), or undefined: `localhost` and loopback addresses are refused
 * ("Invalid attempt to use localhost name"); a name that is not an address
 * must be a DNS-1123 subdomain once a trailing dot is cut (the API server
 * already insists on that).
 */
export function externalNameRefusal(name: string): string | undefined {
  const ip = parseIpv4(name);
  if (name === 'localhost' || (ip !== undefined && ip >>> 24 === 127)) return 'ingress-nginx refuses localhost (no endpoint)';
  return undefined;
}

/** util/dns.lua's answer for a name: the addresses, and the smallest TTL of the A records (how long its cache keeps them). */
export interface ExternalNameAnswer {
  ips: number[];
  ttlS: number;
  /** The name whose query answered (a search candidate, or the name itself). */
  asked?: string;
}

/**
 * util/dns.lua's lookup over the controller pod's resolv.conf, answered by
 * cluster DNS (CoreDNS's kubernetes plugin over `records`, the only DNS
 * server a podwalk cluster has): a name ending in a dot is asked as it is;
 * otherwise with fewer dots than `ndots` each search domain first, then the
 * name, and with at least `ndots` the name first, then the search domains.
 * The first candidate whose A query returns A records wins (a CNAME without
 * an address behind it is no answer: the next candidate is tried). The
 * AAAA query util/dns.lua sends first for each candidate finds nothing in
 * an IPv4 cluster and is not made. An IPv4 address is asked as a name too
 * (NXDOMAIN everywhere), after which, as when nothing resolved, util/dns.lua
 * hands back the name itself: undefined here. The queries are not sent as
 * packets: the answer is CoreDNS's as of the moment the worker asks.
 */
export function lookupExternalName(name: string, conf: ResolvConfLines, records: ClusterDnsRecords): ExternalNameAnswer | undefined {
  if (conf.nameservers.length === 0) return undefined;
  const { ndots } = resolverLimits(conf.options);
  // dns.lua walks the search list with the same order as glibc's res_search (searchPlan), without glibc's root-domain special case.
  const plan = searchPlan(name, conf.search, ndots).filter((c) => !c.unlessRootTried);
  for (const c of plan) {
    const reply = answer({ id: 0, flags: DNS_RD, questions: [{ name: c.name, type: DNS_A, cls: DNS_CLASS_IN }], answers: [], authority: [], additional: [] }, records);
    if ((reply.flags & 0xf) !== RCODE_NOERROR) continue;
    const a = reply.answers.filter((r) => r.data.kind === 'a');
    if (a.length === 0) continue;
    return { ips: a.map((r) => (r.data.kind === 'a' ? r.data.ip : 0)), ttlS: Math.min(...a.map((r) => r.ttl)), asked: c.name };
  }
  return undefined;
}
