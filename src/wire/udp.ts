import { internetChecksum, pseudoHeaderSum } from './checksum.js';
import { fail, type Decoded } from './decoded.js';
import { IPPROTO_UDP, put16 } from './ipv4.js';

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export function encodeUdp(d: UdpDatagram, srcIp: number, dstIp: number): Uint8Array {
  const b = new Uint8Array(8 + d.payload.length);
  put16(b, 0, d.srcPort);
  put16(b, 2, d.dstPort);
  put16(b, 4, b.length);
  b.set(d.payload, 8);
  const c = internetChecksum(b, 0, b.length, pseudoHeaderSum(srcIp, dstIp, IPPROTO_UDP, b.length));
  put16(b, 6, c === 0 ? 0xffff : c); // 0 means "no checksum", so a computed 0 is sent as all ones
  return b;
}

export function decodeUdp(b: Uint8Array, srcIp: number, dstIp: number): Decoded<UdpDatagram> {
  const error = udpError(b, srcIp, dstIp);
  if (error !== undefined) return fail(error);
  return { ok: true, value: { srcPort: (b[0]! << 8) | b[1]!, dstPort: (b[2]! << 8) | b[3]!, payload: udpPayload(b) } };
}

/** What is wrong with the UDP datagram `b` (its length, its checksum), or undefined: decodeUdp's checks alone, for a reader that needs only the ports. */
export function udpError(b: Uint8Array, srcIp: number, dstIp: number): string | undefined {
  if (b.length < 8) return `UDP datagram of ${b.length} bytes`;
  const len = (b[4]! << 8) | b[5]!;
  if (len < 8 || len > b.length) return `UDP length ${len} does not fit ${b.length} bytes`;
  const csum = (b[6]! << 8) | b[7]!;
  if (csum !== 0 && internetChecksum(b, 0, len, pseudoHeaderSum(srcIp, dstIp, IPPROTO_UDP, len)) !== 0) return 'bad UDP checksum';
  return undefined;
}

/** The payload of a UDP datagram udpError found sound (up to its length field). */
export function udpPayload(b: Uint8Array): Uint8Array {
  return b.subarray(8, (b[4]! << 8) | b[5]!);
}
