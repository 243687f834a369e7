import { describe, expect, it } from 'vitest';
import { proxyRequest } from '../../src/cluster/ingress/proxy-request.js';
import type { HttpRequest } from '../../src/wire/http.js';

const client = { remote: '10.244.1.1', port: 80, scheme: 'http' as const };
const req = (headers: [string, string][], bodyBytes = 0): HttpRequest => ({ method: 'GET', target: '/cart?x=1', headers: [['Host', 'Shop.example.com:30080'], ...headers], bodyBytes });
const id = (): string => '0123456789abcdef0123456789abcdef';

describe("the request ingress-nginx's nginx sends upstream", () => {
  it("proxy_set_header in nginx.tmpl's order, then the client's other headers", () => {
    const out = proxyRequest(req([['User-Agent', 'podwalk'], ['Accept', '*/*']]), client, id);
    expect(out.headers).toEqual([
      ['Host', 'Shop.example.com:30080'],
      ['X-Request-ID', '0123456789abcdef0123456789abcdef'],
      ['X-Real-IP', '10.244.1.1'],
      ['X-Forwarded-For', '10.244.1.1'],
      ['X-Forwarded-Host', 'Shop.example.com:30080'],
      ['X-Forwarded-Port', '80'],
      ['X-Forwarded-Proto', 'http'],
      ['X-Forwarded-Scheme', 'http'],
      ['X-Scheme', 'http'],
      ['User-Agent', 'podwalk'],
      ['Accept', '*/*'],
    ]);
    expect(out).toMatchObject({ method: 'GET', target: '/cart?x=1', bodyBytes: 0 });
  });

  it("the client's forwarded headers become X-Original-Forwarded-*; Proxy, Connection, TE, Keep-Alive, Expect are dropped", () => {
    const out = proxyRequest(
      req([['X-Forwarded-For', '203.0.113.7'], ['x-forwarded-for', '198.51.100.1'], ['X-Forwarded-Host', 'cdn.example'], ['Proxy', 'http://evil:8080'], ['Connection', 'keep-alive'], ['TE', 'trailers'], ['Keep-Alive', '5'], ['Expect', '100-continue'], ['X-Real-IP', '1.1.1.1'], ['Cookie', 'a=1']], 10),
      { ...client, port: 443, scheme: 'https' },
      id,
    );
    const names = out.headers.map(([k]) => k);
    expect(names).toEqual(['Host', 'X-Request-ID', 'X-Real-IP', 'X-Forwarded-For', 'X-Forwarded-Host', 'X-Forwarded-Port', 'X-Forwarded-Proto', 'X-Forwarded-Scheme', 'X-Scheme', 'X-Original-Forwarded-For', 'X-Original-Forwarded-Host', 'Content-Length', 'Cookie']);
    const get = (k: string): string | undefined => out.headers.find(([n]) => n === k)?.[1];
    expect(get('X-Original-Forwarded-For')).toBe('203.0.113.7, 198.51.100.1');
    expect(get('X-Original-Forwarded-Host')).toBe('cdn.example');
    expect(get('X-Forwarded-For')).toBe('10.244.1.1');
    expect(get('X-Forwarded-Proto')).toBe('https');
    expect(get('X-Forwarded-Port')).toBe('443');
    expect(get('Content-Length')).toBe('10');
  });

  it("a client's X-Request-ID is kept; an Upgrade is passed with Connection: upgrade", () => {
    let drawn = 0;
    const out = proxyRequest(req([['X-Request-ID', 'abc'], ['Upgrade', 'websocket'], ['Connection', 'Upgrade']]), client, () => String(++drawn));
    expect(out.headers.slice(0, 4)).toEqual([
      ['Host', 'Shop.example.com:30080'],
      ['Upgrade', 'websocket'],
      ['Connection', 'upgrade'],
      ['X-Request-ID', 'abc'],
    ]);
    expect(drawn).toBe(0);
  });
});
