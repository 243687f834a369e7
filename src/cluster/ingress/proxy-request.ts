import { header, type HttpRequest } from '../../wire/http.js';

/** Where nginx read the client's request: the peer address, nginx's listening port, and that port's scheme. */
export interface ClientSide {
  remote: string;
  port: number;
  scheme: 'http' | 'https';
}

/**
 * The request ingress-nginx's nginx sends upstream. First the location's
 * `proxy_set_header` lines in nginx.tmpl's order, then nginx's own default
 * headers (ngx_http_proxy_module, 1.27: only Content-Length has a value
 * here); a header whose value is empty is not sent. Then the client's
 * headers, except every name in either list: a client's `Proxy` header
 * (httpoxy), `Connection`, `TE`, `Keep-Alive`, `Expect` and its own
 * `X-Forwarded-*` do not reach the backend.
 *
 * With ingress-nginx's defaults: use-forwarded-headers off (the client's
 * X-Forwarded-For / X-Forwarded-Host travel on as X-Original-Forwarded-*,
 * and X-Forwarded-* describe nginx's own connection); upstream keep-alive on
 * (320), so `$connection_upgrade` is empty unless the client sent Upgrade;
 * generate-request-id on: `$req_id` is the client's X-Request-ID, else a
 * fresh `$request_id` from `newId`.
 */
export function proxyRequest(req: HttpRequest, client: ClientSide, newId: () => string): HttpRequest {
  const host = header(req.headers, 'host') ?? '';
  const upgrade = variable(req.headers, 'upgrade');
  const scheme = client.scheme;
  const set: [string, string | undefined][] = [
    ['Host', host],
    ['Upgrade', upgrade],
    ['Connection', upgrade === undefined ? undefined : 'upgrade'],
    ['X-Request-ID', variable(req.headers, 'x-request-id') ?? newId()],
    ['X-Real-IP', client.remote],
    ['X-Forwarded-For', client.remote],
    ['X-Forwarded-Host', host],
    ['X-Forwarded-Port', String(client.port)],
    ['X-Forwarded-Proto', scheme],
    ['X-Forwarded-Scheme', scheme],
    ['X-Scheme', scheme],
    ['X-Original-Forwarded-For', variable(req.headers, 'x-forwarded-for')],
    ['X-Original-Forwarded-Host', variable(req.headers, 'x-forwarded-host')],
    ['Proxy', undefined],
    // nginx's defaults the template does not set: $proxy_internal_body_length, then names it only removes.
    ['Content-Length', req.bodyBytes > 0 ? String(req.bodyBytes) : undefined],
    ['Transfer-Encoding', undefined],
    ['TE', undefined],
    ['Keep-Alive', undefined],
    ['Expect', undefined],
  ];
  const names = new Set(set.map(([k]) => k.toLowerCase()));
  const sent = set.filter((h): h is [string, string] => h[1] !== undefined && h[1] !== '');
  return { method: req.method, target: req.target, headers: [...sent, ...req.headers.filter(([k]) => !names.has(k.toLowerCase()))], bodyBytes: req.bodyBytes };
}

/** nginx's `$http_<name>`: every value of the header joined by `, ` (nginx 1.23 and later); undefined when absent. */
function variable(headers: readonly [string, string][], name: string): string | undefined {
  const values = headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(', ');
}
