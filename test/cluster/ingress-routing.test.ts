import { describe, expect, it } from 'vitest';
import { apiPrefixMatch, autoRedirect, buildServers, matchesWildcard, selectLocation, selectServer } from '../../src/cluster/ingress/routing.js';
import type { IngressInput, IngressPathInput } from '../../src/cluster/ingress/types.js';
import { autoRedirectLocation } from '../../src/cluster/ingress/controller.js';
import { parseRequestUri } from '../../src/cluster/ingress/uri.js';

const svc = (name: string): IngressPathInput['backend'] => ({ service: name, port: { number: 80 } });
const ing = (name: string, spec: Partial<IngressInput>): IngressInput => ({ namespace: 'default', name, rules: [], tlsHosts: [], hasTls: false, serviceUpstream: false, sslRedirect: true, ...spec });

function route(ingresses: IngressInput[], host: string, target: string): string {
  const uri = parseRequestUri(target);
  if (!uri.ok) return '400';
  const server = selectServer(buildServers(ingresses), host);
  const redirect = autoRedirect(server, uri.path);
  if (redirect) return `301 ${redirect.path}`;
  const loc = selectLocation(server, uri.path);
  if (!loc || loc.backend.kind === 'default') return '404';
  return loc.backend.backend.service;
}

describe('ingress routing (ingress-nginx servers and locations, nginx choice)', () => {
  const paths = ing('paths', {
    rules: [
      {
        host: 'shop.example.com',
        paths: [
          { path: '/foo', pathType: 'Prefix', backend: svc('prefix') },
          { path: '/foo/bar', pathType: 'Exact', backend: svc('exact') },
          { path: '/img', pathType: 'ImplementationSpecific', backend: svc('impl') },
        ],
      },
    ],
  });

  it('Prefix matches element-wise: /foo, /foo/, /foo/x but not /foobar', () => {
    expect(route([paths], 'shop.example.com', '/foo')).toBe('prefix');
    expect(route([paths], 'shop.example.com', '/foo/')).toBe('prefix');
    expect(route([paths], 'shop.example.com', '/foo/x?y=1')).toBe('prefix');
    expect(route([paths], 'shop.example.com', '/foobar')).toBe('404');
    for (const p of ['/foo', '/foo/', '/foo/x']) expect(apiPrefixMatch('/foo', p)).toBe(true);
    expect(apiPrefixMatch('/foo', '/foobar')).toBe(false);
  });

  it('Exact wins over a Prefix for its own path only', () => {
    expect(route([paths], 'shop.example.com', '/foo/bar')).toBe('exact');
    expect(route([paths], 'shop.example.com', '/foo/bar/')).toBe('prefix');
  });

  it('ImplementationSpecific is routed as Prefix (SetDefaultNGINXPathType): /img and /img/x, not /imgs', () => {
    expect(route([paths], 'shop.example.com', '/img')).toBe('impl');
    expect(route([paths], 'shop.example.com', '/img/a.png')).toBe('impl');
    expect(route([paths], 'shop.example.com', '/imgs/a.png')).toBe('404');
    // The rule keeps the pathType it was written with, for events and expectations.
    const loc = selectLocation(selectServer(buildServers([paths]), 'shop.example.com'), '/img/a.png')!;
    expect(loc.rule).toMatchObject({ path: '/img', pathType: 'ImplementationSpecific' });
  });

  it('ImplementationSpecific /p and Prefix /p on one host collide: the first Ingress keeps the path', () => {
    const impl = (created: number): IngressInput => ing('impl', { created, rules: [{ host: 'a.example', paths: [{ path: '/api', pathType: 'ImplementationSpecific', backend: svc('impl') }] }] });
    const prefix = (created: number): IngressInput => ing('prefix', { created, rules: [{ host: 'a.example', paths: [{ path: '/api', pathType: 'Prefix', backend: svc('prefix') }] }] });
    expect(route([impl(1), prefix(2)], 'a.example', '/api/x')).toBe('impl');
    expect(route([impl(2), prefix(1)], 'a.example', '/api')).toBe('prefix');
  });

  it('the store order: oldest creationTimestamp first, equal ones by namespace/name descending (not the order given)', () => {
    const a = (created?: number): IngressInput => ing('ing-a', { ...(created === undefined ? {} : { created }), rules: [{ host: 'a.example', paths: [{ path: '/dup', pathType: 'Prefix', backend: svc('a') }] }] });
    const b = (created?: number): IngressInput => ing('ing-b', { ...(created === undefined ? {} : { created }), rules: [{ host: 'a.example', paths: [{ path: '/dup', pathType: 'Prefix', backend: svc('b') }] }] });
    // Applied together (no timestamps, or the same second): default/ing-b sorts first.
    expect(route([a(), b()], 'a.example', '/dup')).toBe('b');
    expect(route([b(), a()], 'a.example', '/dup')).toBe('b');
    expect(route([a(100), b(100)], 'a.example', '/dup')).toBe('b');
    expect(route([b(101), a(100)], 'a.example', '/dup')).toBe('a');
    // One with a timestamp is older than one applied with the scenario.
    expect(route([b(), a(100)], 'a.example', '/dup')).toBe('a');
  });

  it('a rule-less Ingress with a defaultBackend keeps the catch-all root: a hostless Prefix / rule does not replace it', () => {
    const catchAll = (created: number): IngressInput => ing('catch-all', { created, defaultBackend: svc('c') });
    const hostlessRoot = (created: number): IngressInput => ing('hostless-root', { created, rules: [{ paths: [{ path: '/', pathType: 'Prefix', backend: svc('a') }] }] });
    expect(route([catchAll(1), hostlessRoot(2)], 'whatever.test', '/x')).toBe('c');
    expect(route([catchAll(2), hostlessRoot(1)], 'whatever.test', '/x')).toBe('c');
    // Without a claiming Ingress the rule replaces the default root (IsDefBackend), as on a host's root.
    expect(route([hostlessRoot(1)], 'whatever.test', '/x')).toBe('a');
    const withDefault = ing('d', { created: 1, defaultBackend: svc('fallback'), rules: [{ host: 'a.example', paths: [{ path: '/api', pathType: 'Prefix', backend: svc('api') }] }] });
    const root = ing('r', { created: 2, rules: [{ host: 'a.example', paths: [{ path: '/', pathType: 'Prefix', backend: svc('root') }] }] });
    expect(route([withDefault, root], 'a.example', '/other')).toBe('root');
  });

  it('a Prefix written with a trailing slash does not match the bare path (ingress-nginx adds = /foo/ only): nginx redirects it', () => {
    const slash = ing('slash', { rules: [{ host: 'a.example', paths: [{ path: '/app/', pathType: 'Prefix', backend: svc('app') }] }] });
    expect(route([slash], 'a.example', '/app/x')).toBe('app');
    // nginx's auto_redirect (proxy_pass in a location named /app/): 301 to /app/, not the default backend.
    expect(route([slash], 'a.example', '/app')).toBe('301 /app/');
    expect(route([slash], 'a.example', '//app')).toBe('301 /app/');
    expect(route([slash], 'a.example', '/ap')).toBe('404');
    const exact = ing('exact', { rules: [{ host: 'a.example', paths: [{ path: '/e/', pathType: 'Exact', backend: svc('e') }, { path: '/', pathType: 'Prefix', backend: svc('root') }] }] });
    expect(route([exact], 'a.example', '/e')).toBe('301 /e/'); // before the shorter Prefix /
    expect(route([exact], 'a.example', '/e/x')).toBe('root');
    // A location named /p (Prefix /p makes = /p too) takes /p itself: no redirect.
    const both = ing('both', { rules: [{ host: 'a.example', paths: [{ path: '/p', pathType: 'Prefix', backend: svc('p') }] }] });
    expect(route([both], 'a.example', '/p')).toBe('p');
  });

  it('hosts: case and port ignored, exact before wildcard, wildcard = one label, unknown host = catch-all', () => {
    const hosts = ing('hosts', {
      rules: [
        { host: 'a.example.com', paths: [{ path: '/', pathType: 'Prefix', backend: svc('exact-host') }] },
        { host: '*.example.com', paths: [{ path: '/', pathType: 'Prefix', backend: svc('wild') }] },
      ],
    });
    expect(route([hosts], 'A.Example.com:8080', '/')).toBe('exact-host');
    expect(route([hosts], 'b.example.com', '/')).toBe('wild');
    expect(route([hosts], 'x.b.example.com', '/')).toBe('404');
    expect(route([hosts], 'example.com', '/')).toBe('404');
    expect(matchesWildcard('*.example.com', 'b-2.example.com')).toBe(true);
  });

  it('defaultBackend: the root of the Ingress hosts, and the catch-all when the Ingress has no rules', () => {
    const withDefault = ing('d', { defaultBackend: svc('fallback'), rules: [{ host: 'a.example', paths: [{ path: '/api', pathType: 'Prefix', backend: svc('api') }] }] });
    expect(route([withDefault], 'a.example', '/other')).toBe('fallback');
    expect(route([withDefault], 'b.example', '/other')).toBe('404');
    const only = ing('only', { defaultBackend: svc('everything') });
    expect(route([only], 'anything.example', '/x')).toBe('everything');
  });

  it('the first Ingress to define a host path keeps it; rules without a host join the catch-all server', () => {
    const first = ing('first', { created: 1, rules: [{ host: 'a.example', paths: [{ path: '/x', pathType: 'Prefix', backend: svc('first') }] }] });
    const second = ing('second', { created: 2, rules: [{ host: 'a.example', paths: [{ path: '/x', pathType: 'Prefix', backend: svc('second') }, { path: '/y', pathType: 'Prefix', backend: svc('y') }] }, { paths: [{ path: '/', pathType: 'Prefix', backend: svc('any-host') }] }] });
    expect(route([first, second], 'a.example', '/x')).toBe('first');
    expect(route([first, second], 'a.example', '/y')).toBe('y');
    expect(route([first, second], 'zzz', '/')).toBe('any-host');
  });

  it("an auto redirect's Location: scheme of the connection, the request's host, the escaped name, the arguments", () => {
    const local = 0x0af40102; // 10.244.1.2
    expect(autoRedirectLocation('http', 'Shop.Example.com:8080', local, '/foo/', undefined)).toBe('http://shop.example.com/foo/');
    expect(autoRedirectLocation('https', 'shop.example.com.', local, '/a b/', 'x=1')).toBe('https://shop.example.com/a%20b/?x=1');
    expect(autoRedirectLocation('http', undefined, local, '/foo/', '')).toBe('http://10.244.1.2/foo/');
  });
});
