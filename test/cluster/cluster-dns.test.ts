import { describe, expect, it } from 'vitest';
import { answer, encodeReply, recordsFromControlPlane, soaRecord, type ClusterDnsRecords } from '../../src/cluster/dns/cluster-dns.js';
import { CoreDns, KUBEADM_DNS_TTL } from '../../src/cluster/dns/coredns.js';
import { Rng } from '../../src/engine/rng.js';
import { resolvConf, resolverStep, searchCandidates } from '../../src/cluster/dns/resolver.js';
import { formatIpv4, parseIpv4 } from '../../src/wire/addr.js';
import {
  decodeDns,
  dnsHeader,
  DNS_A,
  DNS_AAAA,
  DNS_AD,
  DNS_CLASS_IN,
  DNS_CNAME,
  DNS_OPT,
  DNS_RD,
  DNS_SOA,
  DNS_TC,
  DNS_TXT,
  encodeDns,
  encodeEdnsOptions,
  RCODE_FORMERR,
  RCODE_NOERROR,
  RCODE_NOTIMP,
  RCODE_NXDOMAIN,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  rcode,
  type DnsMessage,
  type DnsRecord,
} from '../../src/wire/dns.js';

const query = (name: string, type = DNS_A, additional: DnsRecord[] = []): DnsMessage => ({
  id: 4242,
  flags: DNS_RD | DNS_AD,
  questions: [{ name, type, cls: DNS_CLASS_IN }],
  answers: [],
  authority: [],
  additional,
});

const zone: ClusterDnsRecords = {
  namespaces: ['shop'],
  services: [
    { namespace: 'default', name: 'web', type: 'ClusterIP', clusterIP: '10.96.0.20' },
    { namespace: 'shop', name: 'web', type: 'ClusterIP', clusterIP: '10.96.0.30' },
    {
      namespace: 'shop',
      name: 'db',
      type: 'ClusterIP',
      clusterIP: 'None',
      endpoints: [
        { ip: '10.244.1.5', ready: true },
        { ip: '10.244.2.5', ready: false },
        { ip: '10.244.2.6', ready: true, hostname: 'db-1' },
        { ip: '10.244.1.5', ready: true },
      ],
    },
    { namespace: 'shop', name: 'empty', type: 'ClusterIP', endpoints: [{ ip: '10.244.3.3', ready: false }] },
    { namespace: 'shop', name: 'ext', type: 'ExternalName', externalName: 'db.example.com' },
    { namespace: 'shop', name: 'alias', type: 'ExternalName', externalName: 'web.default.svc.cluster.local' },
    { namespace: 'shop', name: 'dangling', type: 'ExternalName', externalName: 'gone.default.svc.cluster.local' },
  ],
};

const ask = (name: string, type = DNS_A, records = zone): DnsMessage => answer(query(name, type), records);
const as = (m: DnsMessage): string[] =>
  m.answers.map((r) => `${r.name} ${r.ttl} ${r.type === DNS_A ? 'A' : r.type === DNS_CNAME ? 'CNAME' : r.type} ${r.data.kind === 'a' ? formatIpv4(r.data.ip) : r.data.kind === 'cname' ? r.data.target : ''}`);
const SOA_TEXT = (m: DnsMessage): string => {
  const r = m.authority[0];
  if (!r || r.data.kind !== 'soa') return '';
  const d = r.data;
  return `${r.name}. ${r.ttl} IN SOA ${d.mname}. ${d.rname}. ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
};

describe('CoreDNS kubernetes plugin: answers', () => {
  it('A for a ClusterIP Service: TTL 5, authoritative, RD echoed, no RA, question echoed', () => {
    const m = ask('web.default.svc.cluster.local');
    expect(as(m)).toEqual(['web.default.svc.cluster.local 5 A 10.96.0.20']);
    expect(dnsHeader(m.flags)).toEqual({ qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: RCODE_NOERROR });
    expect([m.id, m.questions, m.authority, m.additional]).toEqual([4242, query('x').questions.map(() => ({ name: 'web.default.svc.cluster.local', type: DNS_A, cls: DNS_CLASS_IN })), [], []]);
    // Names match case-insensitively; the answer keeps the asker's spelling.
    expect(as(ask('WEB.Shop.svc.cluster.local.'))).toEqual(['WEB.Shop.svc.cluster.local 5 A 10.96.0.30']);
  });

  it('headless: one A per ready endpoint (deduplicated); endpoint names; none ready is NXDOMAIN', () => {
    expect(as(ask('db.shop.svc.cluster.local'))).toEqual(['db.shop.svc.cluster.local 5 A 10.244.1.5', 'db.shop.svc.cluster.local 5 A 10.244.2.6']);
    expect(as(ask('db-1.db.shop.svc.cluster.local'))).toEqual(['db-1.db.shop.svc.cluster.local 5 A 10.244.2.6']);
    expect(as(ask('10-244-1-5.db.shop.svc.cluster.local'))).toEqual(['10-244-1-5.db.shop.svc.cluster.local 5 A 10.244.1.5']);
    expect(dnsHeader(ask('10-244-2-5.db.shop.svc.cluster.local').flags).rcode).toBe(RCODE_NXDOMAIN); // not ready
    expect(dnsHeader(ask('empty.shop.svc.cluster.local').flags).rcode).toBe(RCODE_NXDOMAIN);
  });

  it('ExternalName: a lone CNAME outside the zone; followed inside it; dropped when the target does not resolve', () => {
    const ext = ask('ext.shop.svc.cluster.local');
    expect([dnsHeader(ext.flags).rcode, ...as(ext)]).toEqual([RCODE_NOERROR, 'ext.shop.svc.cluster.local 5 CNAME db.example.com']);
    expect(as(ask('ext.shop.svc.cluster.local', DNS_AAAA))).toEqual(['ext.shop.svc.cluster.local 5 CNAME db.example.com']);
    expect(as(ask('ext.shop.svc.cluster.local', DNS_CNAME))).toEqual(['ext.shop.svc.cluster.local 5 CNAME db.example.com']);
    expect(as(ask('alias.shop.svc.cluster.local'))).toEqual(['alias.shop.svc.cluster.local 5 CNAME web.default.svc.cluster.local', 'web.default.svc.cluster.local 5 A 10.96.0.20']);
    const dangling = ask('dangling.shop.svc.cluster.local');
    expect([dnsHeader(dangling.flags).rcode, dangling.answers.length, dangling.authority[0]?.type]).toEqual([RCODE_NOERROR, 0, DNS_SOA]);
    expect(dnsHeader(ask('x.ext.shop.svc.cluster.local').flags).rcode).toBe(RCODE_NXDOMAIN);
  });

  it('NXDOMAIN for unknown names in the zone, authoritative, with the SOA in authority', () => {
    for (const n of ['nope.default.svc.cluster.local', 'web.nons.svc.cluster.local', 'nons.svc.cluster.local', 'foo.cluster.local', 'web.default.cluster.local', 'a.b.c.web.default.svc.cluster.local']) {
      const m = ask(n);
      expect([n, dnsHeader(m.flags).rcode, dnsHeader(m.flags).aa, m.answers.length]).toEqual([n, RCODE_NXDOMAIN, true, 0]);
      expect(SOA_TEXT(m)).toBe('cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5');
    }
    // kubeadm's Corefile sets `ttl 30`: the familiar SOA.
    expect(SOA_TEXT(ask('nope.default.svc.cluster.local', DNS_A, { ...zone, ttl: 30, serial: 1700000000 }))).toBe(
      'cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 30',
    );
    expect(soaRecord({ services: [], ttl: 600 }).ttl).toBe(300);
    expect(ask('nope.default.svc.Cluster.Local').authority[0]!.name).toBe('Cluster.Local');
  });

  it('NODATA (NOERROR, no answers, SOA) for AAAA of an IPv4 Service and for empty non-terminals', () => {
    for (const [n, t] of [
      ['web.default.svc.cluster.local', DNS_AAAA],
      ['web.default.svc.cluster.local', DNS_TXT],
      ['cluster.local', DNS_A],
      ['svc.cluster.local', DNS_A],
      ['pod.cluster.local', DNS_A],
      ['shop.svc.cluster.local', DNS_A],
      ['kube-system.svc.cluster.local', DNS_A],
    ] as const) {
      const m = ask(n, t);
      expect([n, dnsHeader(m.flags).rcode, m.answers.length, m.authority[0]?.type, dnsHeader(m.flags).aa]).toEqual([n, RCODE_NOERROR, 0, DNS_SOA, true]);
    }
    expect(dnsHeader(ask('nope.default.svc.cluster.local', DNS_AAAA).flags).rcode).toBe(RCODE_NXDOMAIN);
    expect(ask('cluster.local', DNS_SOA).answers[0]?.type).toBe(DNS_SOA);
  });

  it('pods insecure: a-b-c-d.<ns>.pod.cluster.local is that address in any existing namespace', () => {
    expect(as(ask('10-244-1-7.shop.pod.cluster.local'))).toEqual(['10-244-1-7.shop.pod.cluster.local 5 A 10.244.1.7']);
    expect(dnsHeader(ask('10-244-1-7.nons.pod.cluster.local').flags).rcode).toBe(RCODE_NXDOMAIN);
    expect(dnsHeader(ask('10-244-1-999.shop.pod.cluster.local').flags).rcode).toBe(RCODE_NXDOMAIN);
    expect(dnsHeader(ask('client.shop.pod.cluster.local').flags).rcode).toBe(RCODE_NXDOMAIN);
    expect(dnsHeader(ask('10-244-1-7.shop.pod.cluster.local', DNS_AAAA).flags).rcode).toBe(RCODE_NOERROR);
  });

  it('outside the zone: forward has no upstream, so SERVFAIL, not authoritative, no SOA', () => {
    const m = ask('example.com');
    expect(dnsHeader(m.flags)).toMatchObject({ qr: true, aa: false, ra: false, rd: true, rcode: RCODE_SERVFAIL });
    expect([m.answers.length, m.authority.length]).toEqual([0, 0]);
    expect(dnsHeader(ask('cluster.local.example.com').flags).rcode).toBe(RCODE_SERVFAIL);
  });

  it('what the server does before the plugin: NOTIMP, FORMERR, REFUSED for transfers; the query id always echoed', () => {
    expect(dnsHeader(answer({ ...query('web.default.svc.cluster.local'), flags: (5 << 11) | DNS_RD }, zone).flags)).toMatchObject({ opcode: 5, rcode: RCODE_NOTIMP, qr: true });
    const two = answer({ ...query('a.cluster.local'), questions: [...query('a.cluster.local').questions, ...query('b.cluster.local').questions] }, zone);
    expect([dnsHeader(two.flags).rcode, two.questions.length]).toEqual([RCODE_FORMERR, 2]);
    expect(dnsHeader(ask('cluster.local', 252).flags).rcode).toBe(RCODE_REFUSED);
  });

  it('echoes the EDNS OPT the way SizeAndDo does: UDP size kept, version cleared, only known options', () => {
    const cookie = { code: 10, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) };
    const opt: DnsRecord = { name: '', type: DNS_OPT, cls: 1232, ttl: 0x00018000, data: { kind: 'raw', bytes: encodeEdnsOptions([cookie, { code: 8, data: Uint8Array.of(0, 1, 24, 0) }]) } };
    const m = answer(query('web.default.svc.cluster.local', DNS_A, [opt]), zone);
    expect(m.additional).toEqual([{ name: '', type: DNS_OPT, cls: 1232, ttl: 0x8000, data: { kind: 'raw', bytes: encodeEdnsOptions([cookie]) } }]);
    expect(answer(query('example.com', DNS_A, [opt]), zone).additional.length).toBe(1);
  });

  it('reads Services and EndpointSlices from the control plane input', () => {
    const base = { ports: [], externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], externalTrafficPolicy: 'Cluster' as const, internalTrafficPolicy: 'Cluster' as const, sessionAffinity: 'None' as const, affinityTimeoutSeconds: 10800 };
    const r = recordsFromControlPlane(
      {
        services: [{ ...base, namespace: 'shop', name: 'db', type: 'ClusterIP' }],
        endpointSlices: [{ namespace: 'shop', name: 'db-x', serviceName: 'db', ports: [], endpoints: [{ ip: '10.244.1.5', ready: true, serving: true, terminating: false }, { ip: '10.244.2.5', ready: false, serving: false, terminating: false }] }],
      },
      { ttl: 30 },
    );
    expect(as(answer(query('db.shop.svc.cluster.local'), r))).toEqual(['db.shop.svc.cluster.local 30 A 10.244.1.5']);
  });
});

describe('CoreDNS on the wire (Scrub)', () => {
  const many: ClusterDnsRecords = {
    services: [{ namespace: 'default', name: 'big', type: 'ClusterIP', clusterIP: 'None', endpoints: Array.from({ length: 25 }, (_, i) => ({ ip: `10.244.${i >> 4}.${(i & 15) + 2}`, ready: true })) }],
  };

  it('sends what fits uncompressed, compresses what does not, and truncates with TC past that', () => {
    const small = query('web.default.svc.cluster.local');
    const reply = answer(small, zone);
    expect([...encodeReply(reply, small)]).toEqual([...encodeDns(reply)]);
    const q = query('big.default.svc.cluster.local');
    const r = answer(q, many);
    expect(encodeDns(r).length).toBeGreaterThan(512);
    const wire = encodeReply(r, q);
    expect(wire.length).toBeLessThanOrEqual(512);
    const d = decodeDns(wire);
    expect(d.ok && [d.value.answers.length, (d.value.flags & DNS_TC) !== 0]).toEqual([25, false]); // compression alone makes it fit
    const huge: ClusterDnsRecords = { services: [{ ...many.services[0]!, endpoints: Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.${i >> 4}.${(i & 15) + 2}`, ready: true })) }] };
    const t = decodeDns(encodeReply(answer(q, huge), q));
    expect(t.ok && (t.value.flags & DNS_TC) !== 0).toBe(true);
    expect(t.ok && t.value.answers.length).toBe(29); // (512 - 12 - 35) / 16 compressed A records
    const edns = query('big.default.svc.cluster.local', DNS_A, [{ name: '', type: DNS_OPT, cls: 1232, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array(0) } }]);
    const e = decodeDns(encodeReply(answer(edns, huge), edns));
    expect(e.ok && [e.value.answers.length, e.value.flags & DNS_TC, e.value.additional[0]?.type]).toEqual([60, 0, DNS_OPT]);
  });
});

describe('pod resolver (ClusterFirst, glibc)', () => {
  it('writes resolv.conf as the runtime does for ClusterFirst', () => {
    expect(resolvConf('shop', '10.96.0.10')).toBe('search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
    expect(resolvConf('default', parseIpv4('10.96.0.10')!)).toContain('nameserver 10.96.0.10\n');
  });

  it('orders search candidates by ndots, with a trailing dot meaning absolute', () => {
    const c = (n: string): string[] => searchCandidates(n, 'shop');
    expect(c('web')).toEqual(['web.shop.svc.cluster.local', 'web.svc.cluster.local', 'web.cluster.local', 'web']);
    expect(c('web.shop')).toEqual(['web.shop.shop.svc.cluster.local', 'web.shop.svc.cluster.local', 'web.shop.cluster.local', 'web.shop']);
    expect(c('web.shop.svc')).toEqual(['web.shop.svc.shop.svc.cluster.local', 'web.shop.svc.svc.cluster.local', 'web.shop.svc.cluster.local', 'web.shop.svc']);
    // Four dots are still fewer than five: the search list goes first, even for a full name.
    expect(c('web.shop.svc.cluster.local')).toEqual([
      'web.shop.svc.cluster.local.shop.svc.cluster.local',
      'web.shop.svc.cluster.local.svc.cluster.local',
      'web.shop.svc.cluster.local.cluster.local',
      'web.shop.svc.cluster.local',
    ]);
    expect(c('web.shop.svc.cluster.local.')).toEqual(['web.shop.svc.cluster.local']);
    expect(c('example.com')).toEqual(['example.com.shop.svc.cluster.local', 'example.com.svc.cluster.local', 'example.com.cluster.local', 'example.com']);
    expect(c('a.b.c.d.e.f')).toEqual(['a.b.c.d.e.f', 'a.b.c.d.e.f.shop.svc.cluster.local', 'a.b.c.d.e.f.svc.cluster.local', 'a.b.c.d.e.f.cluster.local']);
  });

  it('walks the candidates against CoreDNS until an A record answers', () => {
    const walk = (name: string): { tried: string[]; found?: string } => {
      const tried: string[] = [];
      for (const cand of searchCandidates(name, 'shop')) {
        tried.push(cand);
        const reply = answer(query(cand), zone);
        const step = resolverStep(reply);
        if (step === 'found') return { tried, found: formatIpv4((reply.answers.find((r) => r.data.kind === 'a')!.data as { ip: number }).ip) };
        if (step === 'stop') return { tried };
      }
      return { tried };
    };
    expect(walk('web')).toEqual({ tried: ['web.shop.svc.cluster.local'], found: '10.96.0.30' });
    expect(walk('web.default')).toEqual({ tried: ['web.default.shop.svc.cluster.local', 'web.default.svc.cluster.local'], found: '10.96.0.20' });
    // NXDOMAIN, NXDOMAIN, NXDOMAIN, then SERVFAIL for the name as is: the lookup fails.
    expect(walk('example.com')).toEqual({ tried: searchCandidates('example.com', 'shop') });
    // A lone CNAME ends the search without an address.
    expect(walk('ext')).toEqual({ tried: ['ext.shop.svc.cluster.local'] });
    expect(resolverStep(answer(query('web.default.svc.cluster.local', DNS_AAAA), zone))).toBe('next');
  });
});

describe("CoreDNS as kubeadm deploys it: the Corefile's `ttl 30`", () => {
  it('answers A records, and the SOA of an NXDOMAIN (its TTL and MINIMUM), with 30 s; the plugin alone says 5', () => {
    const dns = new CoreDns({ services: [{ namespace: 'default', name: 'web', type: 'ClusterIP', clusterIP: '10.96.0.20', ports: [] }], endpointSlices: [] } as never);
    expect(KUBEADM_DNS_TTL).toBe(30);
    const a = dns.reply(query('web.default.svc.cluster.local'), new Rng(1));
    expect(a.answers.map((r) => r.ttl)).toEqual([30]);
    const nx = dns.reply(query('nope.default.svc.cluster.local'), new Rng(1));
    expect(nx.authority.map((r) => [r.ttl, r.data.kind === 'soa' ? r.data.minimum : -1])).toEqual([[30, 30]]);
  });
});

describe('CoreDNS watches Namespaces too (namespaceExposed)', () => {
  it('a pod name and `<ns>.svc` in an existing namespace that holds no Service: A, and NODATA; in no namespace: NXDOMAIN', () => {
    const cp = { services: [], endpointSlices: [], namespaces: ['default', 'team'] } as never;
    const dns = new CoreDns(cp);
    const pod = dns.reply(query('10-244-2-2.team.pod.cluster.local'), new Rng(1));
    expect([rcode(pod), pod.answers.map((r) => (r.data.kind === 'a' ? formatIpv4(r.data.ip) : r.data.kind))]).toEqual([RCODE_NOERROR, ['10.244.2.2']]);
    const svc = dns.reply(query('team.svc.cluster.local'), new Rng(1));
    expect([rcode(svc), svc.answers.length]).toEqual([RCODE_NOERROR, 0]);
    expect(rcode(dns.reply(query('10-244-2-2.nope.pod.cluster.local'), new Rng(1)))).toBe(RCODE_NXDOMAIN);
    // Without the Namespace objects only the built-in four and those holding a Service exist.
    expect(rcode(new CoreDns({ services: [], endpointSlices: [] } as never).reply(query('10-244-2-2.team.pod.cluster.local'), new Rng(1)))).toBe(RCODE_NXDOMAIN);
  });
});
