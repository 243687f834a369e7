import { describe, expect, it } from 'vitest';
import { answer } from '../../src/cluster/coredns.js';
import { parseIpv4 } from '../../src/wire/addr.js';
import { decodeDns, DNS_A, DNS_AAAA, DNS_CLASS_IN, DNS_RD, encodeDns, rcode, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_SERVFAIL, type DnsMessage } from '../../src/wire/dns.js';

const query = (name: string, type = DNS_A): DnsMessage => ({ id: 0x1234, flags: DNS_RD, questions: [{ name, type, cls: DNS_CLASS_IN }], answers: [], authority: [], additional: [] });

describe('DNS codec', () => {
  it('encodes a query as dig does (header, labels, type A class IN) and decodes it back', () => {
    const bytes = encodeDns(query('web.default.svc.cluster.local'));
    expect([...bytes.subarray(0, 12)]).toEqual([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(bytes[12]).toBe(3);
    expect(bytes.length).toBe(12 + 31 + 4);
    const back = decodeDns(bytes);
    expect(back.ok && back.value.questions[0]).toEqual({ name: 'web.default.svc.cluster.local', type: DNS_A, cls: DNS_CLASS_IN });
  });

  it('follows compression pointers and refuses pointer loops and overruns without throwing', () => {
    // A response whose answer name points back at the question name (offset 12).
    const q = encodeDns(query('a.b'));
    const answerRr = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 96, 0, 20];
    const msg = Uint8Array.from([...q.subarray(0, 6), 0, 1, ...q.subarray(8), ...answerRr]);
    const r = decodeDns(msg);
    expect(r.ok && r.value.answers[0]).toMatchObject({ name: 'a.b', ttl: 5, data: { kind: 'a', ip: parseIpv4('10.96.0.20') } });
    const loop = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(decodeDns(loop).ok).toBe(false);
    expect(decodeDns(msg.subarray(0, msg.length - 2)).ok).toBe(false);
    expect(decodeDns(new Uint8Array(5)).ok).toBe(false);
  });
});

describe('CoreDNS kubernetes plugin', () => {
  const cp = {
    services: [
      { namespace: 'shop', name: 'web', type: 'ClusterIP' as const, clusterIP: '10.96.0.20', ports: [], externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], externalTrafficPolicy: 'Cluster' as const, internalTrafficPolicy: 'Cluster' as const, sessionAffinity: 'None' as const, affinityTimeoutSeconds: 10800 },
      { namespace: 'shop', name: 'db', type: 'ClusterIP' as const, ports: [], externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], externalTrafficPolicy: 'Cluster' as const, internalTrafficPolicy: 'Cluster' as const, sessionAffinity: 'None' as const, affinityTimeoutSeconds: 10800 },
      { namespace: 'shop', name: 'ext', type: 'ExternalName' as const, externalName: 'db.example.com', ports: [], externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], externalTrafficPolicy: 'Cluster' as const, internalTrafficPolicy: 'Cluster' as const, sessionAffinity: 'None' as const, affinityTimeoutSeconds: 10800 },
    ],
    endpointSlices: [{ namespace: 'shop', name: 'db-x', serviceName: 'db', ports: [], endpoints: [{ ip: '10.244.1.5', ready: true, serving: true, terminating: false }, { ip: '10.244.2.5', ready: false, serving: false, terminating: false }] }],
  };
  const ask = (name: string, type = DNS_A) => answer(query(name, type), cp);

  it('answers A for a ClusterIP Service, ready endpoints for a headless one, CNAME for ExternalName', () => {
    expect(ask('web.shop.svc.cluster.local').answers.map((r) => r.data)).toEqual([{ kind: 'a', ip: parseIpv4('10.96.0.20') }]);
    expect(ask('db.shop.svc.cluster.local').answers.map((r) => r.data)).toEqual([{ kind: 'a', ip: parseIpv4('10.244.1.5') }]);
    expect(ask('ext.shop.svc.cluster.local').answers.map((r) => r.data)).toEqual([{ kind: 'cname', target: 'db.example.com' }]);
  });

  it('NXDOMAIN with the SOA for unknown cluster names, NODATA for AAAA, SERVFAIL outside the zone', () => {
    const nx = ask('nope.shop.svc.cluster.local');
    expect(rcode(nx)).toBe(RCODE_NXDOMAIN);
    expect(nx.authority[0]?.data.kind).toBe('soa');
    const nodata = ask('web.shop.svc.cluster.local', DNS_AAAA);
    expect([rcode(nodata), nodata.answers.length]).toEqual([RCODE_NOERROR, 0]);
    expect(rcode(ask('example.com'))).toBe(RCODE_SERVFAIL);
  });
});
