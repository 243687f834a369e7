import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/wire/addr.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import { encodeIcmp } from '../../src/wire/icmp.js';
import { encodeIpv4, IPPROTO_ICMP } from '../../src/wire/ipv4.js';
import { rewriteIcmpError } from '../../src/wire/l4-rewrite.js';

const ip = (s: string): number => parseIpv4(s)!;

/** An IPv4 packet carrying `icmp` from `src` to `dst`. */
const packet = (src: string, dst: string, icmp: Uint8Array): Uint8Array =>
  encodeIpv4({ tos: 0, id: 1, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_ICMP, src: ip(src), dst: ip(dst), payload: icmp });

describe('an ICMP error quoting a source-NATed echo request', () => {
  it('gets the quoted echo id back with the quoted source (icmp_manip_pkt on the inner header), every checksum valid', () => {
    // The echo request as it left the node: masqueraded to 192.168.56.11, its id moved from 4660 to 17688.
    const echo = packet('192.168.56.11', '192.168.56.200', encodeIcmp({ type: 8, code: 0, rest: (17688 << 16) | 1, payload: new Uint8Array(8).fill(7) }));
    // Host unreachable about it, quoting it whole, on its way back to the node.
    const error = packet('192.168.56.1', '192.168.56.11', encodeIcmp({ type: 3, code: 1, rest: 0, payload: echo }));
    const out = rewriteIcmpError(error, { dst: ip('10.244.1.2') }, { src: ip('10.244.1.2'), sport: 4660 });
    const q = 28;
    expect([...out.subarray(16, 20)]).toEqual([10, 244, 1, 2]);
    expect([...out.subarray(q + 12, q + 16)]).toEqual([10, 244, 1, 2]);
    expect((out[q + 24]! << 8) | out[q + 25]!).toBe(4660);
    expect(internetChecksum(out, 0, 20)).toBe(0); // outer IPv4 header
    expect(internetChecksum(out, 20, out.length)).toBe(0); // outer ICMP message
    expect(internetChecksum(out, q, q + 20)).toBe(0); // quoted IPv4 header
    expect(internetChecksum(out, q + 20, out.length)).toBe(0); // quoted echo request, whole here
  });
});
