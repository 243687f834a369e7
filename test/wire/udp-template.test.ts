import { describe, expect, it } from 'vitest';
import { decodeIpv4, encodeIpv4, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { encodeUdp } from '../../src/wire/udp.js';
import { UdpTemplate } from '../../src/wire/udp-template.js';

/** What a datagram is when encoded afresh, field by field. */
function fresh(src: number, dst: number, sport: number, dport: number, ttl: number, df: boolean, id: number, size: number): Uint8Array {
  const l4 = encodeUdp({ srcPort: sport, dstPort: dport, payload: new Uint8Array(size) }, src, dst);
  return encodeIpv4({ tos: 0, id, df, mf: false, fragmentOffset: 0, ttl, protocol: IPPROTO_UDP, src, dst, payload: l4 });
}

describe('UdpTemplate', () => {
  const cases: [number, number, number, number, number, boolean, number][] = [
    [0x0af40102, 0x0af40103, 40000, 53, 64, true, 64],
    [0x0a000001, 0xc0a80001, 32768, 8125, 1, false, 0],
    [0xffffffff, 0xfffffffe, 65535, 65535, 255, true, 1471],
    [0x7f000001, 0x7f000001, 60999, 1, 64, false, 7],
  ];
  it('makes the bytes encoding each datagram afresh makes, for any IP id', () => {
    for (const [src, dst, sport, dport, ttl, df, size] of cases) {
      const t = new UdpTemplate(src, dst, sport, dport, ttl, df, size);
      for (const id of [0, 1, 0x1234, 0x7fff, 0xfffe, 0xffff, 0x10005]) {
        const b = t.write(id, new Uint8Array(t.length));
        expect([...b]).toEqual([...fresh(src, dst, sport, dport, ttl, df, id & 0xffff, size)]);
      }
    }
  });

  it('reads its bytes back as decodeIpv4 does', () => {
    for (const [src, dst, sport, dport, ttl, df, size] of cases) {
      const t = new UdpTemplate(src, dst, sport, dport, ttl, df, size);
      const b = t.write(0xbeef, new Uint8Array(new ArrayBuffer(14 + t.length), 14));
      const r = decodeIpv4(b);
      expect(r.ok).toBe(true);
      const d = t.decoded(b);
      expect(Object.keys(d)).toEqual(Object.keys(r.ok ? r.value : {}));
      expect(d).toEqual(r.ok ? r.value : undefined);
      // Every datagram shows the template's one copy of the bytes after its IPv4 header (no view per datagram).
      expect(t.decoded(t.write(7, new Uint8Array(t.length))).payload).toBe(d.payload);
    }
  });

  it('fits only datagrams with its source, TTL, DF and size', () => {
    const t = new UdpTemplate(1, 2, 3, 4, 64, true, 10);
    expect(t.fits(1, 64, true, 10)).toBe(true);
    expect(t.fits(5, 64, true, 10)).toBe(false);
    expect(t.fits(1, 63, true, 10)).toBe(false);
    expect(t.fits(1, 64, false, 10)).toBe(false);
    expect(t.fits(1, 64, true, 11)).toBe(false);
  });
});
