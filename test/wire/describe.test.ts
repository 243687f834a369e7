import { describe, expect, it } from 'vitest';
import {
  ARP_REPLY,
  ARP_REQUEST,
  cidrBroadcast,
  cidrContains,
  cidrHost,
  cidrOverlaps,
  cidrSize,
  decodeIpv4,
  decrementTtl,
  describeFrame,
  describeIpv4,
  encodeArp,
  encodeEthernet,
  encodeIcmp,
  encodeIpv4,
  encodeTcp,
  encodeUdp,
  encodeVxlan,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  formatCidr,
  formatIpv4,
  formatMac,
  writeMac,
  MacHeader,
  formatTcpFlags,
  fragmentIpv4,
  icmpError,
  internetChecksum,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  isMulticastMac,
  LINKTYPE_RAW,
  parseCidr,
  parseIpv4,
  parseMac,
  PcapngWriter,
  prefixMask,
  Reassembler,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  tcpTsOption,
  type Ipv4Packet,
} from '../../src/wire/index.js';

const ip = (s: string): number => parseIpv4(s)!;
const A = ip('10.244.1.2');
const B = ip('10.244.1.3');
const MAC_A = '02:42:0a:f4:01:02';
const MAC_B = '02:42:0a:f4:01:03';

const ipv4 = (protocol: number, payload: Uint8Array, over: Partial<Ipv4Packet> = {}): Uint8Array =>
  encodeIpv4({ tos: 0, id: 1, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol, src: A, dst: B, payload, ...over });
const frame = (etherType: number, payload: Uint8Array): Uint8Array => encodeEthernet({ dst: MAC_B, src: MAC_A, etherType, payload });
const tcp = (flags: number, seq: number, ack: number, n = 0): string =>
  describeIpv4(ipv4(IPPROTO_TCP, encodeTcp({ srcPort: 40000, dstPort: 80, seq, ack, flags, window: 502, payload: new Uint8Array(n) }, A, B))).info;

describe('addresses', () => {
  it('parses and formats strictly', () => {
    for (const bad of ['010.1.1.1', '1.2.3', '256.1.1.1', '1.2.3.4.5', '', ' 1.2.3.4', '1.2.3.-4', '1..2.3']) expect(parseIpv4(bad)).toBeUndefined();
    expect(formatIpv4(ip('255.0.10.1'))).toBe('255.0.10.1');
    const c = parseCidr('10.244.1.7/24')!;
    expect(c).toEqual({ network: ip('10.244.1.0'), prefix: 24, address: ip('10.244.1.7') });
    expect(formatCidr(c)).toBe('10.244.1.0/24');
    expect([cidrSize(c), formatIpv4(cidrHost(c, 1)), formatIpv4(cidrBroadcast(c))]).toEqual([256, '10.244.1.1', '10.244.1.255']);
    expect(cidrContains(c, ip('10.244.1.200'))).toBe(true);
    expect(cidrContains(c, ip('10.244.2.1'))).toBe(false);
    expect(cidrOverlaps(parseCidr('10.244.0.0/16')!, c)).toBe(true);
    expect(cidrOverlaps(parseCidr('10.245.0.0/16')!, c)).toBe(false);
    expect([prefixMask(0), prefixMask(32), prefixMask(8)]).toEqual([0, 0xffffffff, 0xff000000]);
    expect(cidrContains(parseCidr('0.0.0.0/0')!, ip('203.0.113.9'))).toBe(true);
    for (const bad of ['10.244.300.0/24', '10.0.0.0/33', '10.0.0.0/08', '10.0.0.0', '10.0.0.0/']) expect(parseCidr(bad)).toBeUndefined();
  });

  it('MACs', () => {
    expect(formatMac(parseMac('02:42:0A:F4:01:02')!)).toBe(MAC_A);
    expect(parseMac('02:42:0a:f4:01')).toBeUndefined();
    expect(formatMac(Uint8Array.of(0, 1, 2, 3, 4, 5, 6), 1)).toBe('01:02:03:04:05:06');
    // writeMac reads the text as parseMac does, either case.
    for (const mac of ['02:42:0A:F4:01:02', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00', '9a:bC:De:f0:12:3f']) {
      const out = new Uint8Array(8);
      writeMac(out, 1, mac);
      expect([...out]).toEqual([0, ...parseMac(mac)!, 0]);
    }
    // A device's MacHeader writes the same bytes, the pair it framed with last kept as numbers.
    const header = new MacHeader();
    for (const [dst, src] of [['02:42:0A:F4:01:02', 'ff:ff:ff:ff:ff:ff'], ['02:42:0A:F4:01:02', '9a:bC:De:f0:12:3f'], ['00:00:00:00:00:00', '9a:bC:De:f0:12:3f'], ['80:01:02:03:04:ff', 'fe:dc:ba:98:76:54']]) {
      const out = new Uint8Array(14);
      header.write(out, 1, dst!, src!);
      expect([...out]).toEqual([0, ...parseMac(dst!)!, ...parseMac(src!)!, 0]);
      // And it tells a frame's bytes are a MAC when formatMac would read them as that text.
      expect(header.isSource(out, 7, src!)).toBe(formatMac(out, 7) === src);
      expect(header.isSource(out, 1, src!)).toBe(formatMac(out, 1) === src);
      expect(header.isSource(out, 7, formatMac(out, 7))).toBe(true);
    }
    expect([isMulticastMac('ff:ff:ff:ff:ff:ff'), isMulticastMac('01:00:5e:00:00:01'), isMulticastMac(MAC_A), isMulticastMac('0B:00:00:00:00:00')]).toEqual([true, true, false, true]);
  });
});

describe('describeFrame', () => {
  it('summarises like tcpdump', () => {
    const udp = describeFrame(frame(ETHERTYPE_IPV4, ipv4(IPPROTO_UDP, encodeUdp({ srcPort: 5000, dstPort: 8080, payload: new Uint8Array(100) }, A, B))));
    expect(udp).toEqual({ len: 142, srcMac: MAC_A, dstMac: MAC_B, type: 'ipv4', src: '10.244.1.2', dst: '10.244.1.3', proto: 'udp', sport: 5000, dport: 8080, ttl: 64, info: 'UDP len 100' });
    expect(tcp(TCP_SYN, 1000, 0)).toBe('TCP [S] seq 1000');
    expect(tcp(TCP_SYN | TCP_ACK, 5000, 1001)).toBe('TCP [S.] seq 5000 ack 1001');
    expect(tcp(TCP_PSH | TCP_ACK, 1, 1, 64)).toBe('TCP [P.] len 64');
    expect(tcp(TCP_ACK, 1001, 5001)).toBe('TCP [.] ack 5001');
    const icmp = (type: number, code: number, rest: number): string => describeIpv4(ipv4(IPPROTO_ICMP, encodeIcmp({ type, code, rest, payload: new Uint8Array(8) }))).info;
    expect(icmp(8, 0, (1 << 16) | 1)).toBe('ICMP echo request id 1 seq 1');
    expect(icmp(0, 0, (1 << 16) | 1)).toBe('ICMP echo reply id 1 seq 1');
    expect([icmp(3, 3, 0), icmp(3, 1, 0), icmp(3, 0, 0), icmp(11, 0, 0), icmp(3, 4, 1450)]).toEqual(['ICMP port unreachable', 'ICMP host unreachable', 'ICMP net unreachable', 'ICMP time exceeded', 'ICMP frag needed mtu 1450']);
    const arp = (op: 1 | 2): string => describeFrame(frame(ETHERTYPE_ARP, encodeArp({ op, senderMac: op === 1 ? MAC_A : MAC_B, senderIp: op === 1 ? A : B, targetMac: op === 1 ? '00:00:00:00:00:00' : MAC_A, targetIp: op === 1 ? B : A }))).info;
    expect(arp(ARP_REQUEST)).toBe('ARP who-has 10.244.1.3 tell 10.244.1.2');
    expect(arp(ARP_REPLY)).toBe(`ARP 10.244.1.3 is-at ${MAC_B}`);
    expect(describeIpv4(ipv4(IPPROTO_UDP, new Uint8Array(16), { df: false, mf: true, fragmentOffset: 1480 })).info).toBe('IPv4 frag off 1480 [MF]');
  });

  it('looks inside VXLAN and reports the inner addresses', () => {
    const inner = frame(ETHERTYPE_IPV4, ipv4(IPPROTO_ICMP, encodeIcmp({ type: 8, code: 0, rest: (7 << 16) | 2, payload: new Uint8Array(56) })));
    const outerSrc = ip('192.168.56.11');
    const outerDst = ip('192.168.56.12');
    const udp = encodeUdp({ srcPort: 51000, dstPort: 8472, payload: encodeVxlan(1, inner) }, outerSrc, outerDst);
    const s = describeIpv4(encodeIpv4({ tos: 0, id: 1, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src: outerSrc, dst: outerDst, payload: udp }));
    expect(s.info).toMatch(/^VXLAN vni 1: .*10\.244\.1\.2.*10\.244\.1\.3.*ICMP echo request id 7 seq 2$/);
    expect(s.src).toBe('192.168.56.11');
  });

  it('malformed input is described, not thrown', () => {
    const bad = ipv4(IPPROTO_UDP, new Uint8Array(8));
    bad[10] = bad[10]! ^ 1;
    expect(describeIpv4(bad).info).toBe('malformed: bad IPv4 header checksum');
    expect(describeFrame(new Uint8Array(3)).info).toMatch(/^malformed/);
  });

  it('formats TCP flags in tcpdump order', () => {
    expect([TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK, TCP_PSH | TCP_ACK, TCP_RST | TCP_ACK, TCP_FIN | TCP_ACK, TCP_RST, TCP_FIN | TCP_PSH | TCP_ACK, 0].map(formatTcpFlags)).toEqual(['[S]', '[S.]', '[.]', '[P.]', '[R.]', '[F.]', '[R]', '[FP.]', '[none]']);
    expect([...tcpTsOption(1, 2)]).toEqual([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
  });
});

describe('IPv4 details', () => {
  it('incremental TTL update equals a full recomputation for every TTL and header', () => {
    for (let ttl = 1; ttl <= 255; ttl++) {
      const b = ipv4(ttl % 3 === 0 ? IPPROTO_TCP : IPPROTO_UDP, new Uint8Array(ttl), { ttl, id: ttl * 257, tos: ttl });
      expect(decrementTtl(b, 0)).toBe(ttl - 1);
      expect(internetChecksum(b, 0, 20)).toBe(0);
    }
    const zero = ipv4(IPPROTO_UDP, new Uint8Array(0), { ttl: 0 });
    expect(decrementTtl(zero, 0)).toBe(0);
    expect(zero[8]).toBe(0);
  });

  it('ignores trailing bytes, rejects short totals and bad versions', () => {
    const b = ipv4(IPPROTO_UDP, new Uint8Array(10));
    const padded = new Uint8Array(b.length + 6);
    padded.set(b);
    const d = decodeIpv4(padded);
    expect(d.ok && [d.value.totalLength, d.value.payload.length, d.value.headerLength]).toEqual([30, 10, 20]);
    expect(decodeIpv4(b.subarray(0, 29)).ok).toBe(false);
    const v6 = b.slice();
    v6[0] = 0x65;
    expect(decodeIpv4(v6).ok).toBe(false);
  });

  it('later fragments keep copied options only; a packet that fits is untouched; re-fragmenting keeps offsets', () => {
    // Record route (7, not copied) then a made-up copied option (0x94 = router alert).
    const options = Uint8Array.of(7, 3, 4, 0x94, 4, 0, 0, 0);
    const p: Ipv4Packet = { tos: 0, id: 5, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src: A, dst: B, options, payload: new Uint8Array(3000).map((_, i) => i) };
    const frags = fragmentIpv4(p, 1500);
    expect(frags.map((f) => [...(f.options ?? [])])).toEqual([[...options], [1, 1, 1, 0x94, 4, 0, 0, 0], [1, 1, 1, 0x94, 4, 0, 0, 0]]);
    for (const f of frags) expect(encodeIpv4(f).length).toBeLessThanOrEqual(1500);
    expect(fragmentIpv4(frags[0]!, 1500)).toEqual([frags[0]]);
    const sub = fragmentIpv4(frags[1]!, 600);
    expect(sub[0]!.fragmentOffset).toBe(frags[1]!.fragmentOffset);
    expect(sub.map((f) => f.mf)).toEqual(sub.map(() => true));
    const r = new Reassembler();
    let whole: Ipv4Packet | undefined;
    for (const f of [frags[2]!, ...sub.reverse(), frags[0]!]) whole = r.push(f, 0) ?? whole;
    expect(whole && [...whole.payload]).toEqual([...p.payload]);
  });

  it('expires incomplete reassembly queues', () => {
    const r = new Reassembler();
    const frags = fragmentIpv4({ tos: 0, id: 9, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: 17, src: A, dst: B, payload: new Uint8Array(3000) }, 1500);
    expect(r.push(frags[0]!, 0)).toBeUndefined();
    expect(r.expire(10e9)).toBe(0);
    expect(r.expire(31e9)).toBe(1);
    expect(r.push(frags[1]!, 31e9)).toBeUndefined();
    expect(r.push(frags[2]!, 31e9)).toBeUndefined(); // the first fragment went with the expired queue
  });

  it('frag-needed carries the next-hop MTU; errors quote short packets whole', () => {
    const small = ipv4(IPPROTO_UDP, new Uint8Array(30));
    const e = icmpError(3, 4, small, 1450);
    expect(e.length).toBe(8 + small.length);
    expect([e[6], e[7]]).toEqual([1450 >> 8, 1450 & 255]);
    expect([...e.subarray(8)]).toEqual([...small]);
  });
});

describe('pcapng options', () => {
  it('carries shb_userappl, if_name, if_tsresol=9, opt_comment; snaplen truncates', () => {
    const w = new PcapngWriter({ application: 'podwalk' });
    const i = w.addInterface('lo', LINKTYPE_RAW, 4);
    w.addPacket(i, 2 ** 40 + 0.4, Uint8Array.of(1, 2, 3, 4, 5, 6), 'hello');
    const out = w.toBytes();
    const dv = new DataView(out.buffer);
    const text = new TextDecoder().decode(out);
    expect(text).toContain('podwalk');
    expect(text).toContain('hello');
    const blocks: { type: number; at: number; len: number }[] = [];
    for (let o = 0; o < out.length; o += dv.getUint32(o + 4, true)) blocks.push({ type: dv.getUint32(o, true), at: o, len: dv.getUint32(o + 4, true) });
    const idb = blocks[1]!;
    expect(dv.getUint16(idb.at + 8, true)).toBe(LINKTYPE_RAW);
    // IDB options: if_name "lo" (code 2, len 2, padded to 4), then if_tsresol (code 9, len 1, value 9).
    expect([...out.subarray(idb.at + 16, idb.at + 32)]).toEqual([2, 0, 2, 0, 0x6c, 0x6f, 0, 0, 9, 0, 1, 0, 9, 0, 0, 0]);
    const epb = blocks[2]!;
    expect([dv.getUint32(epb.at + 12, true), dv.getUint32(epb.at + 16, true)]).toEqual([2 ** 8, 0]);
    expect([dv.getUint32(epb.at + 20, true), dv.getUint32(epb.at + 24, true)]).toEqual([4, 6]);
  });
});
