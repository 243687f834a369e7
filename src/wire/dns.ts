import { fail, type Decoded } from './decoded.js';

/** RFC 1035 record types podwalk speaks. */
export const DNS_A = 1;
export const DNS_CNAME = 5;
export const DNS_SOA = 6;
export const DNS_AAAA = 28;
export const DNS_CLASS_IN = 1;

/** Header flag bits and response codes. */
export const DNS_QR = 0x8000;
export const DNS_AA = 0x0400;
export const DNS_RD = 0x0100;
export const DNS_RA = 0x0080;
export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;

export interface DnsQuestion {
  name: string; // without the trailing dot
  type: number;
  cls: number;
}

export type DnsData =
  | { kind: 'a'; ip: number }
  | { kind: 'cname'; target: string }
  | { kind: 'soa'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { kind: 'raw'; bytes: Uint8Array };

export interface DnsRecord {
  name: string;
  type: number;
  cls: number;
  ttl: number;
  data: DnsData;
}

export interface DnsMessage {
  id: number;
  /** QR, opcode, AA, TC, RD, RA, Z and RCODE as on the wire. */
  flags: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authority: DnsRecord[];
  additional: DnsRecord[];
}

export function rcode(m: DnsMessage): number {
  return m.flags & 0xf;
}

/** Encode a message (names written in full, without compression: valid, if a little longer). */
export function encodeDns(m: DnsMessage): Uint8Array {
  const out: number[] = [];
  const u16 = (v: number): void => {
    out.push((v >>> 8) & 255, v & 255);
  };
  const u32 = (v: number): void => {
    u16((v >>> 16) & 0xffff);
    u16(v & 0xffff);
  };
  const name = (n: string): void => {
    for (const label of n === '' ? [] : n.split('.')) {
      out.push(label.length);
      for (let i = 0; i < label.length; i++) out.push(label.charCodeAt(i) & 0x7f);
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
    name(q.name);
    u16(q.type);
    u16(q.cls);
  }
  for (const r of [...m.answers, ...m.authority, ...m.additional]) {
    name(r.name);
    u16(r.type);
    u16(r.cls);
    u32(r.ttl);
    const at = out.length;
    u16(0); // rdlength, patched below
    const d = r.data;
    if (d.kind === 'a') u32(d.ip);
    else if (d.kind === 'cname') name(d.target);
    else if (d.kind === 'soa') {
      name(d.mname);
      name(d.rname);
      for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) u32(v);
    } else out.push(...d.bytes);
    const len = out.length - at - 2;
    out[at] = len >>> 8;
    out[at + 1] = len & 255;
  }
  return Uint8Array.from(out);
}

/** Decode a message, following compression pointers (loops and overruns are failures, never exceptions). */
export function decodeDns(b: Uint8Array): Decoded<DnsMessage> {
  if (b.length < 12) return fail(`DNS message of ${b.length} bytes`);
  const u16 = (o: number): number => (b[o]! << 8) | b[o + 1]!;
  const u32 = (o: number): number => ((u16(o) << 16) | u16(o + 2)) >>> 0;
  const readName = (start: number): { name: string; end: number } | undefined => {
    const labels: string[] = [];
    let o = start;
    let end: number | undefined;
    for (let jumps = 0; jumps < 32; ) {
      if (o >= b.length) return undefined;
      const len = b[o]!;
      if (len === 0) return { name: labels.join('.'), end: end ?? o + 1 };
      if ((len & 0xc0) === 0xc0) {
        if (o + 1 >= b.length) return undefined;
        end ??= o + 2;
        o = ((len & 0x3f) << 8) | b[o + 1]!;
        jumps++;
        continue;
      }
      if (o + 1 + len > b.length) return undefined;
      labels.push(String.fromCharCode(...b.subarray(o + 1, o + 1 + len)));
      o += 1 + len;
    }
    return undefined;
  };
  let o = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < u16(4); i++) {
    const n = readName(o);
    if (!n || n.end + 4 > b.length) return fail('truncated DNS question');
    questions.push({ name: n.name, type: u16(n.end), cls: u16(n.end + 2) });
    o = n.end + 4;
  }
  const sections: DnsRecord[][] = [[], [], []];
  const counts = [u16(6), u16(8), u16(10)];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      const n = readName(o);
      if (!n || n.end + 10 > b.length) return fail('truncated DNS record');
      const type = u16(n.end);
      const len = u16(n.end + 8);
      const rd = n.end + 10;
      if (rd + len > b.length) return fail('DNS record data overruns the message');
      let data: DnsData = { kind: 'raw', bytes: b.slice(rd, rd + len) };
      if (type === DNS_A && len === 4) data = { kind: 'a', ip: u32(rd) };
      else if (type === DNS_CNAME) {
        const t = readName(rd);
        if (!t) return fail('bad CNAME target');
        data = { kind: 'cname', target: t.name };
      }
      sections[s]!.push({ name: n.name, type, cls: u16(n.end + 2), ttl: u32(n.end + 4), data });
      o = rd + len;
    }
  }
  return { ok: true, value: { id: u16(0), flags: u16(2), questions, answers: sections[0]!, authority: sections[1]!, additional: sections[2]! } };
}
