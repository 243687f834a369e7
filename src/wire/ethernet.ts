import { formatMac, writeMac } from './addr.js';
import { fail, type Decoded } from './decoded.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;

export interface EthernetFrame {
  dst: string;
  src: string;
  etherType: number;
  payload: Uint8Array;
}

/** Header + payload, no padding and no FCS: what tcpdump shows on a Linux veth. */
export function encodeEthernet(f: EthernetFrame): Uint8Array {
  const out = new Uint8Array(14 + f.payload.length);
  writeMac(out, 0, f.dst);
  writeMac(out, 6, f.src);
  out[12] = f.etherType >>> 8;
  out[13] = f.etherType & 255;
  out.set(f.payload, 14);
  return out;
}

export function decodeEthernet(b: Uint8Array): Decoded<EthernetFrame> {
  if (b.length < 14) return fail(`Ethernet frame of ${b.length} bytes is shorter than its 14-byte header`);
  return { ok: true, value: { dst: formatMac(b, 0), src: formatMac(b, 6), etherType: (b[12]! << 8) | b[13]!, payload: b.subarray(14) } };
}
