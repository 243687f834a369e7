import { formatIpv4, formatMac } from './addr.js';
import { decodeArp } from './arp.js';
import { decodeDns, DNS_PORT, type DnsMessage, type DnsRecord } from './dns.js';
import { dnsTcpMessages } from './dns-tcp.js';
import { IPPROTO_SCTP, SCTP_CHUNK_NAMES, SCTP_DATA, SCTP_INIT, SCTP_INIT_ACK, SCTP_SACK, u32At } from './sctp.js';
import { decodeIcmp } from './icmp.js';
import { decodeIpv4, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from './ipv4.js';
import { formatTcpFlags, TCP_ACK, TCP_SYN } from './tcp.js';
import { decodeVxlan, VXLAN_PORT } from './vxlan.js';

/** A one-line, tcpdump-like reading of a frame (same shape as the trace's FrameSummary). */
export interface FrameSummary {
  len: number;
  srcMac?: string;
  dstMac?: string;
  type: 'ipv4' | 'arp' | 'other';
  src?: string;
  dst?: string;
  proto?: 'tcp' | 'udp' | 'icmp' | 'sctp' | number;
  sport?: number;
  dport?: number;
  ttl?: number;
  info: string;
}

/** Describe an Ethernet frame. Never throws: what does not decode says so in `info`. */
export function describeFrame(b: Uint8Array): FrameSummary {
  if (b.length < 14) return { len: b.length, type: 'other', info: `malformed: ${b.length}-byte frame` };
  const base = { len: b.length, srcMac: formatMac(b, 6), dstMac: formatMac(b, 0) };
  const et = (b[12]! << 8) | b[13]!;
  if (et === 0x0806) {
    const r = decodeArp(b.subarray(14));
    if (!r.ok) return { ...base, type: 'arp', info: `malformed: ${r.error}` };
    const a = r.value;
    const src = formatIpv4(a.senderIp);
    const dst = formatIpv4(a.targetIp);
    return { ...base, type: 'arp', src, dst, info: a.op === 1 ? `ARP who-has ${dst} tell ${src}` : `ARP ${src} is-at ${a.senderMac}` };
  }
  if (et === 0x0800) return { ...base, ...describeIpv4(b.subarray(14)), len: b.length };
  return { ...base, type: 'other', info: `ethertype 0x${et.toString(16).padStart(4, '0')}` };
}

/** Describe a raw IPv4 packet (L3 devices: loopback, tun). */
export function describeIpv4(b: Uint8Array): FrameSummary {
  const r = decodeIpv4(b);
  if (!r.ok) return { len: b.length, type: 'ipv4', info: `malformed: ${r.error}` };
  const ip = r.value;
  const s: FrameSummary = { len: b.length, type: 'ipv4', src: formatIpv4(ip.src), dst: formatIpv4(ip.dst), ttl: ip.ttl, info: '' };
  if (ip.fragmentOffset > 0) {
    s.proto = protoName(ip.protocol);
    s.info = `IPv4 frag off ${ip.fragmentOffset}${ip.mf ? ' [MF]' : ''}`;
    return s;
  }
  const p = ip.payload;
  const fragNote = ip.mf ? ' (first fragment)' : '';
  if (ip.protocol === IPPROTO_UDP && p.length >= 8) {
    s.proto = 'udp';
    s.sport = (p[0]! << 8) | p[1]!;
    s.dport = (p[2]! << 8) | p[3]!;
    const len = ((p[4]! << 8) | p[5]!) - 8;
    if ((s.dport === VXLAN_PORT || s.sport === VXLAN_PORT) && !ip.mf) {
      const v = decodeVxlan(p.subarray(8));
      if (v.ok) {
        const inner = describeFrame(v.value.payload);
        s.info = `VXLAN vni ${v.value.vni}: ${inner.src ?? ''}${inner.sport !== undefined ? `:${inner.sport}` : ''} > ${inner.dst ?? ''}${inner.dport !== undefined ? `:${inner.dport}` : ''} ${inner.info}`;
        return s;
      }
    }
    if ((s.dport === DNS_PORT || s.sport === DNS_PORT) && !ip.mf && len >= 0 && len + 8 <= p.length) {
      s.info = `UDP ${DNS_PORT}: ${dnsText(p.subarray(8, 8 + len))}`;
      return s;
    }
    s.info = len < 0 ? `malformed: UDP length ${len + 8}` : `UDP len ${len}${fragNote}`;
  } else if (ip.protocol === IPPROTO_TCP && p.length >= 20) {
    s.proto = 'tcp';
    s.sport = (p[0]! << 8) | p[1]!;
    s.dport = (p[2]! << 8) | p[3]!;
    const seq = ((p[4]! << 24) | (p[5]! << 16) | (p[6]! << 8) | p[7]!) >>> 0;
    const ack = ((p[8]! << 24) | (p[9]! << 16) | (p[10]! << 8) | p[11]!) >>> 0;
    const flags = p[13]!;
    const len = p.length - (p[12]! >> 4) * 4;
    // Handshakes show sequence numbers, data shows its size, bare control segments what they acknowledge.
    const what = flags & TCP_SYN ? `seq ${seq}${flags & TCP_ACK ? ` ack ${ack}` : ''}` : len > 0 ? `len ${len}` : flags & TCP_ACK ? `ack ${ack}` : `seq ${seq}`;
    s.info = `TCP ${formatTcpFlags(flags)} ${what}${fragNote}`;
    // DNS over TCP: the length-prefixed messages a segment starts with, as tcpdump prints them after the TCP header.
    const dns = len > 0 && (s.sport === DNS_PORT || s.dport === DNS_PORT) && !ip.mf ? dnsTcpMessages(p.subarray(p.length - len)) : [];
    if (dns.length > 0 && dns[0]!.message.length >= 12) s.info += `: ${dns.map((m) => (m.partial ? dnsHeadText(m.message) : dnsText(m.message))).join('; ')}`;
  } else if (ip.protocol === IPPROTO_SCTP && p.length >= 12) {
    s.proto = 'sctp';
    s.sport = (p[0]! << 8) | p[1]!;
    s.dport = (p[2]! << 8) | p[3]!;
    s.info = `SCTP ${sctpChunksText(p)}${fragNote}`;
  } else if (ip.protocol === IPPROTO_ICMP) {
    s.proto = 'icmp';
    const m = decodeIcmp(p);
    s.info = m.ok ? `ICMP ${icmpText(m.value.type, m.value.code, m.value.rest)}` : `ICMP malformed: ${m.error}`;
  } else {
    s.proto = protoName(ip.protocol);
    s.info = `IPv4 proto ${ip.protocol}`;
  }
  return s;
}

function protoName(p: number): 'tcp' | 'udp' | 'icmp' | 'sctp' | number {
  return p === IPPROTO_TCP ? 'tcp' : p === IPPROTO_UDP ? 'udp' : p === IPPROTO_ICMP ? 'icmp' : p === IPPROTO_SCTP ? 'sctp' : p;
}

/** The chunks of an SCTP packet as tcpdump names them: `[INIT]`, `[DATA] len 64`, `[SACK] cum ack 7`. */
function sctpChunksText(p: Uint8Array): string {
  const parts: string[] = [];
  for (let off = 12; off + 4 <= p.length; ) {
    const type = p[off]!;
    const len = (p[off + 2]! << 8) | p[off + 3]!;
    const name = `[${SCTP_CHUNK_NAMES[type] ?? `chunk ${type}`}]`;
    if (type === SCTP_DATA && len >= 16) parts.push(`${name} TSN ${u32At(p, off + 4)} len ${len - 16}`);
    else if (type === SCTP_SACK && len >= 16) parts.push(`${name} cum-ack ${u32At(p, off + 4)}`);
    else if ((type === SCTP_INIT || type === SCTP_INIT_ACK) && len >= 20) parts.push(`${name} init tag ${u32At(p, off + 4)}`);
    else parts.push(name);
    if (len < 4) break;
    off += (len + 3) & ~3;
  }
  return parts.join(' ');
}

function icmpText(type: number, code: number, rest: number): string {
  if (type === 8) return `echo request id ${rest >>> 16} seq ${rest & 0xffff}`;
  if (type === 0) return `echo reply id ${rest >>> 16} seq ${rest & 0xffff}`;
  if (type === 11) return 'time exceeded';
  if (type === 3) {
    const names = ['net unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable'];
    if (code === 4) return `frag needed mtu ${rest & 0xffff}`;
    return names[code] ?? `unreachable code ${code}`;
  }
  return `type ${type} code ${code}`;
}

/** The start of a message that goes on in the next segment: its header, then tcpdump's `[|domain]`. */
function dnsHeadText(b: Uint8Array): string {
  if (b.length < 12) return '[|domain]';
  const f = (b[2]! << 8) | b[3]!;
  const n = (i: number): number => (b[i]! << 8) | b[i + 1]!;
  const id = n(0);
  if (!(f & 0x8000)) return `${id}${f & 0x0100 ? '+' : ''} [|domain]`;
  return `${id}${DNS_RCODES[f & 0xf] ?? ` Resp${f & 0xf}`}${f & 0x0400 ? '*' : ''}${f & 0x0080 ? '' : '-'}${f & 0x0200 ? '|' : ''} ${n(6)}/${n(8)}/${n(10)} [|domain]`;
}

/** tcpdump's type mnemonics (print-domain.c ns_type2str), `Type<n>` for the rest. */
const DNS_TYPES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 41: 'OPT', 65: 'HTTPS', 255: 'ANY' };
const DNS_RCODES = ['', ' FormErr', ' ServFail', ' NXDomain', ' NotImp', ' Refused'];
const DNS_OPCODES = ['', ' inv_q', ' stat', ' op3', ' notify', ' update'];

/**
 * A DNS message the way tcpdump prints it without -v: `12345+ [1au] A?
 * name. (58)` for a query, `12345*- 1/0/1 A 10.96.0.20 (74)` for a reply
 * (`*` authoritative, `-` recursion not available, `|` truncated). What
 * does not decode is `[|domain]`, tcpdump's mark for a cut-short message.
 */
function dnsText(b: Uint8Array): string {
  const d = decodeDns(b);
  if (!d.ok) return `[|domain] (${b.length})`;
  const m = d.value;
  const f = m.flags;
  const type = (t: number): string => DNS_TYPES[t] ?? `Type${t}`;
  const counts = (m: DnsMessage): string[] => [m.answers.length ? ` [${m.answers.length}a]` : '', m.authority.length ? ` [${m.authority.length}n]` : '', m.additional.length ? ` [${m.additional.length}au]` : ''];
  const op = DNS_OPCODES[(f >> 11) & 0xf] ?? ` op${(f >> 11) & 0xf}`;
  const qd = m.questions.length !== 1 ? ` [${m.questions.length}q]` : '';
  if (f & 0x8000) {
    const rc = DNS_RCODES[f & 0xf] ?? ` Resp${f & 0xf}`;
    const head = `${m.id}${op}${rc}${f & 0x0400 ? '*' : ''}${f & 0x0080 ? '' : '-'}${f & 0x0200 ? '|' : ''}${qd}`;
    const rrs = m.answers.map((r) => ` ${type(r.type)}${rdataText(r)}`).join(',');
    return `${head} ${m.answers.length}/${m.authority.length}/${m.additional.length}${rrs} (${b.length})`;
  }
  const weird = f & 0x6cf ? ` [b2&3=0x${(f & 0xffff).toString(16)}]` : '';
  const q = m.questions[0];
  const question = q ? ` ${type(q.type)}${q.cls !== 1 ? ` (Class ${q.cls})` : ''}? ${q.name}.` : '';
  return `${m.id}${op}${f & 0x0100 ? '+' : ''}${f & 0x0010 ? '%' : ''}${weird}${qd}${counts(m).join('')}${question} (${b.length})`;
}

function rdataText(r: DnsRecord): string {
  const d = r.data;
  if (d.kind === 'a') return ` ${formatIpv4(d.ip)}`;
  if (d.kind === 'cname') return ` ${d.target}.`;
  if (d.kind === 'aaaa') return ` ${ipv6Text(d.ip)}`;
  return ''; // tcpdump shows SOA and other rdata only with -v
}

/** RFC 5952 text (what inet_ntop prints): the longest run of two or more zero groups becomes `::`. */
function ipv6Text(b: Uint8Array): string {
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
