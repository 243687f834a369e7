import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Netfilter } from '../../src/kernel/netfilter/netfilter.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { jhash2Addr, natAddress, reciprocalScale } from '../../src/kernel/conntrack/nat-addr.js';
import { parseIpv4 } from '../../src/wire/addr.js';

/** Bob Jenkins' lookup3 hashlittle over bytes, written from the reference independently of the kernel's jhash2. */
function hashlittle(key: Uint8Array, initval: number): number {
  const rot = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
  let a = (0xdeadbeef + key.length + initval) >>> 0;
  let b = a;
  let c = a;
  const word = (i: number): number => ((key[i] ?? 0) | ((key[i + 1] ?? 0) << 8) | ((key[i + 2] ?? 0) << 16) | ((key[i + 3] ?? 0) << 24)) >>> 0;
  let i = 0;
  let left = key.length;
  while (left > 12) {
    a = (a + word(i)) >>> 0;
    b = (b + word(i + 4)) >>> 0;
    c = (c + word(i + 8)) >>> 0;
    a = (a - c) >>> 0; a ^= rot(c, 4); a >>>= 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b ^= rot(a, 6); b >>>= 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c ^= rot(b, 8); c >>>= 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a ^= rot(c, 16); a >>>= 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b ^= rot(a, 19); b >>>= 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c ^= rot(b, 4); c >>>= 0; b = (b + a) >>> 0;
    i += 12;
    left -= 12;
  }
  if (left === 0) return c;
  // The tail, zero-padded (hashlittle's byte-wise switch).
  const tail = new Uint8Array(12);
  tail.set(key.subarray(i));
  const tw = (o: number): number => (tail[o]! | (tail[o + 1]! << 8) | (tail[o + 2]! << 16) | (tail[o + 3]! << 24)) >>> 0;
  a = (a + tw(0)) >>> 0;
  b = (b + tw(4)) >>> 0;
  c = (c + tw(8)) >>> 0;
  c ^= b; c >>>= 0; c = (c - rot(b, 14)) >>> 0;
  a ^= c; a >>>= 0; a = (a - rot(c, 11)) >>> 0;
  b ^= a; b >>>= 0; b = (b - rot(a, 25)) >>> 0;
  c ^= b; c >>>= 0; c = (c - rot(b, 16)) >>> 0;
  a ^= c; a >>>= 0; a = (a - rot(c, 4)) >>> 0;
  b ^= a; b >>>= 0; b = (b - rot(a, 14)) >>> 0;
  c ^= b; c >>>= 0; c = (c - rot(b, 24)) >>> 0;
  return c;
}

/** An IPv4 nf_inet_addr as memory holds it: the address's four bytes in network order, then 12 zero bytes. */
function inetAddr(ip: string): Uint8Array {
  const out = new Uint8Array(16);
  out.set(ip.split('.').map(Number));
  return out;
}

/** The same address read as a little-endian CPU's u32 (what jhash2 adds and what the kernel passes as initval). */
const le = (ip: string): number => new DataView(inetAddr(ip).buffer).getUint32(0, true);

describe("nf_nat's choice of an address in a range (find_best_ips_proto)", () => {
  it("jhash2 is lookup3's hash: the reference's test vectors, and the kernel's 16-byte key", () => {
    const text = new TextEncoder().encode('Four score and seven years ago');
    expect(hashlittle(new Uint8Array(0), 0)).toBe(0xdeadbeef);
    expect(hashlittle(text, 0)).toBe(0x17770551);
    expect(hashlittle(text, 1)).toBe(0xcd628161);
    for (const [src, dst] of [['10.244.1.2', '10.96.0.10'], ['192.168.56.11', '1.1.1.1'], ['255.255.255.255', '0.0.0.0']] as const) {
      expect(jhash2Addr(le(src), le(dst))).toBe(hashlittle(inetAddr(src), le(dst)));
    }
  });

  it('reciprocal_scale is the top 32 bits of the 64-bit product', () => {
    for (const [v, r] of [[0xffffffff, 0xffffffff], [0x12345678, 7], [0x80000000, 2], [0, 5], [0xfedcba98, 0x10000]]) {
      expect(reciprocalScale(v!, r!)).toBe(Number((BigInt(v!) * BigInt(r!)) >> 32n));
    }
  });

  it('one address: no hashing; a range: the hash of source and destination scaled onto it, the same every time', () => {
    const ip = (s: string): number => parseIpv4(s)!;
    expect(natAddress({ toIp: ip('203.0.113.1') }, ip('10.244.1.2'), ip('1.1.1.1'))).toBe(ip('203.0.113.1'));
    const range = { toIp: ip('203.0.113.1'), toIpMax: ip('203.0.113.4') };
    const pick = (src: string, dst: string, persistent = false): number => natAddress({ ...range, persistent }, ip(src), ip(dst)) - range.toIp;
    const want = (src: string, dst: string, init: number): number => Number((BigInt(hashlittle(inetAddr(src), init)) * 4n) >> 32n);
    expect(pick('10.244.1.2', '1.1.1.1')).toBe(want('10.244.1.2', '1.1.1.1', le('1.1.1.1')));
    expect(pick('10.244.1.2', '8.8.8.8')).toBe(want('10.244.1.2', '8.8.8.8', le('8.8.8.8')));
    // --persistent: the destination is left out of the hash (initval 0).
    expect(pick('10.244.1.2', '1.1.1.1', true)).toBe(want('10.244.1.2', '', 0));
    expect(pick('10.244.1.2', '8.8.8.8', true)).toBe(pick('10.244.1.2', '1.1.1.1', true));
    // Clients spread over the whole range and never leave it.
    const used = new Set(Array.from({ length: 64 }, (_, k) => pick(`10.244.1.${k + 2}`, '1.1.1.1')));
    expect([...used].sort()).toEqual([0, 1, 2, 3]);
  });
});

describe('DNAT --to-destination A-B in a cluster', () => {
  it('each client reaches the server its hash with the destination picks, on every connection; --persistent hashes the client alone', () => {
    const r = loadScenarioFile(join(import.meta.dirname, 'fixtures', 'nat-range', 'nat-range.yaml'));
    if (!r.ok) throw new Error('load');
    const flows = simulate(r.scenario).flows;
    expect(flows).toHaveLength(32);
    for (const f of flows) {
      const [client, vip] = f.flow.split('-') as [string, string];
      const src = `10.244.1.${client.slice(1)}`;
      const init = vip === '99' ? le('10.96.99.99') : 0;
      const server = 2 + Number((BigInt(hashlittle(inetAddr(src), init)) * 4n) >> 32n);
      expect([f.flow, f.deliveredTo]).toEqual([f.flow, `pod/default/s${server}`]);
    }
  });
});

it('a second --to-source is refused, as iptables (1.4.x on) refuses it: a range is the way to give several addresses', () => {
  const rules = '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.244.0.0/16 -j SNAT --to-source 192.168.56.11 --to-source 192.168.56.12\nCOMMIT\n';
  expect(() => new Netfilter().restore(rules)).toThrow('SNAT: option "--to-source" can only be used once.');
});
