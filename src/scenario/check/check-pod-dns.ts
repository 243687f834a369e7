import { isScalar } from 'yaml';
import { MAX_DNS_NAMESERVERS, MAX_DNS_SEARCH_LIST_CHARS, MAX_DNS_SEARCH_PATHS, podResolvConf, type DnsPolicy, type PodDnsConfig } from '../../cluster/dns/resolver.js';
import { parseIpv4 } from '../../wire/addr.js';
import type { At, YamlReader } from '../load/yaml-reader.js';
import type { ClusterSpec } from '../types.js';
import type { RawPod } from './check-pod.js';
import { reservedServiceIP } from './builtin-service.js';

const POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] as const;

/** A search domain as the API server takes it since RelaxedDNSSearchValidation (GA in 1.34): a DNS-1123 subdomain whose labels may start with `_` and hold `_`. */
const SEARCH_DOMAIN = /^_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*$/;

/**
 * `spec.dnsPolicy` and `spec.dnsConfig`, checked as the API server's
 * validatePodDNSConfig does: None needs a dnsConfig with at least one
 * nameserver; at most 3 nameservers, each an IP address (IPv4 here); at
 * most 32 search domains and 2048 characters with the spaces, each `.` or
 * a subdomain (one trailing dot allowed); every option has a name.
 */
export function readPodDns(r: YamlReader, spec: Map<string, At>, specAt: At): { dnsPolicy?: DnsPolicy; dnsConfig?: PodDnsConfig } {
  const policyAt = spec.get('dnsPolicy');
  // The API server defaults an empty dnsPolicy to ClusterFirst (SetDefaults_PodSpec) before validating it.
  const dnsPolicy = policyAt && !(isScalar(policyAt.node) && policyAt.node.value === '') ? (r.oneOf(policyAt, POLICIES) as DnsPolicy | undefined) : undefined;
  const cfgAt = spec.get('dnsConfig');
  const cfg = cfgAt && cfgAt.node != null ? r.map(cfgAt, ['nameservers', 'searches', 'options']) : undefined;
  const out: { dnsPolicy?: DnsPolicy; dnsConfig?: PodDnsConfig } = dnsPolicy === undefined ? {} : { dnsPolicy };
  if (dnsPolicy === 'None' && !cfg) {
    r.problem({ node: undefined, path: `${specAt.path}.dnsConfig`, near: r.pos(policyAt!) }, 'required: must provide `dnsConfig` when `dnsPolicy` is None');
    return out;
  }
  if (!cfg) return out;
  const nsAt = cfg.get('nameservers');
  const nsItems = nsAt ? r.list(nsAt) : [];
  if (dnsPolicy === 'None' && nsItems.length === 0) r.problem(nsAt ?? { node: undefined, path: `${cfgAt!.path}.nameservers`, near: r.pos(cfgAt!) }, 'required: must provide at least one DNS nameserver when `dnsPolicy` is None');
  if (nsItems.length > MAX_DNS_NAMESERVERS) r.problem(nsAt!, `must not have more than ${MAX_DNS_NAMESERVERS} nameservers, found ${nsItems.length}`);
  const nameservers: string[] = [];
  for (const at of nsItems) {
    const v = r.str(at, true);
    if (v === undefined) continue;
    if (parseIpv4(v) !== undefined) nameservers.push(v);
    else if (v.includes(':')) r.problem(at, `expected an IPv4 address, found "${v}" (podwalk's cluster is IPv4 only)`);
    else r.problem(at, `must be a valid IP address (e.g. 10.9.8.7), found "${v}"`);
  }
  const searchAt = cfg.get('searches');
  const searchItems = searchAt ? r.list(searchAt) : [];
  const searches: string[] = [];
  for (const at of searchItems) {
    const v = r.str(at, true);
    if (v === undefined) continue;
    searches.push(v);
    const d = v === '.' ? '' : v.replace(/\.$/, '');
    if (v !== '.' && (d.length === 0 || d.length > 253 || !SEARCH_DOMAIN.test(d))) {
      r.problem(at, `expected a search domain: "." or a lowercase RFC 1123 subdomain (letters, digits, '-', '_' and '.', each label starting and ending with a letter or digit, or '_' first), at most 253 characters; found "${v}"`);
    }
  }
  if (searchItems.length > MAX_DNS_SEARCH_PATHS) r.problem(searchAt!, `must not have more than ${MAX_DNS_SEARCH_PATHS} search paths, found ${searchItems.length}`);
  const chars = searches.join(' ').length;
  if (chars > MAX_DNS_SEARCH_LIST_CHARS) r.problem(searchAt!, `must not have more than ${MAX_DNS_SEARCH_LIST_CHARS} characters (including spaces) in the search list, found ${chars}`);
  const options: PodDnsConfig['options'] = [];
  const optAt = cfg.get('options');
  for (const at of optAt ? r.list(optAt) : []) {
    const m = r.map(at, ['name', 'value']);
    if (!m) continue;
    const name = r.str(m.get('name'));
    if (name === undefined || name === '') {
      r.problem(m.get('name') ?? { node: undefined, path: `${at.path}.name`, near: r.pos(at) }, 'required: must not be empty');
      continue;
    }
    const valueAt = m.get('value');
    const raw = r.scalar(valueAt);
    // The API's value is a string; YAML's `value: 2` (a number) is read as kubectl would send it after quoting.
    const value = raw === undefined || raw === null ? undefined : typeof raw === 'string' || typeof raw === 'number' ? String(raw) : r.str(valueAt);
    options.push(value === undefined ? { name } : { name, value });
  }
  out.dnsConfig = { nameservers, searches, options };
  return out;
}

/**
 * kubelet's DNSConfigForming warning: a pod whose resolv.conf (the policy's
 * lines plus its dnsConfig) exceeds the limits gets the first 3 nameservers
 * and a shortened search line; said once per pod spec as written (a
 * template: once for all its pods).
 */
export function warnResolvConfLimits(pods: readonly RawPod[], cluster: ClusterSpec): void {
  if (!cluster.dns) return;
  const kubeDns = reservedServiceIP(cluster, 10);
  const said = new Set<At>();
  for (const p of pods) {
    if (p.builtin || (p.dnsConfig === undefined && p.dnsPolicy === undefined) || said.has(p.at)) continue;
    said.add(p.at);
    for (const w of podResolvConf(p, kubeDns).warnings) p.r.warn(p.at, `pod ${p.namespace}/${p.name}: DNSConfigForming: ${w}`);
  }
}
