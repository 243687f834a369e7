import { formatIpv4, formatMac } from './addr.js';
import { decodeArp } from './arp.js';
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
  proto?: 'tcp' | 'udp' | 'icmp' | number;
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

function protoName(p: number): 'tcp' | 'udp' | 'icmp' | number {
  return p === IPPROTO_TCP ? 'tcp' : p === IPPROTO_UDP ? 'udp' : p === IPPROTO_ICMP ? 'icmp' : p;
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
