import { formatMac, writeMac } from './addr.js';
import { fail, type Decoded } from './decoded.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export interface ArpPacket {
  op: 1 | 2;
  senderMac: string;
  senderIp: number;
  targetMac: string;
  targetIp: number;
}

/** Ethernet/IPv4 ARP: 28 bytes. */
export function encodeArp(p: ArpPacket): Uint8Array {
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  v.setUint16(0, 1); // htype Ethernet
  v.setUint16(2, 0x0800); // ptype IPv4
  b[4] = 6;
  b[5] = 4;
  v.setUint16(6, p.op);
  writeMac(b, 8, p.senderMac);
  v.setUint32(14, p.senderIp);
  writeMac(b, 18, p.targetMac);
  v.setUint32(24, p.targetIp);
  return b;
}

export function decodeArp(b: Uint8Array): Decoded<ArpPacket> {
  if (b.length < 28) return fail(`ARP packet of ${b.length} bytes (need 28)`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint16(0) !== 1 || v.getUint16(2) !== 0x0800 || b[4] !== 6 || b[5] !== 4) return fail('ARP for other than Ethernet/IPv4');
  const op = v.getUint16(6);
  if (op !== 1 && op !== 2) return fail(`ARP opcode ${op}`);
  return { ok: true, value: { op, senderMac: formatMac(b, 8), senderIp: v.getUint32(14), targetMac: formatMac(b, 18), targetIp: v.getUint32(24) } };
}
