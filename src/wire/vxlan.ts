import { internetChecksum, pseudoHeaderSum } from './checksum.js';
import { fail, type Decoded } from './decoded.js';
import { IPPROTO_UDP, put16, put32 } from './ipv4.js';

/** flannel's VXLAN port (the Linux kernel's historical default, not IANA's 4789). */
export const VXLAN_PORT = 8472;
/** Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
export const VXLAN_OVERHEAD = 50;

export function encodeVxlan(vni: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  b[0] = 0x08; // I flag: the VNI is valid
  b[4] = (vni >>> 16) & 255;
  b[5] = (vni >>> 8) & 255;
  b[6] = vni & 255;
  b.set(payload, 8);
  return b;
}

export function decodeVxlan(b: Uint8Array): Decoded<{ vni: number; payload: Uint8Array }> {
  if (b.length < 8) return fail(`VXLAN header of ${b.length} bytes`);
  if (!(b[0]! & 0x08)) return fail('VXLAN I flag not set');
  return { ok: true, value: { vni: (b[4]! << 16) | (b[5]! << 8) | b[6]!, payload: b.subarray(8) } };
}

/** Outer IPv4 20 + UDP 8 + VXLAN 8: what encapsulation puts in front of the inner frame (the outer Ethernet header comes later). */
export const VXLAN_HEADERS = 36;

/**
 * Write, at `o` of `b`, the outer IPv4, UDP and VXLAN headers of the inner
 * frame of `innerLen` bytes that lies right behind them (at `o + 36`): the
 * same bytes as `encodeIpv4` of `encodeUdp` of `encodeVxlan` (no options,
 * TOS 0, no DF, TTL 64, the UDP checksum computed), written in front of the
 * frame instead of around a copy of it.
 */
export function writeVxlanHeaders(b: Uint8Array, o: number, innerLen: number, id: number, src: number, dst: number, sport: number, dport: number, vni: number): void {
  const udpLen = 16 + innerLen;
  b[o] = 0x45;
  b[o + 1] = 0;
  put16(b, o + 2, 20 + udpLen);
  put16(b, o + 4, id & 0xffff);
  put16(b, o + 6, 0);
  b[o + 8] = 64;
  b[o + 9] = IPPROTO_UDP;
  put16(b, o + 10, 0);
  put32(b, o + 12, src);
  put32(b, o + 16, dst);
  put16(b, o + 10, internetChecksum(b, o, o + 20));
  const u = o + 20;
  put16(b, u, sport);
  put16(b, u + 2, dport);
  put16(b, u + 4, udpLen);
  put16(b, u + 6, 0);
  b[u + 8] = 0x08; // I flag: the VNI is valid
  b[u + 9] = 0;
  b[u + 10] = 0;
  b[u + 11] = 0;
  b[u + 12] = (vni >>> 16) & 255;
  b[u + 13] = (vni >>> 8) & 255;
  b[u + 14] = vni & 255;
  b[u + 15] = 0;
  const c = internetChecksum(b, u, u + udpLen, pseudoHeaderSum(src, dst, IPPROTO_UDP, udpLen));
  put16(b, u + 6, c === 0 ? 0xffff : c); // as encodeUdp: a computed 0 is sent as all ones
}
