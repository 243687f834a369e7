import { searchCandidates } from '../../cluster/resolver.js';
import type { ServiceSpec } from '../types.js';

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

/**
 * The names a resolver tries for `name`, in order: the pod's search path
 * (src/cluster/resolver.ts, glibc's rules with ndots:5 unless the pod's
 * dnsConfig says otherwise). Without a namespace (a node or external host
 * sending) only the name itself is tried.
 */
export function resolverCandidates(name: string, namespace: string | undefined, ndots?: number): string[] {
  const lower = name.toLowerCase();
  if (namespace === undefined || lower.endsWith('.')) return [lower.replace(/\.$/, '')];
  return searchCandidates(lower, namespace, ndots === undefined ? {} : { ndots });
}

/** The Service a cluster DNS name `<service>.<namespace>.svc.cluster.local` names, if that is its form. */
export function serviceOfFqdn(fqdn: string): { namespace: string; name: string } | undefined {
  const suffix = `.svc.${CLUSTER_DOMAIN}`;
  if (!fqdn.endsWith(suffix)) return undefined;
  const parts = fqdn.slice(0, -suffix.length).split('.');
  return parts.length === 2 ? { name: parts[0]!, namespace: parts[1]! } : undefined;
}

/**
 * The Service `name` resolves to from a pod in `namespace` (CoreDNS answers
 * NXDOMAIN for names in the cluster zone that are no Service, and the
 * resolver moves on down the search list), or undefined.
 */
export function resolveServiceName(name: string, namespace: string | undefined, services: readonly ServiceSpec[]): ServiceSpec | undefined {
  for (const c of resolverCandidates(name, namespace)) {
    const ref = serviceOfFqdn(c);
    const svc = ref && services.find((s) => s.namespace === ref.namespace && s.name === ref.name);
    if (svc) return svc;
  }
  return undefined;
}
