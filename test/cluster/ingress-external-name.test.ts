import { describe, expect, it } from 'vitest';
import type { ClusterDnsRecords } from '../../src/cluster/dns/cluster-dns.js';
import { podResolvConf } from '../../src/cluster/dns/resolver.js';
import { externalNamePort, externalNameRefusal, lookupExternalName } from '../../src/cluster/ingress/external-name.js';
import type { ServiceInput, ServicePortInput } from '../../src/cluster/spec.js';
import { formatIpv4 } from '../../src/wire/addr.js';

const port = (name: string, p: number, targetPort: number | string): ServicePortInput => ({ name, protocol: 'TCP', port: p, targetPort });
const ext = (ports: ServicePortInput[]): ServiceInput => ({ namespace: 'shop', name: 'alias', type: 'ExternalName', externalName: 'db.example.com', ports, externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None', affinityTimeoutSeconds: 10800 });

describe("an ExternalName backend's port, as ingress-nginx's externalNamePorts picks it", () => {
  const svc = ext([port('web', 80, 8080), port('named', 81, 'http'), port('plain', 82, 82)]);
  it('a name: that port, its targetPort, or its port when the targetPort is a name', () => {
    expect(externalNamePort(svc, { name: 'web' })).toBe(8080);
    expect(externalNamePort(svc, { name: 'named' })).toBe(81);
    expect(externalNamePort(svc, { name: 'missing' })).toBe(0);
  });
  it('a number: the targetPort as it is (a name gives 0), or the number when no port has it', () => {
    expect(externalNamePort(svc, { number: 80 })).toBe(8080);
    expect(externalNamePort(svc, { number: 81 })).toBe(0);
    expect(externalNamePort(svc, { number: 9000 })).toBe(9000);
    expect(externalNamePort(ext([]), { number: 5432 })).toBe(5432);
  });
  it('localhost and loopback addresses are refused; other names and addresses are not', () => {
    expect(externalNameRefusal('localhost')).toMatch(/localhost/);
    expect(externalNameRefusal('127.0.0.53')).toMatch(/localhost/);
    expect(externalNameRefusal('db.example.com')).toBeUndefined();
    expect(externalNameRefusal('192.168.56.50')).toBeUndefined();
  });
});

describe("util/dns.lua's lookup of the name, answered by cluster DNS", () => {
  const records: ClusterDnsRecords = {
    ttl: 30,
    namespaces: ['ingress-nginx', 'shop'],
    services: [
      { namespace: 'default', name: 'b', type: 'ClusterIP', clusterIP: '10.96.0.12', endpoints: [] },
      { namespace: 'default', name: 'db', type: 'ClusterIP', clusterIP: 'None', endpoints: [{ ip: '10.244.2.3', ready: true }, { ip: '10.244.2.4', ready: false }] },
      { namespace: 'shop', name: 'chain', type: 'ExternalName', externalName: 'b.default.svc.cluster.local' },
    ],
  };
  const conf = podResolvConf({ namespace: 'ingress-nginx', hostNetwork: false }, '10.96.0.10');
  const ips = (name: string): string[] | undefined => lookupExternalName(name, conf, records)?.ips.map(formatIpv4);

  it('a full name, a short one through the controller’s search list, an absolute one', () => {
    expect(ips('b.default.svc.cluster.local')).toEqual(['10.96.0.12']);
    expect(lookupExternalName('b.default', conf, records)).toMatchObject({ asked: 'b.default.svc.cluster.local', ttlS: 30 });
    expect(ips('b.default.svc.cluster.local.')).toEqual(['10.96.0.12']);
    // The controller's own namespace comes first: a bare `b` is looked for in ingress-nginx, svc, cluster.local.
    expect(ips('b')).toBeUndefined();
  });
  it('a headless Service gives its ready pods; another ExternalName is followed (CNAME)', () => {
    expect(ips('db.default.svc.cluster.local')).toEqual(['10.244.2.3']);
    expect(ips('chain.shop.svc.cluster.local')).toEqual(['10.96.0.12']);
  });
  it('outside the zone (SERVFAIL), unknown names and addresses resolve to nothing; no nameserver, no lookup', () => {
    expect(ips('nowhere.example.org')).toBeUndefined();
    expect(ips('192.168.56.50')).toBeUndefined();
    expect(lookupExternalName('b.default', { nameservers: [], search: [], options: [] }, records)).toBeUndefined();
  });
});
