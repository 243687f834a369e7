import { describe, expect, it } from 'vitest';
import { nginxErrorPage } from '../../src/cluster/ingress/controller.js';
import { certifiedHosts, hasCertificate, redirectLocation } from '../../src/cluster/ingress/ssl-redirect.js';
import type { IngressInput } from '../../src/cluster/ingress/types.js';

const svc = { service: 'web', port: { number: 80 } };
const ing = (name: string, hosts: string[], hasTls: boolean): IngressInput => ({
  namespace: 'default',
  name,
  rules: hosts.map((host) => ({ host, paths: [{ path: '/', pathType: 'Prefix', backend: svc }] })),
  tlsHosts: [],
  hasTls,
  serviceUpstream: false,
  sslRedirect: true,
});

describe("ssl-redirect (ingress-nginx's Lua rewrite phase)", () => {
  it('every rule host of an Ingress with a tls section has a certificate, the catch-all too', () => {
    const hosts = certifiedHosts([ing('tls', ['shop.example.com', '*.eu.example.com'], true), ing('plain', ['api.example.com'], false)]);
    expect([...hosts].sort()).toEqual(['*.eu.example.com', '_', 'shop.example.com']);
  });

  it('the certificate is looked up by $host: lower case, no port, no trailing dot, then the first label as *', () => {
    const hosts = new Set(['shop.example.com', '*.eu.example.com']);
    expect(hasCertificate(hosts, 'Shop.Example.com:8080')).toBe(true);
    expect(hasCertificate(hosts, 'shop.example.com.')).toBe(true);
    expect(hasCertificate(hosts, 'fr.eu.example.com')).toBe(true);
    expect(hasCertificate(hosts, 'a.fr.eu.example.com')).toBe(false);
    expect(hasCertificate(hosts, 'api.example.com')).toBe(false);
    expect(hasCertificate(hosts, undefined)).toBe(false);
  });

  it('Location: https, the Host header before its first colon as sent, the URI without one trailing slash', () => {
    expect(redirectLocation('Shop.example.com:30080', '/cart?page=2')).toBe('https://Shop.example.com/cart?page=2');
    expect(redirectLocation('shop.example.com', '/cart/')).toBe('https://shop.example.com/cart');
    expect(redirectLocation('shop.example.com', '/')).toBe('https://shop.example.com');
    expect(redirectLocation('shop.example.com', '/a?next=/')).toBe('https://shop.example.com/a?next=');
  });

  it("nginx's 308 page with server_tokens off is 164 bytes", () => {
    expect(nginxErrorPage(308)).toBe(164);
    expect(nginxErrorPage(404)).toBe(146);
  });
});
