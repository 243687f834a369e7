import { fail, type Decoded } from './decoded.js';

/**
 * DNS messages (RFC 1035), byte-exact in both directions.
 *
 * Names are kept in presentation form without the trailing dot ('' is the
 * root). Label bytes that are not plain printable characters are escaped as
 * dig and zone files do (`\.`, `\\`, `\DDD`), so a label holding a dot or a
 * binary byte survives decode -> encode unchanged.
 */

export const DNS_PORT = 53;

/** RR types podwalk speaks (others are kept as raw rdata). */
export const DNS_A = 1;
export const DNS_NS = 2;
export const DNS_CNAME = 5;
export const DNS_SOA = 6;
export const DNS_PTR = 12;
export const DNS_TXT = 16;
export const DNS_AAAA = 28;
export const DNS_SRV = 33;
export const DNS_OPT = 41;
export const DNS_ANY = 255;
export const DNS_CLASS_IN = 1;

/** Header flag bits (second 16-bit word) and response codes. */
export const DNS_QR = 0x8000;
export const DNS_AA = 0x0400;
export const DNS_TC = 0x0200;
export const DNS_RD = 0x0100;
export const DNS_RA = 0x0080;
export const DNS_AD = 0x0020;
export const DNS_CD = 0x0010;
export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;

export interface DnsQuestion {
  name: string; // without the trailing dot
  type: number;
  cls: number;
}

export type DnsData =
  | { kind: 'a'; ip: number }
  | { kind: 'aaaa'; ip: Uint8Array } // 16 bytes
  | { kind: 'cname'; target: string }
  | { kind: 'soa'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  /** Anything else, including the EDNS OPT pseudo-record: the rdata bytes as they were. */
  | { kind: 'raw'; bytes: Uint8Array };

/**
 * A resource record. For OPT (RFC 6891) the wire fields keep their EDNS
 * meaning: `cls` is the requester's UDP payload size, `ttl` packs extended
 * rcode, version and the DO bit.
 */
export interface DnsRecord {
  name: string;
  type: number;
  cls: number;
  ttl: number;
  data: DnsData;
}

export interface DnsMessage {
  id: number;
  /** QR, opcode, AA, TC, RD, RA, Z, AD, CD and RCODE as on the wire. */
  flags: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authority: DnsRecord[];
  additional: DnsRecord[];
}

/** The header's flag word, field by field. */
export interface DnsHeader {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
}

export function rcode(m: DnsMessage): number {
  return m.flags & 0xf;
}

export function dnsHeader(flags: number): DnsHeader {
  const bit = (b: number): boolean => (flags & b) !== 0;
  return { qr: bit(DNS_QR), opcode: (flags >> 11) & 0xf, aa: bit(DNS_AA), tc: bit(DNS_TC), rd: bit(DNS_RD), ra: bit(DNS_RA), ad: bit(DNS_AD), cd: bit(DNS_CD), rcode: flags & 0xf };
}

export function dnsFlags(h: Partial<DnsHeader>): number {
  const b = (on: boolean | undefined, v: number): number => (on ? v : 0);
  return (
    b(h.qr, DNS_QR) | (((h.opcode ?? 0) & 0xf) << 11) | b(h.aa, DNS_AA) | b(h.tc, DNS_TC) | b(h.rd, DNS_RD) | b(h.ra, DNS_RA) | b(h.ad, DNS_AD) | b(h.cd, DNS_CD) | ((h.rcode ?? 0) & 0xf)
  );
}

const TYPE_NAMES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 41: 'OPT', 65: 'HTTPS', 255: 'ANY' };

/** A type's mnemonic, `TYPE<n>` (RFC 3597) for the ones without one here. */
export function dnsTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

/** Compare names as DNS does: ASCII case-insensitively, trailing dot ignored. */
export function sameDnsName(a: string, b: string): boolean {
  return a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();
}

/** Split a presentation-form name into raw labels (escapes resolved). Throws on names no encoder may write. */
function labelsOf(name: string): Uint8Array[] {
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let i = 0;
  const end = (): void => {
    if (cur.length === 0) throw new RangeError(`empty label in DNS name '${name}'`);
    if (cur.length > 63) throw new RangeError(`label of ${cur.length} bytes in DNS name '${name}'`);
    labels.push(Uint8Array.from(cur));
    cur = [];
  };
  if (name === '' || name === '.') return labels;
  let open = false; // whether a label has started since the last unescaped dot
  while (i < name.length) {
    const c = name[i]!;
    open = true;
    if (c === '.') {
      end();
      open = false;
      i++;
    } else if (c === '\\') {
      const digits = /^[0-9]{3}/.exec(name.slice(i + 1));
      if (digits) {
        cur.push(Number(digits[0]) & 255);
        i += 4;
      } else {
        cur.push(name.charCodeAt(i + 1) & 255);
        i += 2;
      }
    } else {
      cur.push(name.charCodeAt(i) & 255);
      i++;
    }
  }
  if (open) end(); // a trailing unescaped dot (absolute name) closes nothing more
  if (labels.reduce((n, l) => n + 1 + l.length, 1) > 255) throw new RangeError(`DNS name '${name}' is longer than 255 bytes`);
  return labels;
}

/** One label's bytes in presentation form (the escaping dig uses). */
function labelText(b: Uint8Array): string {
  let s = '';
  for (const c of b) {
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${String(c).padStart(3, '0')}`;
  }
  return s;
}

export interface DnsEncodeOptions {
  /**
   * Write names as pointers to earlier occurrences of the same suffix (RFC
   * 1035 4.1.4), in question and owner names and in CNAME/NS/PTR/SOA rdata.
   * Off by default: CoreDNS (via miekg/dns Msg.Truncate) sends replies that
   * fit the client's buffer uncompressed, and dig's queries hold one name.
   */
  compress?: boolean;
}

/** Encode a message. Names must be valid (labels of 1..63 bytes, at most 255 bytes): encoders serve the program, not the network. */
export function encodeDns(m: DnsMessage, opts: DnsEncodeOptions = {}): Uint8Array {
  const out: number[] = [];
  // Suffix (exact bytes, so a decode -> encode round trip keeps case) -> offset of its first occurrence.
  const seen = new Map<string, number>();
  const u16 = (v: number): void => {
    out.push((v >>> 8) & 255, v & 255);
  };
  const u32 = (v: number): void => {
    u16((v >>> 16) & 0xffff);
    u16(v & 0xffff);
  };
  const name = (n: string, compressible: boolean): void => {
    const labels = labelsOf(n);
    for (let i = 0; i < labels.length; i++) {
      if (opts.compress && compressible) {
        const key = labels
          .slice(i)
          .map((l) => [...l].join(','))
          .join('.');
        const at = seen.get(key);
        if (at !== undefined) {
          u16(0xc000 | at);
          return;
        }
        if (out.length < 0x4000) seen.set(key, out.length); // a pointer has 14 bits of offset
      }
      out.push(labels[i]!.length, ...labels[i]!);
    }
    out.push(0);
  };
  u16(m.id);
  u16(m.flags);
  u16(m.questions.length);
  u16(m.answers.length);
  u16(m.authority.length);
  u16(m.additional.length);
  for (const q of m.questions) {
    name(q.name, true);
    u16(q.type);
    u16(q.cls);
  }
  for (const r of [...m.answers, ...m.authority, ...m.additional]) {
    name(r.name, true);
    u16(r.type);
    u16(r.cls);
    u32(r.ttl);
    const at = out.length;
    u16(0); // rdlength, patched below
    const d = r.data;
    if (d.kind === 'a') u32(d.ip);
    else if (d.kind === 'aaaa') out.push(...d.ip.subarray(0, 16));
    else if (d.kind === 'cname') name(d.target, true);
    else if (d.kind === 'soa') {
      name(d.mname, true);
      name(d.rname, true);
      for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) u32(v);
    } else out.push(...d.bytes);
    const len = out.length - at - 2;
    out[at] = len >>> 8;
    out[at + 1] = len & 255;
  }
  return Uint8Array.from(out);
}

/**
 * Read a (possibly compressed) name at `start`. Every pointer must point
 * below the lowest offset this name has read so far, which makes loops
 * impossible whatever the bytes; `end` is where the name ends in place.
 */
function readName(b: Uint8Array, start: number): { name: string; end: number } | string {
  const labels: string[] = [];
  let o = start;
  let floor = start;
  let end: number | undefined;
  let wire = 1;
  for (;;) {
    if (o >= b.length) return 'DNS name runs past the message';
    const len = b[o]!;
    if (len === 0) return { name: labels.join('.'), end: end ?? o + 1 };
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (o + 1 >= b.length) return 'DNS name pointer runs past the message';
      const target = ((len & 0x3f) << 8) | b[o + 1]!;
      if (target >= floor) return `DNS name pointer to ${target} does not point backwards (loop)`;
      end ??= o + 2;
      o = floor = target;
      continue;
    }
    if (kind !== 0) return `DNS label type 0x${kind.toString(16)}`; // 0x40 extended, 0x80 reserved (RFC 6891 6.2)
    if (o + 1 + len > b.length) return 'DNS label runs past the message';
    wire += 1 + len;
    if (wire > 255) return 'DNS name longer than 255 bytes';
    labels.push(labelText(b.subarray(o + 1, o + 1 + len)));
    o += 1 + len;
  }
}

/** Decode a message. Malformed input (truncation, bad pointers, overruns) is a failure, never an exception. */
export function decodeDns(b: Uint8Array): Decoded<DnsMessage> {
  if (b.length < 12) return fail(`DNS message of ${b.length} bytes is shorter than its header`);
  const u16 = (o: number): number => (b[o]! << 8) | b[o + 1]!;
  const u32 = (o: number): number => ((u16(o) << 16) | u16(o + 2)) >>> 0;
  let o = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < u16(4); i++) {
    const n = readName(b, o);
    if (typeof n === 'string') return fail(`question ${i + 1}: ${n}`);
    if (n.end + 4 > b.length) return fail(`question ${i + 1} is truncated`);
    questions.push({ name: n.name, type: u16(n.end), cls: u16(n.end + 2) });
    o = n.end + 4;
  }
  const sections: DnsRecord[][] = [[], [], []];
  const names = ['answer', 'authority', 'additional'];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < u16(6 + 2 * s); i++) {
      const where = `${names[s]} ${i + 1}`;
      const n = readName(b, o);
      if (typeof n === 'string') return fail(`${where}: ${n}`);
      if (n.end + 10 > b.length) return fail(`${where} is truncated`);
      const type = u16(n.end);
      const len = u16(n.end + 8);
      const rd = n.end + 10;
      if (rd + len > b.length) return fail(`${where}: rdata of ${len} bytes overruns the message`);
      const data = decodeRdata(b, type, rd, len);
      if (typeof data === 'string') return fail(`${where}: ${data}`);
      sections[s]!.push({ name: n.name, type, cls: u16(n.end + 2), ttl: u32(n.end + 4), data });
      o = rd + len;
    }
  }
  return { ok: true, value: { id: u16(0), flags: u16(2), questions, answers: sections[0]!, authority: sections[1]!, additional: sections[2]! } };
}

function decodeRdata(b: Uint8Array, type: number, rd: number, len: number): DnsData | string {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (type === DNS_A) return len === 4 ? { kind: 'a', ip: dv.getUint32(rd) } : `A record of ${len} bytes`;
  if (type === DNS_AAAA) return len === 16 ? { kind: 'aaaa', ip: b.slice(rd, rd + 16) } : `AAAA record of ${len} bytes`;
  if (type === DNS_CNAME) {
    const t = readName(b, rd);
    if (typeof t === 'string') return `CNAME target: ${t}`;
    return t.end === rd + len ? { kind: 'cname', target: t.name } : 'CNAME target does not fill its rdata';
  }
  if (type === DNS_SOA) {
    const m = readName(b, rd);
    if (typeof m === 'string') return `SOA mname: ${m}`;
    const r = readName(b, m.end);
    if (typeof r === 'string') return `SOA rname: ${r}`;
    if (r.end + 20 !== rd + len) return 'SOA rdata has the wrong length';
    const v = (k: number): number => dv.getUint32(r.end + 4 * k);
    return { kind: 'soa', mname: m.name, rname: r.name, serial: v(0), refresh: v(1), retry: v(2), expire: v(3), minimum: v(4) };
  }
  return { kind: 'raw', bytes: b.slice(rd, rd + len) };
}

/** An EDNS(0) option inside an OPT record's rdata. */
export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

/** The options in an OPT record's rdata, or undefined if they do not parse. */
export function ednsOptions(rdata: Uint8Array): EdnsOption[] | undefined {
  const out: EdnsOption[] = [];
  for (let o = 0; o < rdata.length; ) {
    if (o + 4 > rdata.length) return undefined;
    const len = (rdata[o + 2]! << 8) | rdata[o + 3]!;
    if (o + 4 + len > rdata.length) return undefined;
    out.push({ code: (rdata[o]! << 8) | rdata[o + 1]!, data: rdata.slice(o + 4, o + 4 + len) });
    o += 4 + len;
  }
  return out;
}

export function encodeEdnsOptions(opts: readonly EdnsOption[]): Uint8Array {
  const out: number[] = [];
  for (const o of opts) out.push(o.code >> 8, o.code & 255, o.data.length >> 8, o.data.length & 255, ...o.data);
  return Uint8Array.from(out);
}

/** The message's OPT pseudo-record (RFC 6891), if it has one. */
export function ednsOpt(m: DnsMessage): DnsRecord | undefined {
  return m.additional.find((r) => r.type === DNS_OPT);
}
