import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer as clusterAnswer, encodeReply } from '../../src/cluster/dns/cluster-dns.js';
import { encodeEthernet, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import { PcapngWriter } from '../../src/wire/pcapng.js';
import { answer as pluginAnswer, recordsFromControlPlane } from '../../src/cluster/dns/cluster-dns.js';
import { parseIpv4 } from '../../src/wire/addr.js';
import { describeIpv4 } from '../../src/wire/describe.js';
import {
  decodeDns,
  dnsFlags,
  dnsHeader,
  DNS_A,
  DNS_AA,
  DNS_AAAA,
  DNS_AD,
  DNS_CLASS_IN,
  DNS_CNAME,
  DNS_OPT,
  DNS_QR,
  DNS_RD,
  DNS_SOA,
  ednsOpt,
  ednsOptions,
  encodeDns,
  rcode,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  RCODE_SERVFAIL,
  type DnsMessage,
} from '../../src/wire/dns.js';
import { encodeIpv4, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { encodeUdp } from '../../src/wire/udp.js';

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
  const ask = (name: string, type = DNS_A) => pluginAnswer(query(name, type), recordsFromControlPlane(cp));

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

/** Wire form of a name, written out by hand. */
const wireName = (...labels: string[]): number[] => [...labels.flatMap((l) => [l.length, ...[...l].map((c) => c.charCodeAt(0))]), 0];
const QNAME = wireName('web', 'default', 'svc', 'cluster', 'local');
const COOKIE = [0xc8, 0xf1, 0x3e, 0x2b, 0x9a, 0x01, 0x5d, 0x7e];
/** OPT as dig 9.18 sends it: root name, UDP size 1232, no flags, a client COOKIE option. */
const OPT_RR = [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 12, 0, 10, 0, 8, ...COOKIE];
/** `dig web.default.svc.cluster.local` with id 12345: RD and AD set, one question, one additional (OPT). */
const DIG_QUERY = Uint8Array.from([0x30, 0x39, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1, ...QNAME, 0, 1, 0, 1, ...OPT_RR]);

describe('DNS codec: golden bytes', () => {
  it('decodes a real dig query, keeping the EDNS OPT record, and re-encodes it byte for byte', () => {
    expect(DIG_QUERY.length).toBe(70);
    const d = decodeDns(DIG_QUERY);
    if (!d.ok) throw new Error(d.error);
    const m = d.value;
    expect(m.id).toBe(12345);
    expect(dnsHeader(m.flags)).toEqual({ qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: true, cd: false, rcode: 0 });
    expect(m.questions).toEqual([{ name: 'web.default.svc.cluster.local', type: DNS_A, cls: DNS_CLASS_IN }]);
    const opt = ednsOpt(m)!;
    expect([opt.name, opt.type, opt.cls, opt.ttl]).toEqual(['', DNS_OPT, 1232, 0]);
    expect(opt.data.kind === 'raw' && ednsOptions(opt.data.bytes)).toEqual([{ code: 10, data: Uint8Array.from(COOKIE) }]);
    expect([...encodeDns(m)]).toEqual([...DIG_QUERY]);
    expect([...encodeDns(m, { compress: true })]).toEqual([...DIG_QUERY]); // one name: nothing to point at
  });

  it('encodes a CoreDNS answer uncompressed and byte-exact', () => {
    const reply: DnsMessage = {
      id: 12345,
      flags: DNS_QR | DNS_AA | DNS_RD,
      questions: [{ name: 'web.default.svc.cluster.local', type: DNS_A, cls: DNS_CLASS_IN }],
      answers: [{ name: 'web.default.svc.cluster.local', type: DNS_A, cls: DNS_CLASS_IN, ttl: 5, data: { kind: 'a', ip: parseIpv4('10.96.0.20')! } }],
      authority: [],
      additional: [],
    };
    const bytes = encodeDns(reply);
    expect([...bytes]).toEqual([0x30, 0x39, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0, ...QNAME, 0, 1, 0, 1, ...QNAME, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 96, 0, 20]);
    const back = decodeDns(bytes);
    expect(back.ok && back.value).toEqual(reply);
  });

  it('compresses names with pointers to earlier suffixes (question, owner, SOA names) and decodes them back', () => {
    const nx: DnsMessage = {
      id: 7,
      flags: DNS_QR | DNS_AA | DNS_RD | RCODE_NXDOMAIN,
      questions: [{ name: 'nope.default.svc.cluster.local', type: DNS_A, cls: DNS_CLASS_IN }],
      answers: [],
      authority: [
        {
          name: 'cluster.local',
          type: DNS_SOA,
          cls: DNS_CLASS_IN,
          ttl: 30,
          data: { kind: 'soa', mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 },
        },
      ],
      additional: [],
    };
    const b = encodeDns(nx, { compress: true });
    // 'cluster' starts at 12 + (1+4) + (1+7) + (1+3) = 29 = 0x1d.
    const soaOwner = 12 + 32 + 4;
    expect([...b.subarray(soaOwner, soaOwner + 2)]).toEqual([0xc0, 0x1d]);
    const rdata = soaOwner + 2 + 10;
    expect([...b.subarray(rdata, rdata + 9)]).toEqual([2, 0x6e, 0x73, 3, 0x64, 0x6e, 0x73, 0xc0, 0x1d]);
    expect([...b.subarray(rdata + 9, rdata + 22)]).toEqual([10, ...[...'hostmaster'].map((c) => c.charCodeAt(0)), 0xc0, 0x1d]);
    expect(b.length).toBeLessThan(encodeDns(nx).length);
    const back = decodeDns(b);
    expect(back.ok && back.value).toEqual(nx);
    expect([...encodeDns(back.ok ? back.value : nx, { compress: true })]).toEqual([...b]);
    // A CNAME target pointing into the owner name.
    const cn: DnsMessage = { ...nx, flags: DNS_QR, authority: [], answers: [{ name: 'ext.shop.svc.cluster.local', type: DNS_CNAME, cls: DNS_CLASS_IN, ttl: 5, data: { kind: 'cname', target: 'web.shop.svc.cluster.local' } }] };
    const cb = decodeDns(encodeDns(cn, { compress: true }));
    expect(cb.ok && cb.value).toEqual(cn);
  });

  it('keeps AAAA rdata, header fields and escaped labels exactly', () => {
    expect(dnsFlags({ qr: true, opcode: 4, aa: true, tc: true, rd: true, ra: true, ad: true, cd: true, rcode: 5 })).toBe(0xa7b5);
    expect(dnsHeader(0xa7b5)).toEqual({ qr: true, opcode: 4, aa: true, tc: true, rd: true, ra: true, ad: true, cd: true, rcode: 5 });
    const v6 = Uint8Array.from([0x12, 0x34, 0xab, 0xcd, ...new Array<number>(11).fill(0), 1]);
    const m: DnsMessage = { ...query('x'), flags: DNS_QR, answers: [{ name: 'x', type: DNS_AAAA, cls: DNS_CLASS_IN, ttl: 5, data: { kind: 'aaaa', ip: v6 } }] };
    const d = decodeDns(encodeDns(m));
    expect(d.ok && d.value).toEqual(m);
    // A label holding a dot, a backslash and a binary byte.
    const odd = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61, 0x2e, 0x5c, 0x07, 0x62, 2, 0x6f, 0x6b, 0, 0, 1, 0, 1]);
    const o = decodeDns(odd);
    expect(o.ok && o.value.questions[0]!.name).toBe('a\\.\\\\\\007b.ok');
    expect([...encodeDns(o.ok ? o.value : m)]).toEqual([...odd]);
    expect(() => encodeDns(query('a..b'))).toThrow(RangeError);
    expect(() => encodeDns(query('x'.repeat(64)))).toThrow(RangeError);
    expect([...encodeDns(query('web.'))]).toEqual([...encodeDns(query('web'))]);
  });
});

describe('DNS codec: malformed input fails without throwing', () => {
  it('rejects every truncation of a real query', () => {
    for (let n = 0; n < DIG_QUERY.length; n++) expect(decodeDns(DIG_QUERY.subarray(0, n)).ok).toBe(false);
  });

  it('rejects pointer loops, forward pointers, reserved label types, overlong names and bad rdata lengths', () => {
    const header = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    const bad = (name: number[]): boolean => decodeDns(Uint8Array.from([...header, ...name, 0, 1, 0, 1])).ok;
    expect(bad([0xc0, 12])).toBe(false); // points at itself
    expect(bad([1, 0x61, 0xc0, 12])).toBe(false); // back to its own start: a loop
    expect(bad([0xc0, 14, 1, 0x61, 0])).toBe(false); // forward
    expect(bad([0x41, 0x61, 0])).toBe(false); // 0x40: extended label type
    expect(bad([0x81, 0x61, 0])).toBe(false);
    expect(bad(Array.from({ length: 5 }, () => [63, ...new Array<number>(63).fill(0x61)]).flat().concat([0]))).toBe(false);
    expect(bad([1, 0x61, 0])).toBe(true);
    // An A record whose rdata is 3 bytes.
    const shortA = Uint8Array.from([0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 3, 1, 2, 3]);
    expect(decodeDns(shortA)).toEqual({ ok: false, error: 'answer 1: A record of 3 bytes' });
  });

  it('survives random corruption of a compressed reply', () => {
    let seed = 0x2545f491;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const base = encodeDns(
      { id: 1, flags: DNS_QR, questions: [{ name: 'a.b.c', type: DNS_A, cls: DNS_CLASS_IN }], answers: [{ name: 'a.b.c', type: DNS_CNAME, cls: DNS_CLASS_IN, ttl: 5, data: { kind: 'cname', target: 'x.b.c' } }], authority: [], additional: [] },
      { compress: true },
    );
    for (let i = 0; i < 3000; i++) {
      const b = base.slice(0, base.length - rnd(4));
      for (let k = 0; k < 3; k++) b[rnd(b.length)] = rnd(256);
      expect(() => decodeDns(b)).not.toThrow();
    }
  });
});

describe('describe: DNS like tcpdump', () => {
  const POD = parseIpv4('10.244.1.2')!;
  const DNS = parseIpv4('10.96.0.10')!;
  const line = (payload: Uint8Array, toServer: boolean): string => {
    const [src, dst] = toServer ? [POD, DNS] : [DNS, POD];
    const udp = encodeUdp({ srcPort: toServer ? 40000 : 53, dstPort: toServer ? 53 : 40000, payload }, src, dst);
    return describeIpv4(encodeIpv4({ tos: 0, id: 1, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src, dst, payload: udp })).info;
  };

  it('prints queries and answers', () => {
    expect(line(encodeDns({ ...query('web.default.svc.cluster.local'), id: 12345 }), true)).toBe('UDP 53: 12345+ A? web.default.svc.cluster.local. (47)');
    expect(line(DIG_QUERY, true)).toBe('UDP 53: 12345+ [1au] A? web.default.svc.cluster.local. (70)');
    const a: DnsMessage = { ...query('web.default.svc.cluster.local'), id: 12345, flags: DNS_QR | DNS_AA | DNS_RD, answers: [{ name: 'web.default.svc.cluster.local', type: DNS_A, cls: DNS_CLASS_IN, ttl: 5, data: { kind: 'a', ip: parseIpv4('10.96.0.20')! } }] };
    expect(line(encodeDns(a), false)).toBe('UDP 53: 12345*- 1/0/0 A 10.96.0.20 (92)');
    const nx: DnsMessage = { ...a, flags: DNS_QR | DNS_AA | DNS_RD | RCODE_NXDOMAIN, answers: [], authority: [{ name: 'cluster.local', type: DNS_SOA, cls: DNS_CLASS_IN, ttl: 5, data: { kind: 'soa', mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } }] };
    expect(line(encodeDns(nx), false)).toMatch(/^UDP 53: 12345 NXDomain\*- 0\/1\/0 \(\d+\)$/);
    const cn: DnsMessage = { ...a, flags: DNS_QR | DNS_AA | DNS_RD, answers: [{ name: 'ext.shop.svc.cluster.local', type: DNS_CNAME, cls: DNS_CLASS_IN, ttl: 5, data: { kind: 'cname', target: 'web.shop.svc.cluster.local' } }, a.answers[0]!] };
    expect(line(encodeDns(cn), false)).toMatch(/ 2\/0\/0 CNAME web\.shop\.svc\.cluster\.local\., A 10\.96\.0\.20 \(\d+\)$/);
    expect(line(encodeDns({ ...query('x'), flags: DNS_QR | DNS_RD | DNS_AD | RCODE_SERVFAIL }), false)).toBe('UDP 53: 4660 ServFail- 0/0/0 (19)');
    expect(line(DIG_QUERY.subarray(0, 30), true)).toBe('UDP 53: [|domain] (30)');
  });
});

const hasTshark = spawnSync('tshark', ['--version']).status === 0;

describe.skipIf(!hasTshark)('DNS in a pcapng, decoded by tshark', () => {
  it('reads names, answers, CNAME, SOA and EDNS with no malformed packet or bad checksum', () => {
    const POD = parseIpv4('10.244.1.2')!;
    const DNS = parseIpv4('10.96.0.10')!;
    const records = { ttl: 30, serial: 1700000000, services: [
      { namespace: 'default', name: 'web', type: 'ClusterIP' as const, clusterIP: '10.96.0.20' },
      { namespace: 'default', name: 'alias', type: 'ExternalName' as const, externalName: 'web.default.svc.cluster.local' },
    ] };
    const w = new PcapngWriter({ application: 'podwalk test' });
    const ifc = w.addInterface('eth0');
    let t = 0;
    const add = (dns: Uint8Array, toServer: boolean): void => {
      const [src, dst] = toServer ? [POD, DNS] : [DNS, POD];
      const udp = encodeUdp({ srcPort: toServer ? 40000 : 53, dstPort: toServer ? 53 : 40000, payload: dns }, src, dst);
      const ip = encodeIpv4({ tos: 0, id: t, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src, dst, payload: udp });
      w.addPacket(ifc, (t += 1000), encodeEthernet({ dst: '02:42:0a:f4:01:03', src: '02:42:0a:f4:01:02', etherType: ETHERTYPE_IPV4, payload: ip }));
    };
    const exchange = (q: DnsMessage, compress: boolean): void => {
      add(encodeDns(q), true);
      const reply = clusterAnswer(q, records);
      add(compress ? encodeDns(reply, { compress: true }) : encodeReply(reply, q), false);
    };
    const dig = decodeDns(DIG_QUERY);
    if (!dig.ok) throw new Error(dig.error);
    exchange(dig.value, false);
    exchange({ ...query('nope.default.svc.cluster.local'), id: 2 }, true);
    exchange({ ...query('alias.default.svc.cluster.local'), id: 3 }, true);
    const file = join(mkdtempSync(join(tmpdir(), 'podwalk-dns-')), 'dns.pcapng');
    writeFileSync(file, w.toBytes());
    const checks = ['ip', 'udp'].flatMap((p) => ['-o', `${p}.check_checksum:TRUE`]);
    const run = (args: string[]): string => execFileSync('tshark', ['-r', file, ...checks, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(run(['-Y', '_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == 0 || udp.checksum.status == 0']).trim()).toBe('');
    const rows = run(['-T', 'fields', '-E', 'separator=|', '-e', 'dns.id', '-e', 'dns.flags.response', '-e', 'dns.flags.rcode', '-e', 'dns.qry.name', '-e', 'dns.a', '-e', 'dns.cname', '-e', 'dns.soa.mname', '-e', 'dns.soa.rname', '-e', 'dns.rr.udp_payload_size'])
      .trim()
      .split('\n');
    expect(rows.map((r) => r.replace(/\bTrue\b/g, '1').replace(/\bFalse\b/g, '0'))).toEqual([
      '0x3039|0||web.default.svc.cluster.local|||||1232',
      '0x3039|1|0|web.default.svc.cluster.local|10.96.0.20||||1232',
      '0x0002|0||nope.default.svc.cluster.local|||||',
      '0x0002|1|3|nope.default.svc.cluster.local|||ns.dns.cluster.local|hostmaster.cluster.local|',
      '0x0003|0||alias.default.svc.cluster.local|||||',
      '0x0003|1|0|alias.default.svc.cluster.local|10.96.0.20|web.default.svc.cluster.local|||',
    ]);
    const verbose = run(['-V']);
    expect(verbose).toContain('cluster.local: type SOA, class IN, mname ns.dns.cluster.local');
    expect(verbose).toContain('alias.default.svc.cluster.local: type CNAME, class IN, cname web.default.svc.cluster.local');
  });
});
