import { view } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { fail, type Decoded } from './decoded.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface Ipv4Packet {
  tos: number;
  id: number;
  df: boolean;
  mf: boolean;
  fragmentOffset: number; // bytes, a multiple of 8
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
  options?: Uint8Array;
  payload: Uint8Array;
}

export function encodeIpv4(p: Ipv4Packet): Uint8Array {
  return writeIpv4(p, new Uint8Array(ipv4Length(p)));
}

/** Bytes of `p` encoded: its header (options padded to a multiple of 4) and payload. */
export function ipv4Length(p: Ipv4Packet): number {
  return 20 + (p.options ? (p.options.length + 3) & ~3 : 0) + p.payload.length;
}

/** Encode `p` into `b` (of `ipv4Length(p)` zero bytes); returns `b`. */
export function writeIpv4(p: Ipv4Packet, b: Uint8Array): Uint8Array {
  const hl = 20 + (p.options ? (p.options.length + 3) & ~3 : 0);
  b[0] = 0x40 | (hl >> 2);
  b[1] = p.tos;
  put16(b, 2, b.length);
  put16(b, 4, p.id & 0xffff);
  put16(b, 6, (p.df ? 0x4000 : 0) | (p.mf ? 0x2000 : 0) | ((p.fragmentOffset >> 3) & 0x1fff));
  b[8] = p.ttl;
  b[9] = p.protocol;
  put32(b, 12, p.src);
  put32(b, 16, p.dst);
  if (p.options) b.set(p.options, 20);
  put16(b, 10, internetChecksum(b, 0, hl));
  b.set(p.payload, hl);
  return b;
}

/** Big-endian 16 bits at `off` (no DataView to allocate per packet). */
export function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 255;
  b[off + 1] = v & 255;
}

/** The big-endian 32 bits at `off` (an address, two ports), unsigned. */
export function get32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** Big-endian 32 bits at `off`. */
export function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 255;
  b[off + 1] = (v >>> 16) & 255;
  b[off + 2] = (v >>> 8) & 255;
  b[off + 3] = v & 255;
}

/** A decoded IPv4 packet: its fields, and where its header and the packet end. */
export type DecodedIpv4 = Ipv4Packet & { headerLength: number; totalLength: number };

/**
 * The IPv4 packet in `b` from byte `at` (0, or 14 behind an Ethernet header):
 * validated, with `options` and `payload` as views into `b` (no copy).
 */
export function decodeIpv4(b: Uint8Array, at = 0): Decoded<DecodedIpv4> {
  const n = b.length - at;
  if (n < 20) return fail(`IPv4 packet of ${Math.max(0, n)} bytes is shorter than its header`);
  const v0 = b[at]!;
  if (v0 >> 4 !== 4) return fail(`IP version ${v0 >> 4}`);
  const hl = (v0 & 15) * 4;
  if (hl < 20 || hl > n) return fail(`bad IPv4 header length ${hl}`);
  const total = (b[at + 2]! << 8) | b[at + 3]!;
  if (total < hl || total > n) return fail(`IPv4 total length ${total} does not fit ${n} bytes`);
  if (internetChecksum(b, at, at + hl) !== 0) return fail('bad IPv4 header checksum');
  const frag = (b[at + 6]! << 8) | b[at + 7]!;
  const tos = b[at + 1]!;
  const id = (b[at + 4]! << 8) | b[at + 5]!;
  const ttl = b[at + 8]!;
  const protocol = b[at + 9]!;
  const src = get32(b, at + 12);
  const dst = get32(b, at + 16);
  const df = (frag & 0x4000) !== 0;
  const mf = (frag & 0x2000) !== 0;
  const fragmentOffset = (frag & 0x1fff) * 8;
  const payload = view(b, at + hl, at + total);
  // Two literals rather than a spread of `options`: one object per packet, and one shape for the usual header.
  const value: DecodedIpv4 =
    hl > 20
      ? { tos, id, df, mf, fragmentOffset, ttl, protocol, src, dst, options: view(b, at + 20, at + hl), payload, headerLength: hl, totalLength: total }
      : { tos, id, df, mf, fragmentOffset, ttl, protocol, src, dst, payload, headerLength: hl, totalLength: total };
  return { ok: true, value };
}

/** Decrement TTL in place, updating the checksum incrementally (RFC 1624). */
export function decrementTtl(b: Uint8Array, offset: number): number {
  if (b[offset + 8] === 0) return 0; // never wrap to 255: the caller must drop it, not forward it
  const ttl = b[offset + 8]! - 1;
  const oldWord = (b[offset + 8]! << 8) | b[offset + 9]!;
  b[offset + 8] = ttl;
  const newWord = (ttl << 8) | b[offset + 9]!;
  let sum = (~((b[offset + 10]! << 8) | b[offset + 11]!) & 0xffff) + (~oldWord & 0xffff) + newWord;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const csum = ~sum & 0xffff;
  b[offset + 10] = csum >> 8;
  b[offset + 11] = csum & 255;
  return ttl;
}

export function ipv4HeaderChecksumOk(b: Uint8Array, offset: number): boolean {
  return internetChecksum(b, offset, offset + (b[offset]! & 15) * 4) === 0;
}

/**
 * Split into fragments no larger than `mtu`, as ip_do_fragment does: DF is
 * cleared, later fragments keep only options with the "copied" bit (others
 * become NOPs so every header keeps the same length). A packet that fits is
 * returned as is.
 */
export function fragmentIpv4(p: Ipv4Packet, mtu: number): Ipv4Packet[] {
  const hl = 20 + (p.options ? (p.options.length + 3) & ~3 : 0);
  if (hl + p.payload.length <= mtu) return [p];
  const chunk = Math.max(8, (mtu - hl) & ~7);
  const laterOptions = p.options && copiedOptions(p.options);
  const out: Ipv4Packet[] = [];
  for (let off = 0; off < p.payload.length; off += chunk) {
    const last = off + chunk >= p.payload.length;
    const { options: _drop, ...rest } = p;
    const options = off === 0 ? p.options : laterOptions;
    out.push({
      ...rest,
      ...(options ? { options } : {}),
      df: false,
      mf: last ? p.mf : true,
      fragmentOffset: p.fragmentOffset + off,
      payload: p.payload.subarray(off, Math.min(off + chunk, p.payload.length)),
    });
  }
  return out;
}

/** Options as later fragments carry them: copied-bit options kept, the rest overwritten with NOPs. */
function copiedOptions(opts: Uint8Array): Uint8Array {
  const out = opts.slice();
  for (let i = 0; i < out.length; ) {
    const kind = out[i]!;
    if (kind === 0) break; // end of list: the rest is padding
    if (kind === 1) {
      i++;
      continue;
    }
    const len = Math.max(2, Math.min(out[i + 1] ?? 2, out.length - i));
    if (!(kind & 0x80)) out.fill(1, i, i + len);
    i += len;
  }
  return out;
}

interface Queue {
  parts: Ipv4Packet[];
  firstSeenNs: number;
}

/** Reassembles fragments keyed by (src, dst, protocol, id), like ip_defrag. */
export class Reassembler {
  private readonly queues = new Map<string, Queue>();

  /** The queue a fragment belongs to: (src, dst, protocol, id). */
  static keyOf(p: Ipv4Packet): string {
    return `${p.src}|${p.dst}|${p.protocol}|${p.id}`;
  }

  /** When the queue under `key` started, if one is open. */
  startedNs(key: string): number | undefined {
    return this.queues.get(key)?.firstSeenNs;
  }

  /**
   * ip_expire for one queue: the queue under `key`, if it is still the one that started at
   * `startedNs`, is removed; its first fragment (offset 0) is returned if it had arrived, else null.
   * Undefined: the queue completed (or was replaced) meanwhile.
   */
  expireQueue(key: string, startedNs: number): Ipv4Packet | null | undefined {
    const q = this.queues.get(key);
    if (!q || q.firstSeenNs !== startedNs) return undefined;
    this.queues.delete(key);
    return q.parts.find((f) => f.fragmentOffset === 0) ?? null;
  }

  push(p: Ipv4Packet, nowNs: number): Ipv4Packet | undefined {
    // No datagram may exceed 65535 bytes; fragments claiming to are dropped (ping of death).
    if (p.fragmentOffset + p.payload.length > 65535 - 20) return undefined;
    const key = Reassembler.keyOf(p);
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = { parts: [], firstSeenNs: nowNs }));
    if (!q.parts.some((x) => x.fragmentOffset === p.fragmentOffset)) q.parts.push(p);
    const parts = [...q.parts].sort((a, b) => a.fragmentOffset - b.fragmentOffset);
    const last = parts[parts.length - 1]!;
    if (last.mf) return undefined;
    let expect = 0;
    for (const f of parts) {
      if (f.fragmentOffset !== expect) return undefined;
      expect += f.payload.length;
    }
    this.queues.delete(key);
    const payload = new Uint8Array(expect);
    for (const f of parts) payload.set(f.payload, f.fragmentOffset);
    const first = parts[0]!;
    return { ...first, mf: false, fragmentOffset: 0, payload };
  }

  expire(nowNs: number, timeoutNs = 30e9): number {
    let n = 0;
    for (const [k, q] of this.queues) {
      if (nowNs - q.firstSeenNs > timeoutNs) {
        this.queues.delete(k);
        n++;
      }
    }
    return n;
  }
}
