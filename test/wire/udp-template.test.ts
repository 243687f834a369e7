import { describe, expect, it } from 'vitest';
import { decodeIpv4, encodeIpv4, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { encodeUdp } from '../../src/wire/udp.js';
import { HEADERS_LENT_MAX, UdpTemplate } from '../../src/wire/udp-template.js';

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
      const d = t.decoded(0xbeef);
      expect(Object.keys(d)).toEqual(Object.keys(r.ok ? r.value : {}));
      expect(d).toEqual(r.ok ? r.value : undefined);
      // Every datagram shows the template's one copy of the bytes after its IPv4 header (no view per datagram).
      expect(t.decoded(7).payload).toBe(d.payload);
      // Written in place in a larger memory (by words where aligned, else by bytes), the same bytes.
      for (const at of [40, 41, 42]) {
        const mem = new Uint8Array(at + t.length + 3);
        expect(t.writeAt(0x1beef, mem, at)).toBe(0xbeef);
        expect([...mem.subarray(at, at + t.length)]).toEqual([...b]);
        expect([...mem.subarray(0, at), ...mem.subarray(at + t.length)].every((x) => x === 0)).toBe(true);
      }
    }
  });

  it('lends each datagram a header of its own, the same objects again once their holders let go', () => {
    const t = new UdpTemplate(0x0af40102, 0x0af40103, 40000, 53, 64, true, 64);
    type Holder = { ip: ReturnType<UdpTemplate['decoded']> | undefined };
    // Three datagrams in flight at a time: each lent a header of its own, three objects in all.
    const lent = new Set<object>();
    const inFlight: Holder[] = [];
    for (let i = 0; i < 30; i++) {
      const h: Holder = { ip: undefined };
      h.ip = t.decodedFor(i, h);
      h.ip.ttl = 3; // a forwarded packet's TTL, written in its header
      lent.add(h.ip);
      inFlight.push(h);
      expect(new Set(inFlight.map((x) => x.ip)).size).toBe(inFlight.length);
      for (const x of inFlight) expect(x.ip!.id).toBe(inFlight.indexOf(x) + i + 1 - inFlight.length);
      if (inFlight.length === 3) inFlight.shift()!.ip = undefined; // delivered: its skb renewed for another packet
    }
    expect(lent.size).toBe(3);
    // A header lent again is the new datagram's: its id and the template's TTL.
    expect(t.decodedFor(0x4242, { ip: undefined })).toEqual(t.decoded(0x4242));
  });

  it('makes the holder forget its header once too many are lent', () => {
    const t = new UdpTemplate(0x0af40102, 0x0af40103, 40000, 53, 64, true, 64);
    const holders = Array.from({ length: HEADERS_LENT_MAX + 5 }, () => ({ ip: undefined as ReturnType<UdpTemplate['decoded']> | undefined }));
    holders.forEach((h, i) => (h.ip = t.decodedFor(i, h)));
    expect(holders.slice(0, 5).every((h) => h.ip === undefined)).toBe(true); // they decode their bytes afresh
    expect(holders.slice(5).every((h, i) => h.ip!.id === i + 5)).toBe(true);
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
