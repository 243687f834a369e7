import { describe, expect, it } from 'vitest';
import {
  ARP_REQUEST,
  decodeArp,
  decodeEthernet,
  decodeIcmp,
  decodeIpv4,
  decodeTcp,
  decodeUdp,
  decodeVxlan,
  decrementTtl,
  describeFrame,
  encodeArp,
  encodeEthernet,
  encodeIcmp,
  encodeIpv4,
  encodeTcp,
  encodeUdp,
  encodeVxlan,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  fragmentIpv4,
  icmpError,
  internetChecksum,
  IPPROTO_UDP,
  parseCidr,
  parseIpv4,
  PcapngWriter,
  Reassembler,
  TCP_SYN,
  tcpSynOptions,
  type Ipv4Packet,
} from '../../src/wire/index.js';

/** mulberry32: a few lines of seeded randomness, so these tests depend on nothing outside src/wire. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  nextU32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  }
  next(): number {
    return this.nextU32() / 2 ** 32;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ip = (s: string): number => parseIpv4(s)!;

describe('golden bytes', () => {
  it('RFC 1071 example and a well-known IPv4 header checksum', () => {
    // RFC 1071 section 3: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d.
    expect(internetChecksum(hex('0001f203f4f5f6f7'))).toBe(0x220d);
    const hdr = hex('450000730000400040110000c0a80001c0a800c7');
    expect(internetChecksum(hdr)).toBe(0xb861);
  });

  it('encodes that IPv4 header byte for byte', () => {
    const b = encodeIpv4({ tos: 0, id: 0, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src: ip('192.168.0.1'), dst: ip('192.168.0.199'), payload: new Uint8Array(0x73 - 20) });
    expect(toHex(b.subarray(0, 20))).toBe('45000073000040004011b861c0a80001c0a800c7');
  });

  it('a broadcast ARP request frame is 42 bytes, exactly as Linux sends it', () => {
    const f = encodeEthernet({
      dst: 'ff:ff:ff:ff:ff:ff',
      src: '02:42:0a:f4:01:02',
      etherType: ETHERTYPE_ARP,
      payload: encodeArp({ op: ARP_REQUEST, senderMac: '02:42:0a:f4:01:02', senderIp: ip('10.244.1.2'), targetMac: '00:00:00:00:00:00', targetIp: ip('10.244.1.3') }),
    });
    expect(toHex(f)).toBe('ffffffffffff02420af40102' + '0806' + '0001080006040001' + '02420af40102' + '0af40102' + '000000000000' + '0af40103');
    expect(f.length).toBe(42);
  });

  it('UDP checksum matches an independent computation with the pseudo-header', () => {
    const src = ip('10.244.1.2');
    const dst = ip('10.244.2.2');
    const u = encodeUdp({ srcPort: 40000, dstPort: 8080, payload: Uint8Array.of(1, 2, 3) }, src, dst);
    // Independent: sum pseudo-header bytes and the datagram with a zeroed checksum.
    const pseudo = hex('0af40102' + '0af40202' + '0011' + '000b');
    const zeroed = u.slice();
    zeroed[6] = 0;
    zeroed[7] = 0;
    const both = new Uint8Array(pseudo.length + zeroed.length);
    both.set(pseudo);
    both.set(zeroed, pseudo.length);
    expect((u[6]! << 8) | u[7]!).toBe(internetChecksum(both));
  });

  it('UDP payload N is an N+42 byte frame; a Linux SYN is 74 bytes', () => {
    const src = ip('10.244.1.2');
    const dst = ip('10.244.1.3');
    for (const n of [0, 1, 100, 1472]) {
      const udp = encodeUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(n) }, src, dst);
      const pkt = encodeIpv4({ tos: 0, id: 0, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src, dst, payload: udp });
      expect(encodeEthernet({ dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02', etherType: ETHERTYPE_IPV4, payload: pkt }).length).toBe(n + 42);
    }
    const syn = encodeTcp({ srcPort: 1, dstPort: 2, seq: 1, ack: 0, flags: TCP_SYN, window: 64240, options: tcpSynOptions(1460, 1, 7), payload: new Uint8Array(0) }, src, dst);
    expect(syn.length + 20 + 14).toBe(74);
  });

  it('VXLAN header: flags 0x08 and a 24-bit VNI', () => {
    expect(toHex(encodeVxlan(1, new Uint8Array(0)))).toBe('0800000000000100');
    expect(decodeVxlan(hex('0800000000abcd00')).ok && decodeVxlan(hex('0800000000abcd00'))).toMatchObject({ value: { vni: 0xabcd } });
  });

  it('ICMP errors quote the offending packet, capped so the error stays within 576 bytes', () => {
    const big = encodeIpv4({ tos: 0, id: 1, df: false, mf: false, fragmentOffset: 0, ttl: 1, protocol: IPPROTO_UDP, src: 1, dst: 2, payload: new Uint8Array(1000) });
    const e = icmpError(11, 0, big);
    expect(e.length).toBe(576 - 20);
    expect(decodeIcmp(e).ok).toBe(true);
  });

  it('TTL decrement keeps the header checksum valid', () => {
    const b = encodeIpv4({ tos: 0, id: 7, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: 17, src: ip('10.0.0.1'), dst: ip('10.0.0.2'), payload: new Uint8Array(8) });
    expect(decrementTtl(b, 0)).toBe(63);
    expect(internetChecksum(b, 0, 20)).toBe(0);
  });
});

describe('round trips and robustness', () => {
  const rng = new Rng(42);
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rng.int(0, 255));

  it('random packets of every kind decode to what was encoded', () => {
    for (let i = 0; i < 300; i++) {
      const src = rng.nextU32();
      const dst = rng.nextU32();
      const payload = bytes(rng.int(0, 200));
      const p: Ipv4Packet = { tos: rng.int(0, 255), id: rng.int(0, 0xffff), df: rng.next() < 0.5, mf: false, fragmentOffset: 0, ttl: rng.int(1, 255), protocol: rng.int(0, 255), src, dst, payload };
      const d = decodeIpv4(encodeIpv4(p));
      expect(d.ok && { ...d.value, payload: [...d.value.payload] }).toMatchObject({ ...p, payload: [...payload] });
      const u = decodeUdp(encodeUdp({ srcPort: rng.int(0, 65535), dstPort: rng.int(0, 65535), payload }, src, dst), src, dst);
      expect(u.ok).toBe(true);
      const t = decodeTcp(encodeTcp({ srcPort: 1, dstPort: 2, seq: rng.nextU32(), ack: rng.nextU32(), flags: rng.int(0, 255), window: rng.int(0, 65535), payload }, src, dst), src, dst);
      expect(t.ok).toBe(true);
      const c = decodeIcmp(encodeIcmp({ type: 8, code: 0, rest: rng.nextU32(), payload }));
      expect(c.ok).toBe(true);
      const a = decodeArp(encodeArp({ op: 2, senderMac: '02:00:00:00:00:01', senderIp: src, targetMac: '02:00:00:00:00:02', targetIp: dst }));
      expect(a.ok && a.value.senderIp).toBe(src);
    }
  });

  it('mutated and truncated bytes never throw, and checksums catch corruption', () => {
    const src = ip('10.244.1.2');
    const dst = ip('10.244.2.2');
    const udp = encodeUdp({ srcPort: 1, dstPort: 8472, payload: encodeVxlan(1, bytes(60)) }, src, dst);
    const frame = encodeEthernet({ dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02', etherType: ETHERTYPE_IPV4, payload: encodeIpv4({ tos: 0, id: 0, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: 17, src, dst, payload: udp }) });
    for (let i = 0; i < 2000; i++) {
      const m = frame.slice(0, rng.int(0, frame.length));
      if (m.length > 0) { const k = rng.int(0, m.length - 1); m[k] = m[k]! ^ (1 << rng.int(0, 7)); }
      expect(() => {
        describeFrame(m);
        decodeEthernet(m);
        decodeIpv4(m.subarray(14));
        decodeUdp(m.subarray(34), src, dst);
        decodeTcp(m.subarray(34), src, dst);
        decodeIcmp(m.subarray(34));
        decodeArp(m.subarray(14));
        decodeVxlan(m.subarray(42));
      }).not.toThrow();
    }
    const flipped = udp.slice();
    flipped[20] = flipped[20]! ^ 0xff;
    expect(decodeUdp(flipped, src, dst).ok).toBe(false);
  });

  it('fragments fit the MTU, sit on 8-byte boundaries and reassemble in any order', () => {
    const p: Ipv4Packet = { tos: 0, id: 99, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: 17, src: 1, dst: 2, payload: bytes(4000) };
    const frags = fragmentIpv4(p, 1500);
    expect(frags.length).toBe(3);
    for (const f of frags) {
      expect(encodeIpv4(f).length).toBeLessThanOrEqual(1500);
      expect(f.fragmentOffset % 8).toBe(0);
    }
    expect(frags.map((f) => f.mf)).toEqual([true, true, false]);
    const r = new Reassembler();
    const order = [2, 0, 1];
    let whole: Ipv4Packet | undefined;
    for (const i of order) whole = r.push(frags[i]!, 0) ?? whole;
    expect(whole && [...whole.payload]).toEqual([...p.payload]);
  });

  it('parses CIDRs strictly', () => {
    expect(parseCidr('10.244.300.0/24')).toBeUndefined();
    expect(parseCidr('10.244.1.0/33')).toBeUndefined();
    expect(parseIpv4('010.1.1.1')).toBeUndefined();
    expect(parseCidr('192.168.56.0/24')).toEqual({ network: ip('192.168.56.0'), prefix: 24, address: ip('192.168.56.0') });
  });
});

describe('pcapng', () => {
  it('writes blocks that parse back with consistent lengths and ns timestamps', () => {
    const w = new PcapngWriter({ application: 'test' });
    const a = w.addInterface('node1:eth0');
    const b = w.addInterface('node2:eth0');
    w.addPacket(a, 1_500_000_123, hex('ffffffffffff020000000001080600'));
    w.addPacket(b, 2, hex('00'));
    const out = w.toBytes();
    const dv = new DataView(out.buffer);
    const types: number[] = [];
    const stamps: number[] = [];
    for (let o = 0; o < out.length; ) {
      const type = dv.getUint32(o, true);
      const len = dv.getUint32(o + 4, true);
      expect(dv.getUint32(o + len - 4, true)).toBe(len);
      expect(len % 4).toBe(0);
      types.push(type);
      if (type === 6) stamps.push(dv.getUint32(o + 12, true) * 2 ** 32 + dv.getUint32(o + 16, true));
      o += len;
    }
    expect(types).toEqual([0x0a0d0d0a, 1, 1, 6, 6]);
    expect(stamps).toEqual([1_500_000_123, 2]);
  });
});
