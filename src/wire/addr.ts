/** IPv4 addresses as uint32 numbers, CIDRs, and MAC strings. */

export interface Cidr {
  network: number; // address & mask
  prefix: number;
  address: number; // as written (may have host bits)
}

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

const parsedIpv4 = new Map<string, number | undefined>();

/** A dotted quad as a uint32, or undefined when it is not one (each text parsed once: a sender resolves its target per datagram). */
export function parseIpv4(s: string): number | undefined {
  let n = parsedIpv4.get(s);
  if (n === undefined && !parsedIpv4.has(s)) {
    n = parseDottedQuad(s);
    if (parsedIpv4.size < 65536) parsedIpv4.set(s, n);
  }
  return n;
}

function parseDottedQuad(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n >>> 0;
}

const ipv4Texts = new Map<number, string>();

/** A uint32 address as a dotted quad. Interned (keyed as a small integer): trace and outcome events name the same addresses on every packet. */
export function formatIpv4(n: number): string {
  const key = n | 0;
  let text = ipv4Texts.get(key);
  if (text === undefined) {
    text = `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    if (ipv4Texts.size < 65536) ipv4Texts.set(key, text);
  }
  return text;
}

export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIpv4(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]?)$/.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > 32) return undefined;
  return { network: (address & prefixMask(prefix)) >>> 0, prefix, address };
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ((ip & prefixMask(c.prefix)) >>> 0) === c.network;
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.network & prefixMask(p)) >>> 0) === ((b.network & prefixMask(p)) >>> 0);
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.network)}/${c.prefix}`;
}

export function cidrHost(c: Cidr, index: number): number {
  return (c.network + index) >>> 0;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function cidrBroadcast(c: Cidr): number {
  return (c.network | ~prefixMask(c.prefix)) >>> 0;
}

export function parseMac(s: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s)) return undefined;
  return Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** One interned MAC text: `hi` is the first two octets; entries whose last four octets agree are chained. */
interface MacText {
  hi: number;
  text: string;
  next: MacText | undefined;
}

const MAC_TEXTS_MAX = 65536;
const macTexts = new Map<number, MacText>();
let macTextCount = 0;

/**
 * The MAC at `b[offset..offset+6]` as text. Read on every hop (bridge
 * forwarding, the stack's destination check), so each address's text is
 * made once and then found by its last four octets as a small integer:
 * the per-frame path builds no string.
 */
export function formatMac(b: Uint8Array, offset = 0): string {
  const hi = (b[offset]! << 8) | b[offset + 1]!;
  const lo = (b[offset + 2]! << 24) | (b[offset + 3]! << 16) | (b[offset + 4]! << 8) | b[offset + 5]!;
  const first = macTexts.get(lo);
  for (let e = first; e; e = e.next) if (e.hi === hi) return e.text;
  const text = `${HEX[b[offset]!]}:${HEX[b[offset + 1]!]}:${HEX[b[offset + 2]!]}:${HEX[b[offset + 3]!]}:${HEX[b[offset + 4]!]}:${HEX[b[offset + 5]!]}`;
  if (macTextCount < MAC_TEXTS_MAX) {
    macTexts.set(lo, { hi, text, next: first });
    macTextCount++;
  }
  return text;
}

/** The I/G bit: the lowest bit of the first octet marks group (multicast/broadcast) addresses. */
export function isMulticastMac(mac: string): boolean {
  // Low bit of the first octet = low bit of its second hex digit; no parsing on the per-frame path.
  const c = mac.charCodeAt(1);
  const digit = c <= 57 ? c - 48 : (c | 32) - 87;
  return (digit & 1) === 1;
}

/** The value of each hex digit by its char code (either case). */
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 16; i++) {
  HEX_VALUE[HEX[i]!.charCodeAt(1)] = i;
  HEX_VALUE[HEX[i]!.toUpperCase().charCodeAt(1)] = i;
}

/**
 * Write a MAC string into `out` at `off`, read straight from its text
 * (callers hold valid MACs). Twelve character reads are cheaper than any
 * lookup keyed by the text: a Map keyed by MAC strings cost a 40-byte
 * allocation per call on the framing path.
 */
export function writeMac(out: Uint8Array, off: number, mac: string): void {
  out[off] = (HEX_VALUE[mac.charCodeAt(0)]! << 4) | HEX_VALUE[mac.charCodeAt(1)]!;
  out[off + 1] = (HEX_VALUE[mac.charCodeAt(3)]! << 4) | HEX_VALUE[mac.charCodeAt(4)]!;
  out[off + 2] = (HEX_VALUE[mac.charCodeAt(6)]! << 4) | HEX_VALUE[mac.charCodeAt(7)]!;
  out[off + 3] = (HEX_VALUE[mac.charCodeAt(9)]! << 4) | HEX_VALUE[mac.charCodeAt(10)]!;
  out[off + 4] = (HEX_VALUE[mac.charCodeAt(12)]! << 4) | HEX_VALUE[mac.charCodeAt(13)]!;
  out[off + 5] = (HEX_VALUE[mac.charCodeAt(15)]! << 4) | HEX_VALUE[mac.charCodeAt(16)]!;
}

/** The first two octets of a MAC text, as a number (callers hold valid MACs). */
function macHi(mac: string): number {
  return (((HEX_VALUE[mac.charCodeAt(0)]! << 4) | HEX_VALUE[mac.charCodeAt(1)]!) << 8) | (HEX_VALUE[mac.charCodeAt(3)]! << 4) | HEX_VALUE[mac.charCodeAt(4)]!;
}

/** The last four octets of a MAC text, as a 32-bit integer (signed: a small integer, never a boxed number). */
function macLo(mac: string): number {
  let v = 0;
  for (let i = 6; i < 18; i += 3) v = (v << 8) | (HEX_VALUE[mac.charCodeAt(i)]! << 4) | HEX_VALUE[mac.charCodeAt(i + 1)]!;
  return v;
}

/**
 * The destination and source MACs a device last framed with, their octets
 * kept as numbers: framing for the same pair again (a flow's packets, hop
 * after hop) writes numbers rather than reading 24 hex digits — the
 * neighbour's cached header (hh_cache), in spirit.
 */
export class MacHeader {
  private dst = '';
  private dstHi = 0;
  private dstLo = 0;
  private src = '';
  private srcHi = 0;
  private srcLo = 0;
  /** Whether `src` is as `formatMac` writes a MAC (lower-case hex): what a frame's bytes are compared with. */
  private srcCanonical = false;

  /** Write `dst` and `src` (MAC texts) into `out` at `off` and `off + 6`, as `writeMac` does. */
  write(out: Uint8Array, off: number, dst: string, src: string): void {
    if (dst !== this.dst) {
      this.dst = dst;
      this.dstHi = macHi(dst);
      this.dstLo = macLo(dst);
    }
    if (src !== this.src) this.source(src);
    put48(out, off, this.dstHi, this.dstLo);
    put48(out, off + 6, this.srcHi, this.srcLo);
  }

  /**
   * Whether `formatMac(b, off)` is `src` (the device's own MAC): its six bytes
   * compared with the numbers kept, no text looked up per frame.
   */
  isSource(b: Uint8Array, off: number, src: string): boolean {
    if (src !== this.src) this.source(src);
    return this.srcCanonical && ((b[off]! << 8) | b[off + 1]!) === this.srcHi && ((b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!) === this.srcLo;
  }

  private source(src: string): void {
    this.src = src;
    this.srcHi = macHi(src);
    this.srcLo = macLo(src);
    this.srcCanonical = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(src);
  }
}

function put48(out: Uint8Array, off: number, hi: number, lo: number): void {
  out[off] = hi >>> 8;
  out[off + 1] = hi & 255;
  out[off + 2] = lo >>> 24;
  out[off + 3] = (lo >>> 16) & 255;
  out[off + 4] = (lo >>> 8) & 255;
  out[off + 5] = lo & 255;
}
