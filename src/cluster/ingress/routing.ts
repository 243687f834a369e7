import type { IngressBackendInput, IngressInput, PathType } from './types.js';

/**
 * How ingress-nginx turns Ingresses into nginx `server` and `location`
 * blocks, and how nginx then picks one for a request. Modelled on the
 * controller's createServers / updateServerLocations and nginx's own rules:
 *
 * - the Ingresses in the store's order (sortIngressSlice): oldest
 *   creationTimestamp first, ties (one-second resolution: objects applied
 *   together) by `namespace/name` descending; "first" below means first in it;
 * - one server per host (`_` = the catch-all for requests no host matches and
 *   rules without a host); the first Ingress that names a
 *   host creates its server, with a root location `/` that goes to that
 *   Ingress's `defaultBackend`, else to the controller's default backend (404);
 * - an Ingress with a `defaultBackend` and no rules takes the catch-all's root
 *   for good (IsDefBackend false): a later hostless `Prefix /` rule does not
 *   replace it ("location already configured"), as it replaces a host's root;
 * - a path already defined on a server (same path and pathType) keeps its
 *   first Ingress;
 * - `ImplementationSpecific` is read as `Prefix` (the controller's
 *   SetDefaultNGINXPathType rewrites it when it stores an Ingress), so it
 *   matches element-wise and collides with a `Prefix` of the same path;
 * - `Exact` is `location = /p`; `Prefix /p` becomes `location /p/` plus
 *   `location = /p` (element-wise prefix matching, as the API says);
 * - nginx: an exact location wins, else the longest matching prefix;
 * - `*.example.com` becomes `~^(?<subdomain>[\w-]+)\.example\.com$`: exactly
 *   one label, as the Ingress API defines wildcards. Exact names win over it.
 */

/** Where a location sends requests: a Service backend of an Ingress, or the controller's own default backend. */
export type LocationBackend = { kind: 'service'; namespace: string; backend: IngressBackendInput } | { kind: 'default' };

export interface Location {
  /** The nginx location path (`/p/` for a Prefix `/p`). */
  path: string;
  match: 'exact' | 'prefix';
  /** The Ingress path it came from; absent for a server's root default location. */
  rule?: { ingress: string; host?: string; path: string; pathType: PathType };
  backend: LocationBackend;
  /** `ns/name` of the Ingress whose settings (annotations) the location uses. */
  ingress?: string;
  serviceUpstream: boolean;
  /**
   * ssl-redirect applies here: the `ssl-redirect` annotation of the
   * location's Ingress (default true); always false for the catch-all
   * server's own root location, which no Ingress's annotations reach.
   */
  sslRedirect: boolean;
}

export interface Server {
  /** `_` for the catch-all server. */
  hostname: string;
  locations: Location[];
}

export const CATCH_ALL = '_';

/**
 * ingress-nginx's store order (store.go sortIngressSlice): by creationTimestamp,
 * and for equal timestamps `namespace/name` in reverse (`in > jn`). An Ingress
 * without a timestamp is created when the scenario is applied: after the ones
 * with one, and all of them in the same second.
 */
export function compareIngresses(a: IngressInput, b: IngressInput): number {
  const ca = a.created ?? Infinity;
  const cb = b.created ?? Infinity;
  if (ca !== cb) return ca < cb ? -1 : 1;
  const ka = `${a.namespace}/${a.name}`;
  const kb = `${b.namespace}/${b.name}`;
  return ka > kb ? -1 : ka < kb ? 1 : 0;
}

/** The nginx servers (sorted by name, catch-all last) for the Ingresses one controller serves (any order: sorted here as the store lists them). */
export function buildServers(unordered: readonly IngressInput[]): Server[] {
  const ingresses = [...unordered].sort(compareIngresses);
  const servers = new Map<string, Server>();
  /** Roots an Ingress's rules no longer replace: the catch-all's, once a rule-less Ingress's defaultBackend took it. */
  const claimed = new Set<Location>();
  servers.set(CATCH_ALL, { hostname: CATCH_ALL, locations: [{ path: '/', match: 'prefix', backend: { kind: 'default' }, serviceUpstream: false, sslRedirect: false }] });
  const rootOf = (s: Server): Location => s.locations.find((l) => l.path === '/' && !l.rule && l.match === 'prefix')!;
  for (const ing of ingresses) {
    const key = `${ing.namespace}/${ing.name}`;
    const dflt: LocationBackend = ing.defaultBackend ? { kind: 'service', namespace: ing.namespace, backend: ing.defaultBackend } : { kind: 'default' };
    if (ing.defaultBackend && ing.rules.length === 0) {
      const root = rootOf(servers.get(CATCH_ALL)!);
      if (!claimed.has(root)) {
        Object.assign(root, { backend: dflt, ingress: key, serviceUpstream: ing.serviceUpstream });
        claimed.add(root);
      }
    }
    for (const rule of ing.rules) {
      const host = rule.host ?? CATCH_ALL;
      if (!servers.has(host)) servers.set(host, { hostname: host, locations: [{ path: '/', match: 'prefix', backend: dflt, ingress: key, serviceUpstream: ing.serviceUpstream, sslRedirect: ing.sslRedirect }] });
    }
  }
  // Paths, in the same order: the first Ingress to define a path on a server keeps it.
  const defined = new Map<string, Set<string>>();
  for (const ing of ingresses) {
    const key = `${ing.namespace}/${ing.name}`;
    for (const rule of ing.rules) {
      const server = servers.get(rule.host ?? CATCH_ALL)!;
      let seen = defined.get(server.hostname);
      if (!seen) defined.set(server.hostname, (seen = new Set()));
      for (const p of rule.paths) {
        const path = p.path === '' ? '/' : p.path;
        const type = nginxPathType(p.pathType);
        if (seen.has(`${type} ${path}`)) continue;
        seen.add(`${type} ${path}`);
        const loc: Location = {
          path,
          match: type === 'Exact' ? 'exact' : 'prefix',
          rule: { ingress: key, ...(rule.host === undefined ? {} : { host: rule.host }), path, pathType: p.pathType },
          backend: { kind: 'service', namespace: ing.namespace, backend: p.backend },
          ingress: key,
          serviceUpstream: ing.serviceUpstream,
          sslRedirect: ing.sslRedirect,
        };
        // A rule for `/` replaces the server's root default location, unless a rule-less Ingress claimed it.
        const root = loc.match === 'prefix' && path === '/' ? server.locations.findIndex((l) => l.path === '/' && !l.rule && l.match === 'prefix') : -1;
        if (root >= 0 && claimed.has(server.locations[root]!)) continue;
        if (root >= 0) server.locations[root] = loc;
        else server.locations.push(loc);
      }
    }
  }
  for (const s of servers.values()) s.locations = splitPrefixes(s.locations);
  const named = [...servers.values()].filter((s) => s.hostname !== CATCH_ALL).sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
  return [...named, servers.get(CATCH_ALL)!];
}

/**
 * The pathType ingress-nginx routes by: SetDefaultNGINXPathType turns
 * `ImplementationSpecific` into `Prefix` before the Ingress reaches the
 * template (the rule keeps its written pathType in podwalk's events).
 */
export function nginxPathType(t: PathType): 'Exact' | 'Prefix' {
  return t === 'Exact' ? 'Exact' : 'Prefix';
}

/** updateServerLocations: `Prefix /p` → `location /p/` and, unless an Exact `/p` exists, `location = /p`. */
function splitPrefixes(locations: Location[]): Location[] {
  const exact = new Set(locations.filter((l) => l.match === 'exact').map((l) => l.path));
  const out: Location[] = [];
  for (const l of locations) {
    if (l.path === '/' || !l.rule || l.match !== 'prefix') {
      out.push(l);
      continue;
    }
    out.push({ ...l, path: l.path.endsWith('/') ? l.path : `${l.path}/` });
    if (!exact.has(l.path)) out.push({ ...l, match: 'exact' });
  }
  return out;
}

/** nginx's host of a request (ngx_http_validate_host): the Host header lower-cased, without port or trailing dot; '' without one. */
export function requestHost(hostHeader: string | undefined): string {
  return (hostHeader ?? '').toLowerCase().replace(/:\d*$/, '').replace(/\.$/, '');
}

/** The server nginx picks for a Host header: exact name, then a wildcard (one label), then the catch-all. */
export function selectServer(servers: readonly Server[], hostHeader: string | undefined): Server {
  const host = requestHost(hostHeader);
  const exact = servers.find((s) => s.hostname === host);
  if (exact) return exact;
  const wildcard = servers.find((s) => s.hostname.startsWith('*.') && matchesWildcard(s.hostname, host));
  return wildcard ?? servers.find((s) => s.hostname === CATCH_ALL)!;
}

/** `*.example.com` matches `a.example.com`, not `example.com` nor `a.b.example.com` (ingress-nginx's `[\w-]+` label). */
export function matchesWildcard(pattern: string, host: string): boolean {
  const suffix = pattern.slice(1); // `.example.com`
  if (!host.endsWith(suffix)) return false;
  return /^[\w-]+$/.test(host.slice(0, host.length - suffix.length));
}

/**
 * nginx's location choice for a request's normalised path ($uri, uri.ts):
 * an exact location wins, else the longest matching prefix.
 */
export function selectLocation(server: Server, uri: string): Location | undefined {
  const exact = server.locations.find((l) => l.match === 'exact' && l.path === uri);
  if (exact) return exact;
  let best: Location | undefined;
  for (const l of server.locations) if (l.match === 'prefix' && uri.startsWith(l.path) && (!best || l.path.length > best.path.length)) best = l;
  return best;
}

/**
 * nginx's auto redirect (ngx_http_core_find_static_location): when no
 * location is named exactly `uri` but one is named `uri/` and its handler
 * set auto_redirect, nginx answers 301 to that name instead of using any
 * shorter prefix. proxy_pass sets it in every location whose name ends in
 * `/`, and every ingress-nginx location proxies (to the Lua balancer), so a
 * `Prefix /foo/` (or `Exact /foo/`) path redirects `/foo` to `/foo/`. The
 * location it names: the exact one when both exist.
 */
export function autoRedirect(server: Server, uri: string): Location | undefined {
  if (server.locations.some((l) => l.path === uri)) return undefined;
  const named = server.locations.filter((l) => l.path === `${uri}/`);
  return named.find((l) => l.match === 'exact') ?? named[0];
}

/** The Ingress API's own definition of a Prefix match (element-wise), for documentation and tests. */
export function apiPrefixMatch(prefix: string, path: string): boolean {
  const want = prefix.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  return want.length <= have.length && want.every((e, i) => have[i] === e);
}
