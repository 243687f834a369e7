import { clusterIpPortFor, servicePortFor } from '../../cluster/ingress/backend-port.js';
import { externalNamePort, externalNameRefusal } from '../../cluster/ingress/external-name.js';
import type { IngressBackendInput, IngressClassInput, IngressInput, IngressPathInput, IngressRuleInput, PathType } from '../../cluster/ingress/types.js';
import { parseIpv4 } from '../../wire/addr.js';
import type { PodSpec, ServiceSpec, SourcePos } from '../types.js';
import { stringMap } from './check-pod.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

/** An Ingress as the API server stores it, plus where it was written. */
export interface IngressSpec extends IngressInput {
  pos: SourcePos;
}

export interface IngressClassSpec extends IngressClassInput {
  pos: SourcePos;
}

const SPEC = ['ingressClassName', 'defaultBackend', 'tls', 'rules'];
const RULE = ['host', 'http'];
const HTTP = ['paths'];
const PATH = ['path', 'pathType', 'backend'];
const BACKEND = ['service', 'resource'];
const SERVICE = ['name', 'port'];
const PORT = ['name', 'number'];
const TLS = ['hosts', 'secretName'];
const CLASS_SPEC = ['controller', 'parameters'];
const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'] as const;

/** Annotations with a meaning here. */
export const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const SERVICE_UPSTREAM_ANNOTATION = 'nginx.ingress.kubernetes.io/service-upstream';
export const SSL_REDIRECT_ANNOTATION = 'nginx.ingress.kubernetes.io/ssl-redirect';

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A Service name (DNS-1035 label). */
const DNS_LABEL_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** IANA_SVC_NAME: at most 15 lowercase alphanumerics or '-', a letter somewhere, no '-' at an end or twice in a row. */
const PORT_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;
/** `IsDomainPrefixedPath`: `example.com/anything`. */
const DOMAIN_PREFIXED_PATH = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
/** Directory traversal the API rejects in Exact and Prefix paths. */
const BAD_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const BAD_SUFFIXES = ['/..', '/.'];

/**
 * Reads a networking.k8s.io/v1 Ingress with the API server's validation
 * (ValidateIngressCreate): rules or a defaultBackend, hosts that are DNS
 * names (a leading `*.` wildcard allowed) and not IPs, at least one path per
 * `http`, a pathType on every path and paths fitting it, backends naming a
 * Service and exactly one of port name / number, TLS hosts and secret names,
 * and the class annotation agreeing with `ingressClassName`.
 */
export function readIngress(r: YamlReader, top: Map<string, At>, at: At, meta: Map<string, At> | undefined, namespace: string, name: string): IngressSpec | undefined {
  const specAt = top.get('spec') ?? { node: undefined, path: `${at.path}.spec`, near: r.pos(at) };
  const spec = r.map(specAt, SPEC);
  if (!spec) return undefined;
  const annotations = stringMap(r, meta?.get('annotations'));
  const field = (k: string): At => spec.get(k) ?? { node: undefined, path: `${specAt.path}.${k}`, near: r.pos(specAt) };
  let ok = true;
  const className = r.str(spec.get('ingressClassName'));
  if (className !== undefined && !DNS_SUBDOMAIN.test(className)) {
    r.problem(spec.get('ingressClassName')!, `expected an IngressClass name (a DNS-1123 subdomain), found "${className}"`);
    ok = false;
  }
  const classAnnotation = annotations[CLASS_ANNOTATION];
  if (classAnnotation !== undefined && className !== undefined && classAnnotation !== className) {
    r.problem(meta!.get('annotations')!, `annotation ${CLASS_ANNOTATION} "${classAnnotation}" must match ingressClassName "${className}" when both are specified`);
    ok = false;
  }
  const defaultBackend = spec.get('defaultBackend') && spec.get('defaultBackend')!.node != null ? readBackend(r, field('defaultBackend')) : undefined;
  if (defaultBackend === null) ok = false;
  const rules: IngressRuleInput[] = [];
  for (const ruleAt of r.list(field('rules'))) {
    const rule = readRule(r, ruleAt);
    if (rule) rules.push(rule);
    else ok = false;
  }
  if (rules.length === 0 && r.list(field('rules')).length === 0 && !spec.get('defaultBackend')) {
    r.problem(specAt, 'either `defaultBackend` or `rules` must be specified');
    ok = false;
  }
  const tlsHosts: string[] = [];
  for (const t of r.list(field('tls'))) {
    const m = r.map(t, TLS);
    if (!m) continue;
    for (const h of m.get('hosts') ? r.list(m.get('hosts')!) : []) {
      const host = r.str(h, true);
      if (host === undefined) continue;
      const why = hostProblem(host, false);
      if (why) {
        r.problem(h, why);
        ok = false;
      } else tlsHosts.push(host);
    }
    const secret = r.str(m.get('secretName'));
    if (secret !== undefined && secret !== '' && !DNS_SUBDOMAIN.test(secret)) {
      r.problem(m.get('secretName')!, `expected a Secret name (a DNS-1123 subdomain), found "${secret}"`);
      ok = false;
    }
  }
  const upstream = annotations[SERVICE_UPSTREAM_ANNOTATION];
  if (upstream !== undefined && upstream !== 'true' && upstream !== 'false') {
    r.warn(meta!.get('annotations')!, `annotation ${SERVICE_UPSTREAM_ANNOTATION} is "${upstream}"; ingress-nginx reads only "true" or "false" (taken as false)`);
  }
  const redirect = annotations[SSL_REDIRECT_ANNOTATION];
  if (redirect !== undefined && redirect !== 'true' && redirect !== 'false') {
    r.warn(meta!.get('annotations')!, `annotation ${SSL_REDIRECT_ANNOTATION} is "${redirect}"; ingress-nginx reads only "true" or "false" (taken as the default, true)`);
  }
  const created = readCreationTimestamp(r, meta?.get('creationTimestamp'));
  if (created === null) ok = false;
  if (!ok) return undefined;
  return {
    namespace,
    name,
    ...(created === undefined || created === null ? {} : { created }),
    ...(className === undefined ? {} : { ingressClassName: className }),
    ...(classAnnotation === undefined ? {} : { classAnnotation }),
    ...(defaultBackend ? { defaultBackend } : {}),
    rules,
    tlsHosts,
    hasTls: r.list(field('tls')).length > 0,
    serviceUpstream: upstream === 'true',
    sslRedirect: redirect !== 'false',
    pos: r.pos(at),
  };
}

/** RFC 3339 as metav1.Time reads it (Go's time.RFC3339; fractional seconds allowed). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Seconds since the epoch of an RFC 3339 time (a timestamp read from the file, not the wall clock), or NaN. */
function rfc3339Seconds(text: string): number {
  const m = RFC3339.exec(text);
  if (!m) return NaN;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const monthDays = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (mo < 1 || mo > 12 || d < 1 || d > monthDays[mo - 1]! || h > 23 || mi > 59 || sec > 59) return NaN;
  // Days from 1970-01-01 (days_from_civil).
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  const offset = m[7] === undefined ? 0 : (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 3600 + Number(m[9]) * 60);
  return days * 86400 + h * 3600 + mi * 60 + sec - offset;
}

/**
 * `metadata.creationTimestamp` in whole seconds (the API server stores it
 * with one-second resolution): ingress-nginx orders Ingresses by it. Absent
 * or null: undefined; not an RFC 3339 time: a problem, and null.
 */
function readCreationTimestamp(r: YamlReader, at: At | undefined): number | undefined | null {
  const text = r.str(at);
  if (text === undefined) return undefined;
  const seconds = rfc3339Seconds(text);
  if (Number.isNaN(seconds)) {
    r.problem(at!, `expected an RFC 3339 time (2024-01-01T00:00:00Z), found "${text}"`);
    return null;
  }
  return seconds;
}

function readRule(r: YamlReader, at: At): IngressRuleInput | undefined {
  const m = r.map(at, RULE);
  if (!m) return undefined;
  let ok = true;
  const host = r.str(m.get('host'));
  if (host !== undefined && host !== '') {
    const why = hostProblem(host, true);
    if (why) {
      r.problem(m.get('host')!, why);
      ok = false;
    }
  }
  const paths: IngressPathInput[] = [];
  const httpAt = m.get('http');
  if (httpAt && httpAt.node != null) {
    const hm = r.map(httpAt, HTTP);
    const pathsAt = hm?.get('paths') ?? { node: undefined, path: `${httpAt.path}.paths`, near: r.pos(httpAt) };
    const list = hm ? r.list(pathsAt) : [];
    if (hm && list.length === 0) {
      r.problem(pathsAt, 'required: at least one path');
      ok = false;
    }
    for (const p of list) {
      const path = readPath(r, p);
      if (path === null) ok = false;
      else if (path) paths.push(path);
    }
  }
  if (!ok) return undefined;
  return { ...(host === undefined || host === '' ? {} : { host }), paths };
}

/** A path; null = invalid, undefined = valid but not modelled (a resource backend, warned about). */
function readPath(r: YamlReader, at: At): IngressPathInput | null | undefined {
  const m = r.map(at, PATH);
  if (!m) return null;
  const typeAt = m.get('pathType') ?? { node: undefined, path: `${at.path}.pathType`, near: r.pos(at) };
  if (!m.get('pathType') || m.get('pathType')!.node == null) {
    r.problem(typeAt, 'required: pathType must be specified (Exact, Prefix or ImplementationSpecific)');
    return null;
  }
  const pathType = r.oneOf<PathType>(typeAt, PATH_TYPES);
  if (pathType === undefined) return null;
  const pathAt = m.get('path') ?? { node: undefined, path: `${at.path}.path`, near: r.pos(at) };
  const path = r.str(m.get('path')) ?? '';
  let ok = true;
  if (pathType !== 'ImplementationSpecific' || path !== '') {
    if (!path.startsWith('/')) {
      r.problem(pathAt, `must be an absolute path (starting with /), found "${path}"`);
      ok = false;
    }
  }
  if (pathType !== 'ImplementationSpecific') {
    for (const s of BAD_SEQUENCES) {
      if (path.includes(s)) {
        r.problem(pathAt, `must not contain '${s}', found "${path}"`);
        ok = false;
      }
    }
    for (const s of BAD_SUFFIXES) {
      if (path.endsWith(s)) {
        r.problem(pathAt, `cannot end with '${s}', found "${path}"`);
        ok = false;
      }
    }
  }
  const backendAt = m.get('backend') ?? { node: undefined, path: `${at.path}.backend`, near: r.pos(at) };
  if (!m.get('backend')) {
    r.problem(backendAt, 'required: a backend (service name and port)');
    return null;
  }
  const backend = readBackend(r, backendAt);
  if (backend === null || !ok) return null;
  return backend ? { path, pathType, backend } : undefined;
}

/** A backend; null = invalid, undefined = a resource backend (valid, not modelled: warned). */
function readBackend(r: YamlReader, at: At): IngressBackendInput | null | undefined {
  const m = r.map(at, BACKEND);
  if (!m) return null;
  const svcAt = m.get('service');
  const resAt = m.get('resource');
  const hasSvc = svcAt !== undefined && svcAt.node != null;
  const hasRes = resAt !== undefined && resAt.node != null;
  if (hasSvc && hasRes) {
    r.problem(at, 'cannot set both resource and service backends');
    return null;
  }
  if (hasRes) {
    r.warn(resAt, 'resource backends are not modelled: requests for this path get what ingress-nginx gives them (it ignores resource backends)');
    return undefined;
  }
  if (!hasSvc) {
    r.problem(at, 'resource or service backend is required');
    return null;
  }
  const s = r.map(svcAt, SERVICE);
  if (!s) return null;
  const nameAt = s.get('name') ?? { node: undefined, path: `${svcAt.path}.name`, near: r.pos(svcAt) };
  const name = r.str(nameAt, true);
  let ok = name !== undefined;
  if (name !== undefined && !DNS_LABEL_1035.test(name)) {
    r.problem(nameAt, `expected a Service name (a DNS-1035 label: lowercase letters, digits and '-', starting with a letter), found "${name}"`);
    ok = false;
  }
  const portAt = s.get('port') ?? { node: undefined, path: `${svcAt.path}.port`, near: r.pos(svcAt) };
  const pm = r.map(portAt, PORT);
  const portName = pm ? r.str(pm.get('name')) : undefined;
  const portNumber = pm ? r.int(pm.get('number'), 1, 65535) : undefined;
  const hasName = portName !== undefined && portName !== '';
  const hasNumber = pm?.get('number') !== undefined && pm.get('number')!.node != null;
  if (hasName && hasNumber) {
    r.problem(portAt, 'cannot set both port name & port number');
    return null;
  }
  if (hasName && !PORT_NAME.test(portName)) {
    r.problem(pm!.get('name')!, `expected a port name (at most 15 lowercase letters, digits and '-', with a letter), found "${portName}"`);
    return null;
  }
  if (!hasName && !hasNumber) {
    r.problem(portAt, 'port name or number is required');
    return null;
  }
  if (!ok || (hasNumber && portNumber === undefined)) return null;
  return { service: name!, port: hasName ? { name: portName } : { number: portNumber! } };
}

/** Why a host is not acceptable (IsDNS1123Subdomain, or IsWildcardDNS1123Subdomain when it has a `*`), or undefined. */
function hostProblem(host: string, rule: boolean): string | undefined {
  if (rule && parseIpv4(host) !== undefined) return `must be a DNS name, not an IP address, found "${host}"`;
  if (host.includes('*')) {
    if (!host.startsWith('*.') || !DNS_SUBDOMAIN.test(host.slice(2))) return `a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain (lowercase), found "${host}"`;
    return undefined;
  }
  if (!DNS_SUBDOMAIN.test(host)) return `expected a DNS-1123 subdomain (lowercase letters, digits, '-' and '.'), found "${host}"`;
  return undefined;
}

/** Reads a networking.k8s.io/v1 IngressClass (ValidateIngressClass): a controller that is a domain-prefixed path. */
export function readIngressClass(r: YamlReader, top: Map<string, At>, at: At, meta: Map<string, At> | undefined, name: string): IngressClassSpec | undefined {
  const specAt = top.get('spec') ?? { node: undefined, path: `${at.path}.spec`, near: r.pos(at) };
  const spec = r.map(specAt, CLASS_SPEC);
  if (!spec) return undefined;
  const ctrlAt = spec.get('controller') ?? { node: undefined, path: `${specAt.path}.controller`, near: r.pos(specAt) };
  const controller = r.str(ctrlAt, true);
  if (controller === undefined) return undefined;
  if (controller.length > 250 || !DOMAIN_PREFIXED_PATH.test(controller)) {
    r.problem(ctrlAt, `expected a domain-prefixed path of at most 250 characters (such as k8s.io/ingress-nginx), found "${controller}"`);
    return undefined;
  }
  const annotations = stringMap(r, meta?.get('annotations'));
  return { name, controller, isDefault: annotations[DEFAULT_CLASS_ANNOTATION] === 'true', pos: r.pos(at) };
}

/**
 * The DefaultIngressClass admission plugin: an Ingress created with neither
 * `ingressClassName` nor the class annotation gets the default class's name.
 * With more than one default class the plugin (Kubernetes 1.25 and later)
 * takes the newest, ties broken by name; podwalk has no creation times and
 * takes file order as creation order, so the last default class in the file
 * wins (`warn` is told, as it is rarely what was meant).
 */
export function admitIngresses(ingresses: IngressSpec[], classes: IngressClassSpec[], warn: (c: IngressClassSpec, message: string) => void): IngressSpec[] {
  const defaults = classes.filter((c) => c.isDefault);
  const d = defaults.at(-1);
  if (!d) return ingresses;
  if (defaults.length > 1) {
    warn(d, `${defaults.length} default IngressClasses (${defaults.map((c) => c.name).join(', ')}): the DefaultIngressClass admission plugin picks the newest, here the last in the file, ${d.name}`);
  }
  return ingresses.map((i) => (i.ingressClassName === undefined && i.classAnnotation === undefined ? { ...i, ingressClassName: d.name } : i));
}

/**
 * What is valid for the API server but will not work (worth a warning, not an
 * error: objects may be created in any order): a backend Service or port that
 * does not exist (nginx answers 503; ports match as in backend-port.ts), a
 * service-upstream port number the Service does not have (nginx connects to
 * the cluster IP on it anyway), an IngressClass that does not exist or that
 * no controller pod serves.
 */
export function ingressWarnings(ing: IngressSpec, services: readonly ServiceSpec[], classes: readonly IngressClassSpec[], pods: readonly PodSpec[]): IngressWarning[] {
  const out: IngressWarning[] = [];
  const backends = [...(ing.defaultBackend ? [ing.defaultBackend] : []), ...ing.rules.flatMap((r) => r.paths.map((p) => p.backend))];
  for (const [i, b] of backends.entries()) {
    const svc = services.find((s) => s.namespace === ing.namespace && s.name === b.service);
    const port = 'number' in b.port ? String(b.port.number) : b.port.name;
    const warn = (message: string): void => void out.push({ field: i, message });
    if (!svc) warn(`backend Service ${ing.namespace}/${b.service} does not exist: ingress-nginx answers 503 for its paths`);
    else if (svc.type === 'ExternalName') {
      // No cluster IP (service-upstream falls back) and no EndpointSlices: the name is the one endpoint.
      const refused = externalNameRefusal(svc.externalName ?? '');
      if (refused) warn(`backend Service ${ing.namespace}/${b.service} is ExternalName ${svc.externalName}: ${refused}; it answers 503 for its paths`);
      else if (externalNamePort(svc, b.port) === 0) warn(`backend Service ${ing.namespace}/${b.service} is ExternalName and port ${port} gives ingress-nginx no port number (a named targetPort, or no port of that name): nginx cannot use the endpoint and answers 502`);
    } else if (ing.serviceUpstream && clusterIpPortFor(svc, b.port) !== undefined) {
      const n = 'number' in b.port ? b.port.number : undefined;
      if (n !== undefined && !svc.ports.some((p) => p.port === n)) warn(`Service ${ing.namespace}/${b.service} has no port ${port}: with service-upstream ingress-nginx still proxies to ${svc.clusterIP}:${port}, which no kube-proxy rule serves`);
    } else if (!servicePortFor(svc.ports, b.port)) warn(`Service ${ing.namespace}/${b.service} has no port ${port} (nor a targetPort or name ${port}): ingress-nginx answers 503 for its paths`);
  }
  const controllers = pods.filter((p) => p.ingressController);
  const cls = (message: string): void => void out.push({ field: 'class', message });
  if (ing.ingressClassName !== undefined) {
    const c = classes.find((x) => x.name === ing.ingressClassName);
    if (!c) cls(`IngressClass ${ing.ingressClassName} does not exist: no controller serves this Ingress`);
    else if (!controllers.some((p) => p.ingressController!.controllerClass === c.controller)) cls(`no ingress controller pod runs with --controller-class=${c.controller} (IngressClass ${c.name}): nothing serves this Ingress`);
  } else if (ing.classAnnotation === undefined && !controllers.some((p) => p.ingressController!.watchWithoutClass)) {
    cls('no ingressClassName, no default IngressClass and no controller started with --watch-ingress-without-class: nothing serves this Ingress');
  }
  return out;
}

/** A warning about an Ingress and what it is about: its class (`spec.ingressClassName`), or its i-th backend (defaultBackend first, then each rule's paths in order). */
export interface IngressWarning {
  field: 'class' | number;
  message: string;
}

/**
 * Where in the Ingress's YAML a warning points: `spec.ingressClassName`
 * (`spec` when the class came from the default IngressClass or is absent),
 * or the backend's `service.name`, in the order ingressWarnings counts them.
 * The Ingress was read without problems, so every step is a mapping or list.
 */
export function ingressWarningAt(r: YamlReader, top: Map<string, At>, at: At, field: IngressWarning['field']): At {
  const specAt = top.get('spec');
  if (!specAt) return at;
  const spec = r.map(specAt, null) ?? new Map<string, At>();
  if (field === 'class') return spec.get('ingressClassName') ?? specAt;
  const backends: At[] = [];
  const db = spec.get('defaultBackend');
  if (db && db.node != null) backends.push(db);
  for (const ruleAt of spec.get('rules') ? r.list(spec.get('rules')!) : []) {
    const http = r.map(ruleAt, null)?.get('http');
    const paths = http && http.node != null ? r.map(http, null)?.get('paths') : undefined;
    for (const p of paths ? r.list(paths) : []) backends.push(r.map(p, null)?.get('backend') ?? p);
  }
  const b = backends[field];
  if (!b) return specAt;
  const svc = r.map(b, null)?.get('service');
  return (svc && r.map(svc, null)?.get('name')) ?? svc ?? b;
}
