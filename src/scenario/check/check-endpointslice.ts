import { generatedSuffix } from '../../cluster/control-plane/generated-names.js';
import { parseIpv4 } from '../../wire/addr.js';
import type { ClusterSpec, EndpointSliceSpec, EndpointSpec, L4Protocol, ServiceSpec } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const ENDPOINT = ['addresses', 'conditions', 'hostname', 'targetRef', 'nodeName', 'zone', 'hints', 'deprecatedTopology'];
const CONDITIONS = ['ready', 'serving', 'terminating'];
const HINTS = ['forZones', 'forNodes'];
const PORT = ['name', 'protocol', 'port', 'appProtocol'];
const OBJECT_REF = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];
const SUBSET = ['addresses', 'notReadyAddresses', 'ports'];
const ENDPOINT_ADDRESS = ['ip', 'hostname', 'nodeName', 'targetRef'];

/** A hand-written slice (or one mirrored from Endpoints), waiting for its Service to be checked. */
export interface RawSlice {
  spec: EndpointSliceSpec;
  r: YamlReader;
  /** Where the service name came from (the label's value), to blame a dangling reference. */
  serviceAt: At;
  /** Mirrored from a legacy Endpoints object (skipped when the Service has a selector, as upstream). */
  mirrored: boolean;
  /** Written by the EndpointSlice controller (its managed-by label), as `kubectl get endpointslices -o yaml` prints them. */
  controllerManaged?: boolean;
}

/** The label the EndpointSlice controller puts on the slices it owns, and its value. */
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const ENDPOINTSLICE_CONTROLLER = 'endpointslice-controller.k8s.io';

/** Read one EndpointSlice (discovery.k8s.io/v1); undefined for slices kube-proxy would not use. */
export function readEndpointSlice(r: YamlReader, top: Map<string, At>, at: At, meta: Map<string, At> | undefined, namespace: string, name: string): RawSlice | undefined {
  const field = (k: string): At => top.get(k) ?? { node: undefined, path: `${at.path}.${k}`, near: r.pos(at) };
  const serviceAt = serviceNameLabel(r, top.get('metadata') ?? at, meta);
  const addressType = r.oneOf(field('addressType'), ['IPv4', 'IPv6', 'FQDN'] as const);
  if (!top.get('addressType')) r.problem(field('addressType'), 'required, expected IPv4');
  if (addressType === 'FQDN') r.warn(field('addressType'), `EndpointSlice ${namespace}/${name} is read but not used: kube-proxy ignores FQDN slices`);
  if (addressType === 'IPv6') {
    // A dual-stack Service's IPv6 slice. The EndpointSlice controller's are replaced anyway (its IPv4 ones are
    // derived again from the pods); another's is said once.
    const labels = r.map(meta?.get('labels') ?? { node: undefined, path: `${at.path}.metadata.labels`, near: r.pos(at) }, null);
    if (r.scalar(labels?.get(MANAGED_BY_LABEL)) !== ENDPOINTSLICE_CONTROLLER) r.warn(field('addressType'), `EndpointSlice ${namespace}/${name} is read but not used: podwalk clusters are IPv4 only (a dual-stack Service's IPv6 endpoints are not modelled)`);
    return undefined;
  }

  const ports: EndpointSliceSpec['ports'] = [];
  for (const p of r.list(field('ports'))) {
    const port = readPort(r, p);
    if (!port) continue;
    if (ports.some((x) => x.name === port.name)) r.problem(p, `duplicate port name "${port.name}" in this EndpointSlice`);
    ports.push(port);
  }
  const endpoints: EndpointSpec[] = [];
  for (const e of r.list(field('endpoints'))) {
    const ep = readEndpoint(r, e, namespace);
    if (ep) endpoints.push(ep);
  }
  const serviceName = r.str(serviceAt);
  if (serviceName === undefined || addressType !== 'IPv4') return undefined;
  const labels = r.map(meta?.get('labels') ?? { node: undefined, path: `${at.path}.metadata.labels`, near: r.pos(at) }, null);
  const controllerManaged = r.scalar(labels?.get(MANAGED_BY_LABEL)) === ENDPOINTSLICE_CONTROLLER;
  return { spec: { namespace, name, serviceName, ports, endpoints, derived: false, pos: r.pos(at) }, r, serviceAt, mirrored: false, controllerManaged };
}

/** `metadata.labels["kubernetes.io/service-name"]`, required: kube-proxy finds a slice's Service only by it. */
function serviceNameLabel(r: YamlReader, metaAt: At, meta: Map<string, At> | undefined): At {
  const labelsAt = meta?.get('labels') ?? { node: undefined, path: `${metaAt.path}.labels`, near: r.pos(metaAt) };
  const labels = r.map(labelsAt, null);
  const v = labels?.get(SERVICE_NAME_LABEL);
  if (v) return v;
  const missing = { node: undefined, path: `${labelsAt.path}["${SERVICE_NAME_LABEL}"]`, near: r.pos(labelsAt) };
  r.problem(missing, `required: the label ${SERVICE_NAME_LABEL} naming the Service (in the same namespace) these endpoints belong to`);
  return missing;
}

function readPort(r: YamlReader, p: At): EndpointSliceSpec['ports'][number] | undefined {
  const m = r.map(p, PORT);
  if (!m) return undefined;
  const name = r.str(m.get('name')) ?? '';
  const protocol = (r.oneOf<L4Protocol>(m.get('protocol'), ['TCP', 'UDP', 'SCTP']) ?? 'TCP') as L4Protocol;
  const port = r.int(m.get('port'), 1, 65535);
  if (!m.get('port')) {
    // The API allows it ("all ports"), but kube-proxy skips such ports.
    r.warn(p, 'a port without a number is ignored by kube-proxy');
    return undefined;
  }
  return port === undefined ? undefined : { name, port, protocol };
}

/**
 * One endpoint with the defaults consumers give an unset condition (kube-proxy's
 * EndpointSliceCache: ready nil = true, serving nil = true, terminating nil = false).
 * serving is not derived from ready: a terminating endpoint without it still serves.
 */
function readEndpoint(r: YamlReader, e: At, namespace: string): EndpointSpec | undefined {
  const m = r.map(e, ENDPOINT);
  if (!m) return undefined;
  const addrsAt = m.get('addresses') ?? r.missing(e, 'addresses');
  const addrs = r.list(addrsAt);
  if (addrs.length === 0 || addrs.length > 100) r.problem(addrsAt, `expected 1 to 100 IPv4 addresses (kube-proxy uses the first), found ${addrs.length}`);
  let ip: string | undefined;
  for (const a of addrs) {
    const s = r.str(a, true);
    if (s === undefined) continue;
    if (parseIpv4(s) === undefined) r.problem(a, `expected an IPv4 address, found "${s}"`);
    else if (specialAddress(s)) r.problem(a, specialAddress(s)!);
    else ip ??= s;
  }
  const c = m.get('conditions') ? r.map(m.get('conditions')!, CONDITIONS) : undefined;
  const ready = r.bool(c?.get('ready')) ?? true;
  const serving = r.bool(c?.get('serving')) ?? true;
  const terminating = r.bool(c?.get('terminating')) ?? false;
  const nodeName = r.str(m.get('nodeName'));
  const targetRef = m.get('targetRef') ? objectRef(r, m.get('targetRef')!, namespace) : undefined;
  const hostname = r.str(m.get('hostname'));
  const zone = r.str(m.get('zone'));
  // hints.forZones: what kube-proxy's topology filtering reads; forNodes (PreferSameNode) is read and not acted on.
  const hints = m.get('hints') ? r.map(m.get('hints')!, HINTS) : undefined;
  const names = (at: At | undefined): string[] => (at ? r.list(at).flatMap((z) => r.str(r.map(z, ['name'])?.get('name')) ?? []) : []);
  const forZones = names(hints?.get('forZones'));
  names(hints?.get('forNodes'));
  if (ip === undefined) return undefined;
  return {
    ip,
    ...(nodeName === undefined ? {} : { nodeName }),
    ...(targetRef === undefined ? {} : { targetRef }),
    ...(hostname === undefined ? {} : { hostname }),
    ready,
    serving,
    terminating,
    ...(zone ? { zone } : {}),
    ...(forZones.length > 0 ? { forZones } : {}),
  };
}

function objectRef(r: YamlReader, at: At, namespace: string): string | undefined {
  const m = r.map(at, OBJECT_REF);
  const name = r.str(m?.get('name'));
  if (name === undefined) return undefined;
  return `${r.str(m?.get('namespace')) ?? namespace}/${name}`;
}

/**
 * Why the API server refuses an endpoint address (ValidateNonSpecialIP, for EndpointSlices and Endpoints
 * alike), or undefined: the unspecified address, loopback, link-local and link-local multicast.
 */
function specialAddress(ip: string): string | undefined {
  const n = parseIpv4(ip)!;
  const why =
    n === 0 ? 'may not be unspecified (0.0.0.0)'
    : n >>> 24 === 127 ? 'may not be in the loopback range (127.0.0.0/8)'
    : n >>> 16 === 0xa9fe ? 'may not be in the link-local range (169.254.0.0/16)'
    : n >>> 8 === 0xe00000 ? 'may not be in the link-local multicast range (224.0.0.0/24)'
    : undefined;
  return why && `${ip} ${why}: the API server refuses such an endpoint address`;
}

/**
 * A legacy Endpoints (v1) object, converted the way the EndpointSlice
 * mirroring controller does: one slice per subset, `addresses` ready,
 * `notReadyAddresses` not; it sets no other condition, so kube-proxy reads
 * both as serving and neither as terminating. The object's name is its Service's.
 */
export function readEndpoints(r: YamlReader, top: Map<string, At>, at: At, nameAt: At, namespace: string, name: string): RawSlice[] {
  const out: RawSlice[] = [];
  const subsetsAt = top.get('subsets') ?? { node: undefined, path: `${at.path}.subsets`, near: r.pos(at) };
  r.list(subsetsAt).forEach((s, i) => {
    const m = r.map(s, SUBSET);
    if (!m) return;
    const ports: EndpointSliceSpec['ports'] = [];
    for (const p of m.get('ports') ? r.list(m.get('ports')!) : []) {
      const port = readPort(r, p);
      if (port) ports.push(port);
    }
    const endpoints: EndpointSpec[] = [];
    for (const [key, ready] of [['addresses', true], ['notReadyAddresses', false]] as const) {
      for (const a of m.get(key) ? r.list(m.get(key)!) : []) {
        const am = r.map(a, ENDPOINT_ADDRESS);
        if (!am) continue;
        const ipAt = am.get('ip') ?? r.missing(a, 'ip');
        const ip = r.str(ipAt, true);
        if (ip === undefined) continue;
        if (parseIpv4(ip) === undefined) {
          r.problem(ipAt, `expected an IPv4 address, found "${ip}"`);
          continue;
        }
        const special = specialAddress(ip);
        if (special) {
          r.problem(ipAt, special);
          continue;
        }
        const nodeName = r.str(am.get('nodeName'));
        const targetRef = am.get('targetRef') ? objectRef(r, am.get('targetRef')!, namespace) : undefined;
        const hostname = r.str(am.get('hostname'));
        endpoints.push({ ip, ...(nodeName === undefined ? {} : { nodeName }), ...(targetRef === undefined ? {} : { targetRef }), ...(hostname === undefined ? {} : { hostname }), ready, serving: true, terminating: false });
      }
    }
    const sliceName = `${name}-${generatedSuffix(`${namespace}/${name}/mirror/${i}`)}`;
    out.push({ spec: { namespace, name: sliceName, serviceName: name, ports, endpoints, derived: false, pos: r.pos(s) }, r, serviceAt: nameAt, mirrored: true });
  });
  return out;
}

/**
 * Tie slices to their Services: a dangling service name is a problem (kube-proxy
 * would silently never use the slice); Endpoints mirrored for a Service with a
 * selector are dropped, as the mirroring controller skips them.
 */
export function resolveSlices(raws: RawSlice[], services: ServiceSpec[], cluster: ClusterSpec): EndpointSliceSpec[] {
  const out: EndpointSliceSpec[] = [];
  const replaced: RawSlice[] = [];
  for (const raw of raws) {
    const s = raw.spec;
    const svc = services.find((x) => x.namespace === s.namespace && x.name === s.serviceName);
    if (!svc) {
      const here = services.filter((x) => x.namespace === s.namespace).map((x) => x.name);
      raw.r.problem(raw.serviceAt, `no Service ${s.namespace}/${s.serviceName} for this ${raw.mirrored ? 'Endpoints object' : 'EndpointSlice'} (Services in ${s.namespace}: ${here.join(', ') || 'none'})`);
      continue;
    }
    if (raw.mirrored && svc.selector) {
      raw.r.warn(raw.serviceAt, `Endpoints ${s.namespace}/${s.serviceName} ignored: the Service has a selector, so the EndpointSlice controller derives its endpoints (the mirroring controller skips these)`);
      continue;
    }
    // A slice printed from a live cluster names that cluster's pod IPs. For a Service with a selector its
    // owner, the EndpointSlice controller, recomputes it from the pods here, as it would reconcile on a real
    // cluster; slices other controllers manage are used beside the derived ones, as kube-proxy does.
    if (raw.controllerManaged && svc.selector && Object.keys(svc.selector).length > 0) {
      replaced.push(raw);
      continue;
    }
    for (const ep of s.endpoints) {
      if (ep.nodeName !== undefined && !cluster.nodes.some((n) => n.name === ep.nodeName)) raw.r.warn(raw.serviceAt, `endpoint ${ep.ip} names node ${ep.nodeName}, which is not in the cluster (nodes: ${cluster.nodes.map((n) => n.name).join(', ')})`);
    }
    out.push(s);
  }
  // One line: a whole cluster's `kubectl get endpointslices -A` would otherwise print one per Service.
  const first = replaced[0];
  if (first) {
    const n = replaced.length;
    const which = n === 1 ? `EndpointSlice ${first.spec.namespace}/${first.spec.name}` : `${n} EndpointSlices (${first.spec.namespace}/${first.spec.name}, ...)`;
    first.r.warn(first.serviceAt, `${which} replaced: the EndpointSlice controller manages ${n === 1 ? 'it' : 'them'} and derives ${n === 1 ? `${first.spec.serviceName}'s` : "their Services'"} endpoints from the pods podwalk runs`);
  }
  return out;
}
