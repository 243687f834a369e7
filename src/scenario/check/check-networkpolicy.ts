import { contains, formatPrefix, parsePrefix, type Prefix } from '../../cluster/netpol/cidr.js';
import type { LabelSelector, NetworkPolicyInput, PolicyPeer, PolicyPort, PolicyRule, PolicyType, SelectorRequirement } from '../../cluster/netpol/types.js';
import type { SourcePos } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

/** A NetworkPolicy as the API server stores it (defaults applied), plus where it was written. */
export interface NetworkPolicySpec extends NetworkPolicyInput {
  pos: SourcePos;
}

const SPEC = ['podSelector', 'policyTypes', 'ingress', 'egress'];
const SELECTOR = ['matchLabels', 'matchExpressions'];
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
/** A label value: up to 63 characters, alphanumerics with `-_.` inside. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** A label key: optional DNS-subdomain prefix and `/`, then a name like a value (non-empty). */
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** IANA_SVC_NAME: 1-15 lowercase alphanumerics or '-', at least one letter, no '-' at either end or twice in a row. */
const SVC_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

/**
 * Reads a networking.k8s.io/v1 NetworkPolicy with the API server's
 * validation and defaulting: policyTypes defaults to Ingress, plus Egress
 * when egress rules exist; a port's protocol defaults to TCP.
 */
export function readNetworkPolicy(r: YamlReader, top: Map<string, At>, at: At, namespace: string, name: string): NetworkPolicySpec | undefined {
  const specAt = top.get('spec') ?? { node: undefined, path: `${at.path}.spec`, near: r.pos(at) };
  const spec = r.map(specAt, SPEC);
  if (!spec) return undefined;
  const field = (k: string): At => spec.get(k) ?? { node: undefined, path: `${specAt.path}.${k}`, near: r.pos(specAt) };
  const podSelector = readSelector(r, field('podSelector'));
  const ingressAt = spec.get('ingress');
  const egressAt = spec.get('egress');
  const ingress = r.list(field('ingress')).map((x) => readRule(r, x, 'from'));
  const egress = r.list(field('egress')).map((x) => readRule(r, x, 'to'));
  let policyTypes: PolicyType[] = [];
  const typesAt = spec.get('policyTypes');
  const typeItems = typesAt && typesAt.node != null ? r.list(typesAt) : [];
  // Upstream validation (ValidateNetworkPolicySpec): at most two entries, each Ingress or Egress.
  // It has no uniqueness check, so [Ingress, Ingress] is stored as written and means Ingress.
  if (typeItems.length > 2) r.problem(typesAt!, `may not specify more than two policyTypes (found ${typeItems.length})`);
  else {
    for (const t of typeItems) {
      const v = r.oneOf<PolicyType>(t, ['Ingress', 'Egress']);
      if (v !== undefined && !policyTypes.includes(v)) policyTypes.push(v);
    }
  }
  // The API's defaulting (SetDefaults_NetworkPolicy) tests len(policyTypes) == 0, so an absent
  // list and an empty one both become Ingress, plus Egress only when the policy has egress rules.
  if (typeItems.length === 0) policyTypes = egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  if (!policyTypes.includes('Ingress') && ingressAt && r.list(ingressAt).length > 0) r.warn(ingressAt, 'ingress rules are ignored: policyTypes does not list Ingress');
  if (!policyTypes.includes('Egress') && egressAt && r.list(egressAt).length > 0) r.warn(egressAt, 'egress rules are ignored: policyTypes does not list Egress');
  if (!podSelector || ingress.includes(undefined) || egress.includes(undefined)) return undefined;
  return { namespace, name, podSelector, policyTypes, ingress: ingress as PolicyRule[], egress: egress as PolicyRule[], pos: r.pos(at) };
}

function readRule(r: YamlReader, at: At, peerKey: 'from' | 'to'): PolicyRule | undefined {
  const m = r.map(at, [peerKey, 'ports']);
  if (!m) return undefined;
  const peerAt = m.get(peerKey);
  const peers = peerAt ? r.list(peerAt).map((p) => readPeer(r, p)) : [];
  const ports = m.get('ports') ? r.list(m.get('ports')!).map((p) => readPort(r, p)) : [];
  if (peers.includes(undefined) || ports.includes(undefined)) return undefined;
  return { peers: peers as PolicyPeer[], ports: ports as PolicyPort[] };
}

function readPeer(r: YamlReader, at: At): PolicyPeer | undefined {
  const m = r.map(at, ['podSelector', 'namespaceSelector', 'ipBlock']);
  if (!m) return undefined;
  const has = (k: string): boolean => m.get(k) !== undefined && m.get(k)!.node != null;
  if (!has('podSelector') && !has('namespaceSelector') && !has('ipBlock')) {
    r.problem(at, 'must specify a peer: podSelector, namespaceSelector and/or ipBlock');
    return undefined;
  }
  if (has('ipBlock') && (has('podSelector') || has('namespaceSelector'))) {
    r.problem(m.get('ipBlock')!, 'may not specify more than 1 peer type: ipBlock cannot be combined with podSelector or namespaceSelector');
    return undefined;
  }
  if (has('ipBlock')) {
    const b = r.map(m.get('ipBlock')!, ['cidr', 'except']);
    if (!b) return undefined;
    const cidrAt = b.get('cidr') ?? { node: undefined, path: `${m.get('ipBlock')!.path}.cidr`, near: r.pos(m.get('ipBlock')!) };
    const cidr = r.str(cidrAt, true);
    if (cidr === undefined) return undefined;
    const block = parsePrefix(cidr);
    if (!block) {
      r.problem(cidrAt, `expected an IPv4 CIDR like 10.0.0.0/16, found "${cidr}"${cidr.includes(':') ? ' (IPv6 is not modelled)' : leadingZeros(cidr)}`);
      return undefined;
    }
    warnAmbiguous(r, cidrAt, cidr, block);
    const except: string[] = [];
    let ok = true;
    for (const e of b.get('except') ? r.list(b.get('except')!) : []) {
      const s = r.str(e, true);
      const p = s === undefined ? undefined : parsePrefix(s);
      if (p) warnAmbiguous(r, e, s!, p);
      if (s !== undefined && !p) r.problem(e, `expected an IPv4 CIDR, found "${s}"${leadingZeros(s)}`);
      else if (p && !(contains(block, p) && p.len > block.len)) r.problem(e, `must be a strict subset of cidr ${cidr}, found ${s}`);
      if (!p || !(contains(block, p) && p.len > block.len)) ok = false;
      else except.push(s!);
    }
    return ok ? { ipBlock: { cidr, except } } : undefined;
  }
  const peer: PolicyPeer = {};
  if (has('podSelector')) {
    const s = readSelector(r, m.get('podSelector')!);
    if (!s) return undefined;
    peer.podSelector = s;
  }
  if (has('namespaceSelector')) {
    const s = readSelector(r, m.get('namespaceSelector')!);
    if (!s) return undefined;
    peer.namespaceSelector = s;
  }
  return peer;
}

/**
 * A CIDR with host bits set is valid (ipBlock is a legacy field: strict
 * parsing is the StrictIPCIDRValidation feature gate, off by default), and the
 * agents use its network; the API server stores it as written and warns, with
 * util/validation's GetWarningsForCIDR, that the meaning is unclear.
 */
function warnAmbiguous(r: YamlReader, at: At, text: string, p: Prefix): void {
  const addr = text.split('/')[0]!;
  if (parsePrefix(`${addr}/32`)!.net === p.net) return; // no host bits
  r.warn(at, `CIDR value "${text}" is ambiguous in this context (should be "${formatPrefix(p)}" or "${addr}/32"?): the block used is ${formatPrefix(p)}`);
}

/** The API server accepts octets with leading zeros in ipBlock (with a warning, as decimal); podwalk wants the canonical form. */
function leadingZeros(text: string): string {
  const [addr, len] = text.split('/');
  const octets = addr?.split('.') ?? [];
  if (octets.length !== 4 || !octets.every((o) => /^[0-9]{1,3}$/.test(o) && Number(o) <= 255) || !octets.some((o) => /^0[0-9]/.test(o))) return '';
  return ` (the API server accepts leading zeros with a warning, "non-standard CIDR value"; podwalk needs the canonical form "${octets.map(Number).join('.')}/${len ?? ''}")`;
}

function readPort(r: YamlReader, at: At): PolicyPort | undefined {
  const m = r.map(at, ['protocol', 'port', 'endPort']);
  if (!m) return undefined;
  const protocol = m.get('protocol') ? r.oneOf(m.get('protocol'), PROTOCOLS) : 'TCP';
  if (protocol === undefined) return undefined;
  const out: PolicyPort = { protocol };
  const portAt = m.get('port');
  const raw = portAt ? r.scalar(portAt) : undefined;
  if (typeof raw === 'number') {
    const n = r.int(portAt, 1, 65535);
    if (n === undefined) return undefined;
    out.port = n;
  } else if (typeof raw === 'string') {
    if (!SVC_NAME.test(raw) || !/[a-z]/.test(raw) || raw.includes('--')) {
      r.problem(portAt!, `expected a port number (1-65535) or a named port (IANA service name: up to 15 lowercase letters, digits and '-', at least one letter), found "${raw}"`);
      return undefined;
    }
    out.port = raw;
  } else if (raw !== undefined) {
    r.problem(portAt!, 'expected a port number or a named port');
    return undefined;
  }
  const endAt = m.get('endPort');
  if (endAt && endAt.node != null) {
    const end = r.int(endAt, 1, 65535);
    if (end === undefined) return undefined;
    if (out.port === undefined) {
      r.problem(endAt, 'endPort requires port to be set');
      return undefined;
    }
    if (typeof out.port === 'string') {
      r.problem(endAt, `endPort cannot be used with a named port (port: ${out.port})`);
      return undefined;
    }
    if (end < out.port) {
      r.problem(endAt, `endPort ${end} must be greater than or equal to port ${out.port}`);
      return undefined;
    }
    out.endPort = end;
  }
  return out;
}

/** metav1.LabelSelector with the API's validation of keys, values and operators. */
export function readSelector(r: YamlReader, at: At): LabelSelector | undefined {
  const m = r.map(at, SELECTOR);
  if (!m) return undefined;
  let ok = true;
  const matchLabels: Record<string, string> = {};
  const labelsAt = m.get('matchLabels');
  const lm = labelsAt ? r.map(labelsAt, null) : undefined;
  for (const [k, vAt] of lm ?? []) {
    const v = r.str(vAt) ?? '';
    if (!validKey(k)) {
      r.problem(vAt, `invalid label key "${k}": expected an optional DNS-subdomain prefix and '/', then up to 63 alphanumerics, '-', '_' or '.'`);
      ok = false;
    } else if (v.length > 63 || !LABEL_VALUE.test(v)) {
      r.problem(vAt, `invalid label value "${v}": expected up to 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`);
      ok = false;
    } else matchLabels[k] = v;
  }
  const matchExpressions: SelectorRequirement[] = [];
  for (const e of m.get('matchExpressions') ? r.list(m.get('matchExpressions')!) : []) {
    const em = r.map(e, ['key', 'operator', 'values']);
    if (!em) {
      ok = false;
      continue;
    }
    const keyAt = em.get('key') ?? { node: undefined, path: `${e.path}.key`, near: r.pos(e) };
    const key = r.str(keyAt, true);
    const opAt = em.get('operator') ?? { node: undefined, path: `${e.path}.operator`, near: r.pos(e) };
    const operator = em.get('operator') ? r.oneOf(opAt, OPERATORS) : (r.problem(opAt, `required, expected one of ${OPERATORS.join(', ')}`), undefined);
    const valueAts = em.get('values') ? r.list(em.get('values')!) : [];
    const values = valueAts.map((v) => r.str(v) ?? '');
    // ValidateLabelSelectorRequirement checks each value as a label value (AllowInvalidLabelValueInSelector is false on create).
    valueAts.forEach((vAt, i) => {
      if (values[i]!.length <= 63 && LABEL_VALUE.test(values[i]!)) return;
      r.problem(vAt, `invalid label value "${values[i]}": expected up to 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`);
      ok = false;
    });
    if (key !== undefined && !validKey(key)) r.problem(keyAt, `invalid label key "${key}"`);
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) r.problem(em.get('values') ?? e, `operator ${operator} requires a non-empty values list`);
    if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) r.problem(em.get('values')!, `operator ${operator} takes no values`);
    if (key === undefined || operator === undefined || !validKey(key) || ((operator === 'In' || operator === 'NotIn') && values.length === 0) || ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0)) {
      ok = false;
      continue;
    }
    matchExpressions.push({ key, operator, values });
  }
  return ok ? { matchLabels, matchExpressions } : undefined;
}

function validKey(k: string): boolean {
  const slash = k.indexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}
