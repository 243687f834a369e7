import { CATCH_ALL, requestHost } from './routing.js';
import type { IngressInput } from './types.js';

/**
 * ingress-nginx's ssl-redirect (on by default): a request that came over
 * plain http to a location with ssl-redirect, for a host that has a TLS
 * certificate, is answered with a 308 to the same URI over https (the Lua
 * rewrite phase, before any upstream is chosen).
 */

/**
 * The host names the Lua certificate store knows (the controller's
 * createServers + configureCertificates): the catch-all (it always has the
 * default certificate) and every rule host of an Ingress with a `tls`
 * section. Certificates are not modelled: a host not listed in `tls[].hosts`,
 * or whose Secret does not exist, gets the default (fake) certificate, which
 * still counts.
 */
export function certifiedHosts(ingresses: readonly IngressInput[]): Set<string> {
  const out = new Set([CATCH_ALL]);
  for (const ing of ingresses) if (ing.hasTls) for (const r of ing.rules) out.add(r.host ?? CATCH_ALL);
  return out;
}

/**
 * Whether a certificate is configured for the request's `$host` (the Host
 * header, lower case, without port or trailing dot): that name, else the
 * name with its first label made `*` (`a.example.com` → `*.example.com`).
 */
export function hasCertificate(certified: ReadonlySet<string>, hostHeader: string | undefined): boolean {
  const host = requestHost(hostHeader);
  if (certified.has(host)) return true;
  const wildcard = host.replace(/^[^.]+\./, '*.');
  return wildcard !== host && certified.has(wildcard);
}

/**
 * The Location of the redirect: `https://` + the Host header up to its
 * first `:` (case kept) + the request URI, its one trailing `/` removed
 * (preserve-trailing-slash off; `/` itself becomes nothing). No port
 * (use-port-in-redirects off).
 */
export function redirectLocation(hostHeader: string | undefined, target: string): string {
  const host = (hostHeader ?? '').split(':')[0]!;
  const uri = target.endsWith('/') ? target.slice(0, -1) : target;
  return `https://${host}${uri}`;
}
