import { describe, expect, it } from 'vitest';
import { encodeIpv4, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { encodeUdp } from '../../src/wire/udp.js';
import { encodeVxlan, VXLAN_HEADERS, writeVxlanHeaders } from '../../src/wire/vxlan.js';

describe('VXLAN headers written in front of the frame', () => {
  it('are the bytes encoding the outer packet around a copy gives', () => {
    for (const n of [0, 1, 60, 97, 1464]) {
      const inner = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
      for (const [id, sport, vni] of [[0, 32768, 1], [0xbeef, 60999, 0xabcdef], [0x1ffff, 45000, 7]] as const) {
        const src = 0xc0a80001;
        const dst = 0xc0a80002;
        const udp = encodeUdp({ srcPort: sport, dstPort: 8472, payload: encodeVxlan(vni, inner) }, src, dst);
        const want = encodeIpv4({ tos: 0, id, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src, dst, payload: udp });
        // Headroom holding leftovers of earlier headers: every byte of the outer headers is written.
        const b = new Uint8Array(5 + VXLAN_HEADERS + n).fill(0xa5);
        b.set(inner, 5 + VXLAN_HEADERS);
        writeVxlanHeaders(b, 5, n, id, src, dst, sport, 8472, vni);
        expect([...b.subarray(5)]).toEqual([...want]);
      }
    }
  });
});
