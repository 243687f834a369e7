import { fail, type Decoded } from './decoded.js';

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
