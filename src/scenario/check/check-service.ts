import { isMap, isScalar, isSeq } from 'yaml';
import { formatCidr, parseCidr, parseIpv4 } from '../../wire/addr.js';
import { labelMap } from './labels.js';
import type { L4Protocol, ServicePortSpec, ServiceSpec, ServiceType } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

const SPEC = ['type', 'selector', 'ports', 'clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'externalIPs', 'externalName', 'externalTrafficPolicy', 'internalTrafficPolicy', 'healthCheckNodePort', 'sessionAffinity', 'sessionAffinityConfig', 'loadBalancerIP', 'loadBalancerSourceRanges', 'loadBalancerClass', 'allocateLoadBalancerNodePorts', 'publishNotReadyAddresses', 'trafficDistribution'];
const PORT = ['name', 'protocol', 'appProtocol', 'port', 'targetPort', 'nodePort'];
const STATUS = ['loadBalancer', 'conditions'];
const INGRESS = ['ip', 'hostname', 'ipMode', 'ports'];
/** Service port names are DNS-1123 labels; targetPort names are IANA service names (as container port names). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const IANA_SVC_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;
const DNS_SUBDOMAIN_LABELS = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const IPV6_HINT = 'podwalk clusters are IPv4 only (IPv6 and dual-stack are not modelled)';

/** A Service as read, before cluster IPs and node ports are allocated; the Ats say where to blame. */
export interface RawService {
  spec: ServiceSpec;
  r: YamlReader;
  at: At;
  clusterIPAt?: At;
  /** Ports' `nodePort` fields, by index into spec.ports. */
  nodePortAts: (At | undefined)[];
  healthCheckAt?: At;
  /** `spec.selector`, to point a "selects no pods" warning at. */
  selectorAt?: At;
  /** `spec.ipFamilies` lists IPv4 and IPv6 (a dual-stack cluster's Service): only its IPv4 family is modelled. */
  dualStackAt?: At;
}

/** Read and validate one Service (v1) the way the API server's validation does. */
export function readService(r: YamlReader, top: Map<string, At>, at: At, namespace: string, name: string, labels: Record<string, string>): RawService | undefined {
  const specAt = top.get('spec') ?? { node: undefined, path: `${at.path}.spec`, near: r.pos(at) };
  const spec = r.map(specAt, SPEC);
  if (!spec) return undefined;
  const field = (k: string): At => spec.get(k) ?? { node: undefined, path: `${specAt.path}.${k}`, near: r.pos(specAt) };
  const type = (r.oneOf<ServiceType>(spec.get('type'), ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']) ?? 'ClusterIP') as ServiceType;
  const external = type === 'ExternalName';

  // clusterIP / clusterIPs / families: IPv4 only. A dual-stack Service as a dual-stack cluster prints it (both
  // families listed, in either order, with a cluster IP of each) is its IPv4 half: the IPv6 one is not modelled.
  const families = r.list(field('ipFamilies')).map((f) => r.oneOf(f, ['IPv4', 'IPv6'] as const));
  const dualStack = families.length === 2 && families.includes('IPv4') && families.includes('IPv6');
  const { clusterIP, clusterIPAt, headless } = readClusterIP(r, spec, type, dualStack);
  if (!dualStack) {
    r.list(field('ipFamilies')).forEach((f, i) => {
      if (families[i] === 'IPv6') r.problem(f, `IPv6: ${IPV6_HINT}`);
    });
    if (families.length > 1) r.problem(field('ipFamilies'), `expected at most one IP family, or IPv4 and IPv6 (a dual-stack Service: its IPv4 half is modelled): ${IPV6_HINT}`);
  }
  const policy = r.oneOf(spec.get('ipFamilyPolicy'), ['SingleStack', 'PreferDualStack', 'RequireDualStack'] as const);
  if (policy === 'RequireDualStack' && !dualStack) r.problem(spec.get('ipFamilyPolicy')!, `RequireDualStack needs IPv6: ${IPV6_HINT}; use SingleStack or PreferDualStack (a printed dual-stack Service lists ipFamilies: [IPv4, IPv6]: its IPv4 half is modelled)`);

  const { ports, nodePortAts } = readPorts(r, field('ports'), type, headless);
  const selectorMap = labelMap(r, spec.get('selector'));
  const selector = !external && Object.keys(selectorMap).length > 0 ? selectorMap : undefined;

  const externalIPs: string[] = [];
  for (const e of r.list(field('externalIPs'))) {
    const s = r.str(e, true);
    if (s === undefined) continue;
    if (parseIpv4(s) === undefined) r.problem(e, s.includes(':') ? `IPv6 address: ${IPV6_HINT}` : `expected an IPv4 address, found "${s}"`);
    else externalIPs.push(s);
  }

  // Only Services reachable from outside have an external traffic policy (apiservice.ExternallyAccessible).
  const externallyAccessible = type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && externalIPs.length > 0);
  const etpAt = spec.get('externalTrafficPolicy');
  const etp = r.oneOf(etpAt, ['Cluster', 'Local'] as const);
  if (etp !== undefined && !externallyAccessible) r.problem(etpAt!, `may only be set for externally-accessible Services (type NodePort or LoadBalancer, or with externalIPs); this one is ${type}`);
  const externalTrafficPolicy = externallyAccessible ? (etp ?? 'Cluster') : 'Cluster';
  const internalTrafficPolicy = r.oneOf(spec.get('internalTrafficPolicy'), ['Cluster', 'Local'] as const) ?? 'Cluster';

  const healthCheckAt = spec.get('healthCheckNodePort');
  const healthCheckNodePort = r.int(healthCheckAt, 1, 65535);
  if (healthCheckNodePort !== undefined && type !== 'LoadBalancer') r.problem(healthCheckAt!, `may only be set when type is LoadBalancer (this one is ${type})`);
  else if (healthCheckNodePort !== undefined && externalTrafficPolicy !== 'Local') r.problem(healthCheckAt!, 'may only be set when externalTrafficPolicy is Local');

  const sessionAffinity = r.oneOf(spec.get('sessionAffinity'), ['None', 'ClientIP'] as const) ?? 'None';
  const affinityTimeoutSeconds = readAffinityTimeout(r, spec.get('sessionAffinityConfig'), sessionAffinity);

  const loadBalancerSourceRanges: string[] = [];
  const lbsrAt = spec.get('loadBalancerSourceRanges');
  const ranges = r.list(field('loadBalancerSourceRanges'));
  if (ranges.length > 0 && type !== 'LoadBalancer') r.problem(lbsrAt!, `may only be used when type is LoadBalancer (this one is ${type})`);
  for (const e of ranges) {
    // kube-proxy and the API server trim spaces around each range before parsing it.
    const s = r.str(e, true)?.trim();
    if (s === undefined || s === '') continue;
    const c = parseCidr(s);
    if (!c) r.problem(e, s.includes(':') ? `IPv6 range: ${IPV6_HINT}` : `expected an IPv4 CIDR like 203.0.113.0/24, found "${s}"`);
    else loadBalancerSourceRanges.push(formatCidr(c));
  }

  const enAt = spec.get('externalName');
  const enText = r.str(enAt);
  let externalName: string | undefined;
  if (external) {
    if (enText === undefined || enText === '') r.problem(field('externalName'), 'required for type ExternalName: expected a DNS name like db.example.com');
    else if (!validDnsName(enText)) r.problem(enAt!, `expected a DNS-1123 name (lowercase labels of letters, digits and '-', joined by '.'), found "${enText}"`);
    else externalName = enText;
  } else if (enText !== undefined && enText !== '') {
    r.warn(enAt!, `externalName is ignored unless type is ExternalName (this one is ${type})`);
  }

  const alnpAt = spec.get('allocateLoadBalancerNodePorts');
  const alnp = r.bool(alnpAt);
  if (alnp !== undefined && type !== 'LoadBalancer') r.problem(alnpAt!, `may only be used when type is LoadBalancer (this one is ${type})`);
  const publishNotReadyAddresses = r.bool(spec.get('publishNotReadyAddresses')) ?? false;
  const lbIpAt = spec.get('loadBalancerIP');
  const lbIp = r.str(lbIpAt);
  if (lbIp !== undefined && lbIp !== '' && parseIpv4(lbIp) === undefined) r.problem(lbIpAt!, `expected an IPv4 address, found "${lbIp}"`);
  r.str(spec.get('loadBalancerClass'));
  const trafficDistribution = r.str(spec.get('trafficDistribution'));

  const loadBalancerIPs = readIngress(r, top.get('status'), dualStack);
  const hostnameAt = type === 'LoadBalancer' && loadBalancerIPs.length === 0 ? lbHostname(r, top.get('status')) : undefined;
  // AWS's load balancers have DNS names only: the walk reaches a load balancer at an address.
  if (hostnameAt) r.warn(hostnameAt, `Service ${namespace}/${name}: its load balancer has a hostname only (${r.str(hostnameAt)}, as AWS's ELB/NLB): podwalk reaches a load balancer at an IP, so this one is not reachable here; add status.loadBalancer.ingress[].ip (an address the underlay gateway routes) to walk it, or send to a NodePort`);
  return {
    spec: {
      namespace,
      name,
      labels,
      type,
      ...(clusterIP === undefined ? {} : { clusterIP }),
      headless,
      ports,
      ...(selector ? { selector } : {}),
      externalIPs,
      loadBalancerIPs,
      loadBalancerSourceRanges,
      externalTrafficPolicy,
      internalTrafficPolicy,
      ...(healthCheckNodePort === undefined ? {} : { healthCheckNodePort }),
      sessionAffinity,
      affinityTimeoutSeconds,
      ...(externalName === undefined ? {} : { externalName }),
      allocateLoadBalancerNodePorts: type === 'LoadBalancer' ? (alnp ?? true) : false,
      ...(trafficDistribution ? { trafficDistribution } : {}),
      publishNotReadyAddresses,
      builtin: false,
      pos: r.pos(at),
    },
    r,
    at,
    ...(clusterIPAt ? { clusterIPAt } : {}),
    nodePortAts,
    ...(healthCheckAt ? { healthCheckAt } : {}),
    ...(selector && spec.get('selector') ? { selectorAt: spec.get('selector')! } : {}),
    ...(dualStack ? { dualStackAt: field('ipFamilies') } : {}),
  };
}

/** `clusterIP` and `clusterIPs`: None (headless), an IPv4 address, or absent/"" (allocate). */
function readClusterIP(r: YamlReader, spec: Map<string, At>, type: ServiceType, dualStack: boolean): { clusterIP?: string; clusterIPAt?: At; headless: boolean } {
  const ipAt = spec.get('clusterIP');
  let ipText = r.str(ipAt);
  let at = ipAt;
  const ipsAt = spec.get('clusterIPs');
  const ips = ipsAt ? r.list(ipsAt) : [];
  if (ips.length > (dualStack ? 2 : 1)) r.problem(ipsAt!, dualStack ? 'expected at most two cluster IPs (one per family)' : `expected at most one cluster IP: ${IPV6_HINT}`);
  const first = ips[0] ? r.str(ips[0], true) : undefined;
  if (first !== undefined && ipText !== undefined && ipText !== '' && first !== ipText) r.problem(ips[0]!, `clusterIPs[0] must be the same as clusterIP (${ipText}), found ${first}`);
  if ((ipText === undefined || ipText === '') && first !== undefined) {
    ipText = first;
    at = ips[0];
  }
  // Dual-stack: the IPv4 family's address, wherever clusterIPs lists it (an IPv6-first Service's clusterIP is its IPv6 one).
  if (dualStack && ipText !== undefined && ipText.includes(':')) {
    const v4 = ips.find((x) => parseIpv4(r.str(x) ?? '') !== undefined);
    ipText = v4 ? r.str(v4) : undefined;
    at = v4;
  }
  if (ipText === undefined || ipText === '') return { headless: false };
  if (type === 'ExternalName') {
    r.problem(at!, 'must not be set for type ExternalName (an ExternalName Service is only a DNS alias)');
    return { headless: false };
  }
  if (ipText === 'None') {
    if (type !== 'ClusterIP') r.problem(at!, `may not be None (headless) for type ${type}: only ClusterIP Services can be headless`);
    return { headless: true };
  }
  if (parseIpv4(ipText) === undefined) {
    r.problem(at!, ipText.includes(':') ? `IPv6 address: ${IPV6_HINT}` : `expected an IPv4 address inside the serviceCIDR, "None" (headless) or nothing (allocated), found "${ipText}"`);
    return { headless: false };
  }
  return { clusterIP: ipText, clusterIPAt: at!, headless: false };
}

function readPorts(r: YamlReader, at: At, type: ServiceType, headless: boolean): { ports: ServicePortSpec[]; nodePortAts: (At | undefined)[] } {
  const items = r.list(at);
  if (items.length === 0 && type !== 'ExternalName' && !headless) r.problem(at, 'expected at least one port (only headless and ExternalName Services may have none)');
  const ports: ServicePortSpec[] = [];
  const nodePortAts: (At | undefined)[] = [];
  const names = new Set<string>();
  for (const item of items) {
    const m = r.map(item, PORT);
    if (!m) continue;
    const nameAt = m.get('name');
    const name = r.str(nameAt) ?? '';
    if (name === '' && items.length > 1) r.problem(nameAt ?? r.missing(item, 'name'), 'required when the Service has more than one port: expected a DNS label like http');
    else if (name !== '' && !DNS_LABEL.test(name)) r.problem(nameAt!, `expected a DNS label (lowercase letters, digits, '-'), found "${name}"`);
    else if (name !== '' && names.has(name)) r.problem(nameAt!, `duplicate port name ${name}`);
    names.add(name);
    const protocol = (r.oneOf<L4Protocol>(m.get('protocol'), ['TCP', 'UDP', 'SCTP']) ?? 'TCP') as L4Protocol;
    const portAt = m.get('port') ?? r.missing(item, 'port');
    const port = r.int(portAt, 1, 65535);
    if (!m.get('port')) r.problem(portAt, 'required, expected an integer between 1 and 65535');
    const targetPort = readTargetPort(r, m.get('targetPort'));
    const npAt = m.get('nodePort');
    const nodePort = r.int(npAt, 1, 65535);
    if (nodePort !== undefined && type !== 'NodePort' && type !== 'LoadBalancer') r.problem(npAt!, `may not be used when type is ${type} (only NodePort and LoadBalancer Services have node ports)`);
    if (port === undefined) continue;
    if (ports.some((p) => p.port === port && p.protocol === protocol)) r.problem(portAt, `duplicate port ${port}/${protocol}: each port and protocol may appear once`);
    if (nodePort !== undefined && ports.some((p) => p.nodePort === nodePort && p.protocol === protocol)) r.problem(npAt!, `duplicate nodePort ${nodePort}/${protocol} in this Service`);
    const useNodePort = nodePort !== undefined && (type === 'NodePort' || type === 'LoadBalancer');
    ports.push({ name, protocol, port, targetPort: targetPort ?? port, ...(useNodePort ? { nodePort } : {}) });
    nodePortAts.push(useNodePort ? npAt : undefined);
  }
  return { ports, nodePortAts };
}

/** An int (1-65535) or a container port name; YAML "8080" in quotes is a name, and not a valid one, as in the API. */
function readTargetPort(r: YamlReader, at: At | undefined): number | string | undefined {
  const v = r.scalar(at);
  if (v === undefined) return undefined;
  // SetDefaults_Service: a targetPort of 0 or "" is defaulted to the port (kubectl apply stores `targetPort: <port>`).
  if (v === 0 || v === '') return undefined;
  if (typeof v === 'number') return r.int(at, 1, 65535);
  const s = r.str(at);
  if (s === undefined) return undefined;
  if (!IANA_SVC_NAME.test(s)) {
    r.problem(at!, `expected a port number (1-65535) or a container port name (at most 15 lowercase letters, digits and '-', with a letter), found "${s}"`);
    return undefined;
  }
  return s;
}

function readAffinityTimeout(r: YamlReader, at: At | undefined, affinity: 'None' | 'ClientIP'): number {
  if (!at) return 10800;
  if (affinity !== 'ClientIP') r.problem(at, 'may only be set when sessionAffinity is ClientIP');
  const cfg = r.map(at, ['clientIP']);
  const client = cfg?.get('clientIP') ? r.map(cfg.get('clientIP')!, ['timeoutSeconds']) : undefined;
  return r.int(client?.get('timeoutSeconds'), 1, 86400) ?? 10800;
}

/** `status.loadBalancer.ingress[].ip`: what a cloud controller would have written. */
function readIngress(r: YamlReader, at: At | undefined, dualStack: boolean): string[] {
  const out: string[] = [];
  for (const item of ingressEntries(r, at)) {
    const m = r.map(item, INGRESS);
    const ipAt = m?.get('ip');
    const ip = r.str(ipAt);
    if (ip === undefined) continue;
    // A dual-stack Service's load balancer has an address per family: the IPv6 one goes with the IPv6 half.
    if (dualStack && ip.includes(':')) continue;
    if (parseIpv4(ip) === undefined) r.problem(ipAt!, ip.includes(':') ? `IPv6 address: ${IPV6_HINT}` : `expected an IPv4 address, found "${ip}"`);
    else out.push(ip);
  }
  return out;
}

function ingressEntries(r: YamlReader, at: At | undefined): At[] {
  const status = at ? r.map(at, STATUS) : undefined;
  const lb = status?.get('loadBalancer') ? r.map(status.get('loadBalancer')!, ['ingress']) : undefined;
  return lb?.get('ingress') ? r.list(lb.get('ingress')!) : [];
}

/** The first `hostname` of `status.loadBalancer.ingress`, if any. */
function lbHostname(r: YamlReader, at: At | undefined): At | undefined {
  // Read raw: readIngress already reported what is wrong with status and its entries.
  const get = (n: unknown, k: string): unknown => (isMap(n) ? n.get(k, true) : undefined);
  const entries = get(get(at?.node, 'loadBalancer'), 'ingress');
  if (!isSeq(entries)) return undefined;
  for (const [i, item] of entries.items.entries()) {
    const h = get(item, 'hostname');
    if (isScalar(h) && typeof h.value === 'string') return { node: h, path: `${at!.path}.loadBalancer.ingress[${i}].hostname`, near: r.pos(at!) };
  }
  return undefined;
}

/** A DNS-1123 subdomain, optionally with the root's trailing dot. */
export function validDnsName(s: string): boolean {
  const t = s.endsWith('.') ? s.slice(0, -1) : s;
  return t.length > 0 && t.length <= 253 && DNS_SUBDOMAIN_LABELS.test(t);
}
