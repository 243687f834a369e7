import { internetChecksum } from './checksum.js';
import { fail, type Decoded } from './decoded.js';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const UNREACH_NET = 0;
export const UNREACH_HOST = 1;
export const UNREACH_PROTOCOL = 2;
export const UNREACH_PORT = 3;
export const UNREACH_FRAG_NEEDED = 4;

export interface IcmpMessage {
  type: number;
  code: number;
  /** The 4 bytes after the checksum: id<<16|seq for echo; next-hop MTU (low 16 bits) for frag-needed. */
  rest: number;
  payload: Uint8Array;
}

export function encodeIcmp(m: IcmpMessage): Uint8Array {
  const b = new Uint8Array(8 + m.payload.length);
  const v = new DataView(b.buffer);
  b[0] = m.type;
  b[1] = m.code;
  v.setUint32(4, m.rest >>> 0);
  b.set(m.payload, 8);
  v.setUint16(2, internetChecksum(b));
  return b;
}

export function decodeIcmp(b: Uint8Array): Decoded<IcmpMessage> {
  if (b.length < 8) return fail(`ICMP message of ${b.length} bytes`);
  if (internetChecksum(b) !== 0) return fail('bad ICMP checksum');
  return { ok: true, value: { type: b[0]!, code: b[1]!, rest: (((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0), payload: b.subarray(8) } };
}

/**
 * An ICMP error quoting the offending packet. Linux quotes as much as keeps
 * the whole error within 576 bytes (RFC 1812's minimum reassembly size).
 */
export function icmpError(type: number, code: number, offending: Uint8Array, nextHopMtu?: number): Uint8Array {
  const quote = offending.subarray(0, Math.min(offending.length, 576 - 20 - 8));
  return encodeIcmp({ type, code, rest: nextHopMtu ?? 0, payload: quote });
}
