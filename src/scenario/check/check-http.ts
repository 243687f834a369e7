/**
 * The HTTP parts of a traffic item: `http:` (the request a client sends) and
 * the expectations about what became of it (`httpStatus`, `ingressRule`,
 * `forwardedFor`).
 */
import { parseIpv4 } from '../../wire/addr.js';
import type { HttpTrafficSpec, IngressRuleExpectation } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

const HTTP = ['method', 'host', 'path', 'headers'];
const RULE = ['default', 'ingress', 'host', 'path', 'pathType', 'backend'];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A request target in origin form: `/` then visible ASCII without spaces. */
const TARGET = /^\/[\x21-\x7e]*$/;
const HOST = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?$/;
const REF = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `http: {method: GET, host: shop.example.com, path: /cart, headers: {X-Id: "1"}}`. */
export function readHttpTraffic(r: YamlReader, at: At): HttpTrafficSpec | undefined {
  const m = r.map(at, HTTP);
  if (!m) return undefined;
  let ok = true;
  const method = r.str(m.get('method')) ?? 'GET';
  if (!/^[A-Z]+$/.test(method)) {
    r.problem(m.get('method')!, `expected an HTTP method in upper case (GET, POST, HEAD ...), found "${method}"`);
    ok = false;
  }
  const host = r.str(m.get('host'));
  if (host !== undefined && !HOST.test(host)) {
    r.problem(m.get('host')!, `expected a host name or address, optionally with :port (the Host header), found "${host}"`);
    ok = false;
  }
  const path = r.str(m.get('path')) ?? '/';
  if (!TARGET.test(path)) {
    r.problem(m.get('path')!, `expected a request path starting with / (no spaces), found "${path}"`);
    ok = false;
  }
  const headers: [string, string][] = [];
  const hm = m.get('headers') ? r.map(m.get('headers')!, null) : undefined;
  for (const [k, v] of hm ?? []) {
    const value = r.str(v, true);
    if (!TOKEN.test(k)) {
      r.problem(v, `expected a header field name (a token), found "${k}"`);
      ok = false;
    } else if (k.toLowerCase() === 'host' || k.toLowerCase() === 'content-length') {
      r.problem(v, `${k} is set by the client itself (use http.host; bodies are not sent)`);
      ok = false;
    } else if (value !== undefined && /[\r\n]/.test(value)) {
      r.problem(v, 'a header value cannot contain a line break');
      ok = false;
    } else if (value !== undefined) headers.push([k, value]);
  }
  return ok ? { method, ...(host === undefined ? {} : { host }), path, headers } : undefined;
}

/** `httpStatus: 200`. */
export function expectHttpStatus(r: YamlReader, at: At | undefined): number | undefined {
  return r.int(at, 100, 599);
}

/** `forwardedFor: 10.0.0.1`: the X-Forwarded-For the backend read. */
export function expectForwardedFor(r: YamlReader, at: At | undefined): string | undefined {
  const s = r.str(at);
  if (s !== undefined && parseIpv4(s) === undefined) {
    r.problem(at!, `expected an IPv4 address, found "${s}"`);
    return undefined;
  }
  return s;
}

/** `ingressRule: ns/name` or `{default, ingress, host, path, pathType, backend}`; `ingressRule: default` = no rule path matched (a default backend took it). */
export function expectIngressRule(r: YamlReader, at: At | undefined): IngressRuleExpectation | undefined {
  const v = r.scalar(at);
  if (v === undefined) return undefined;
  if (typeof v !== 'object') {
    const s = r.str(at, true);
    if (s === undefined) return undefined;
    if (s === 'default') return { default: true };
    if (!REF.test(s)) {
      r.problem(at!, `expected an Ingress as <namespace>/<name>, "default", or a mapping {ingress, host, path, pathType, backend}, found "${s}"`);
      return undefined;
    }
    return { ingress: s };
  }
  const m = r.map(at!, RULE);
  if (!m) return undefined;
  const ingress = r.str(m.get('ingress'));
  if (ingress !== undefined && !REF.test(ingress)) r.problem(m.get('ingress')!, `expected an Ingress as <namespace>/<name>, found "${ingress}"`);
  const pathType = r.oneOf(m.get('pathType'), ['Exact', 'Prefix', 'ImplementationSpecific'] as const);
  const host = r.str(m.get('host'));
  const path = r.str(m.get('path'));
  const backend = r.str(m.get('backend'));
  const dflt = r.bool(m.get('default'));
  if (m.size === 0) r.problem(at!, 'expected default, ingress, host, path, pathType and/or backend');
  return {
    ...(dflt === undefined ? {} : { default: dflt }),
    ...(ingress === undefined ? {} : { ingress }),
    ...(host === undefined ? {} : { host }),
    ...(path === undefined ? {} : { path }),
    ...(pathType === undefined ? {} : { pathType }),
    ...(backend === undefined ? {} : { backend }),
  };
}
