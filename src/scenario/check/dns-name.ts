import { nodeResolvConf, podResolvConf, resolverLimits, searchPlan } from '../../cluster/dns/resolver.js';
import type { PodSpec, ServiceSpec } from '../types.js';

/** The cluster domain (kubelet's --cluster-domain); podwalk uses the default. */
export const CLUSTER_DOMAIN = 'cluster.local';
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i;

/** A name a resolver would send: labels of letters, digits and '-', at most 253 characters, optional trailing dot. */
export function isDnsName(s: string): boolean {
  const t = s.endsWith('.') ? s.slice(0, -1) : s;
  if (t.length === 0 || t.length > 253) return false;
  const labels = t.split('.');
  if (!labels.every((l) => LABEL.test(l))) return false;
  // An all-numeric last label is an IPv4 address gone wrong, not a host name (RFC 1123 section 2.1).
  return !/^[0-9]+$/.test(labels[labels.length - 1]!);
}

/** What res_search goes by: resolv.conf's search list and ndots (and its first nameserver, when it is not cluster DNS). */
export interface SearchConf {
  search: readonly string[];
  ndots: number;
  /** The first nameserver when it is not the cluster's DNS Service (a pod's dnsPolicy None or Default with dnsConfig). */
  firstServer?: string;
}

/** Stands for the kube-dns ClusterIP in a resolv.conf built at load time. */
const CLUSTER_DNS = '0.0.0.0';

/** The search list and ndots of a pod's resolv.conf (kubelet's; see cluster/resolver.ts), or of a node's (no search path) for anything else. */
export function searchConfOf(pod: Pick<PodSpec, 'namespace' | 'hostNetwork' | 'dnsPolicy' | 'dnsConfig'> | undefined): SearchConf {
  const conf = pod ? podResolvConf(pod, CLUSTER_DNS) : nodeResolvConf(CLUSTER_DNS);
  const first = conf.nameservers[0];
  return { search: conf.search, ndots: resolverLimits(conf.options).ndots, ...(first !== undefined && first !== CLUSTER_DNS ? { firstServer: first } : {}) };
}

/**
 * How a lookup of a name no Service answers fails when CoreDNS answers it:
 * NXDOMAIN for each name tried inside the cluster zone, SERVFAIL for one
 * outside it (CoreDNS forwards it to /etc/resolv.conf's upstream, which
 * podwalk does not have). res_search moves on after either and, when nothing
 * resolved, fails with TRY_AGAIN if any answer was SERVFAIL (getaddrinfo's
 * EAI_AGAIN), else HOST_NOT_FOUND (NXDOMAIN).
 */
export function failedLookup(name: string, conf: SearchConf): { rcode: 'NXDOMAIN' | 'SERVFAIL'; tried: { name: string; rcode: 'NXDOMAIN' | 'SERVFAIL' }[] } {
  const tried = resolverCandidates(name, conf).map((c) => {
    const n = c.replace(/\.$/, '');
    return { name: n, rcode: n === CLUSTER_DOMAIN || n.endsWith(`.${CLUSTER_DOMAIN}`) ? ('NXDOMAIN' as const) : ('SERVFAIL' as const) };
  });
  return { rcode: tried.some((t) => t.rcode === 'SERVFAIL') ? 'SERVFAIL' : 'NXDOMAIN', tried };
}

/** The names a resolver tries for `name`, in order (glibc's res_search over `conf`), lowercased. */
export function resolverCandidates(name: string, conf: SearchConf): string[] {
  return searchPlan(name.toLowerCase(), conf.search, conf.ndots)
    .filter((c) => !c.unlessRootTried)
    .map((c) => c.name);
}

/** The Service a cluster DNS name `<service>.<namespace>.svc.cluster.local` names, if that is its form. */
export function serviceOfFqdn(fqdn: string): { namespace: string; name: string } | undefined {
  const suffix = `.svc.${CLUSTER_DOMAIN}`;
  if (!fqdn.endsWith(suffix)) return undefined;
  const parts = fqdn.slice(0, -suffix.length).split('.');
  return parts.length === 2 ? { name: parts[0]!, namespace: parts[1]! } : undefined;
}

/**
 * The Service `name` resolves to with `conf` (CoreDNS answers NXDOMAIN for
 * names in the cluster zone that are no Service, and the resolver moves on
 * down the search list), or undefined.
 */
export function resolveServiceName(name: string, conf: SearchConf, services: readonly ServiceSpec[]): ServiceSpec | undefined {
  for (const c of resolverCandidates(name, conf)) {
    const ref = serviceOfFqdn(c);
    const svc = ref && services.find((s) => s.namespace === ref.namespace && s.name === ref.name);
    if (svc) return svc;
  }
  return undefined;
}

/** Namespaces every API server has. */
const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Whether a search candidate of `name` is a pod name CoreDNS answers
 * (`pods insecure`: `<a-b-c-d>.<namespace>.pod.<zone>` in a namespace that
 * exists, whatever pod has the address).
 */
export function resolvesAsPodName(name: string, conf: SearchConf, namespaces: readonly string[]): boolean {
  return resolverCandidates(name, conf).some((c) => {
    const m = /^(\d+)-(\d+)-(\d+)-(\d+)\.([^.]+)\.pod\.cluster\.local\.?$/.exec(c);
    return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && (BUILTIN_NAMESPACES.includes(m[5]!) || namespaces.includes(m[5]!));
  });
}
