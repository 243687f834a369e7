import { internetChecksum, pseudoHeaderSum } from './checksum.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, get32, put16, put32 } from './ipv4.js';
import { IPPROTO_SCTP, refreshSctpChecksum } from './sctp.js';

/** New values for the address and port fields of an IPv4 packet (what NAT rewrites). */
export interface AddrChange {
  src?: number;
  dst?: number;
  sport?: number;
  dport?: number;
}

/** The 5-tuple fields NAT works on, read straight from IPv4 bytes. */
export interface PacketTuple {
  src: number;
  dst: number;
  protocol: number;
  /** TCP/UDP ports or the ICMP echo id (in both); absent for other protocols and non-first fragments. */
  sport?: number;
  dport?: number;
}

/** Read src/dst/protocol and, when present, the L4 ports of an IPv4 packet (no validation). */
export function readTuple(ip: Uint8Array): PacketTuple {
  const hl = (ip[0]! & 15) * 4;
  const proto = ip[9]!;
  const t: PacketTuple = { src: get32(ip, 12), dst: get32(ip, 16), protocol: proto };
  const firstFragment = (((ip[6]! << 8) | ip[7]!) & 0x1fff) === 0;
  if (!firstFragment) return t;
  if ((proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP) && ip.length >= hl + 4) {
    t.sport = (ip[hl]! << 8) | ip[hl + 1]!;
    t.dport = (ip[hl + 2]! << 8) | ip[hl + 3]!;
  } else if (proto === IPPROTO_ICMP && ip.length >= hl + 8 && (ip[hl] === 8 || ip[hl] === 0)) {
    // Echo request/reply: conntrack keys the "connection" on the echo id.
    t.sport = t.dport = (ip[hl + 4]! << 8) | ip[hl + 5]!;
  }
  return t;
}

/**
 * Rewrite addresses and ports of an IPv4 packet as NAT does (nf_nat_manip_pkt):
 * a new copy with the IPv4 header checksum and the TCP/UDP checksum (which
 * covers the pseudo-header) recomputed. A UDP checksum of 0 ("none") stays 0.
 * Non-first fragments carry no L4 header: only addresses change.
 */
export function rewriteAddrs(ip: Uint8Array, c: AddrChange): Uint8Array {
  const b = ip.slice();
  if (wholeTcpOrUdp(b, 0)) {
    rewriteDatagramInPlace(b, 0, c);
    return b;
  }
  const hl = (b[0]! & 15) * 4;
  const total = (b[2]! << 8) | b[3]!;
  if (c.src !== undefined) put32(b, 12, c.src);
  if (c.dst !== undefined) put32(b, 16, c.dst);
  b[10] = 0;
  b[11] = 0;
  put16(b, 10, internetChecksum(b, 0, hl));
  const firstFragment = (((b[6]! << 8) | b[7]!) & 0x1fff) === 0;
  const proto = b[9]!;
  const mf = (b[6]! & 0x20) !== 0;
  if (!firstFragment) return b;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
    if (c.sport !== undefined) put16(b, hl, c.sport);
    if (c.dport !== undefined) put16(b, hl + 2, c.dport);
    const csumAt = hl + (proto === IPPROTO_TCP ? 16 : 6);
    if (proto === IPPROTO_UDP && b[csumAt] === 0 && b[csumAt + 1] === 0) return b;
    // Only a first fragment comes here (a whole datagram was rewritten above). The L4 checksum covers the whole
    // datagram, which a first fragment does not hold: update it incrementally.
    if (mf) put16(b, csumAt, adjust(ip, b, hl, csumAt));
  } else if (proto === IPPROTO_SCTP && total >= hl + 12) {
    // sctp_manip_pkt: new ports, then the CRC32c over the whole packet again (it does not cover
    // the addresses, so SNAT/DNAT of addresses alone leaves it valid). A first fragment cannot be redone.
    if (c.sport !== undefined) put16(b, hl, c.sport);
    if (c.dport !== undefined) put16(b, hl + 2, c.dport);
    if (!mf && (c.sport !== undefined || c.dport !== undefined)) refreshSctpChecksum(b, hl, total);
  } else if (proto === IPPROTO_ICMP && (c.sport !== undefined || c.dport !== undefined) && (b[hl] === 8 || b[hl] === 0)) {
    put16(b, hl + 4, c.sport ?? c.dport!);
    b[hl + 2] = 0;
    b[hl + 3] = 0;
    put16(b, hl + 2, internetChecksum(b, hl, total));
  }
  return b;
}

/** Whether the IPv4 packet at `b[at..]` is a whole (unfragmented) TCP or UDP datagram: what `rewriteDatagramInPlace` takes. */
export function wholeTcpOrUdp(b: Uint8Array, at: number): boolean {
  const proto = b[at + 9]!;
  return (proto === IPPROTO_TCP || proto === IPPROTO_UDP) && (((b[at + 6]! << 8) | b[at + 7]!) & 0x3fff) === 0;
}

/**
 * What `rewriteAddrs` makes of a whole TCP or UDP datagram (`wholeTcpOrUdp`),
 * written in place at `b[at..]`: the new addresses and ports, the IPv4 header
 * checksum and the TCP/UDP checksum recomputed (a UDP checksum of 0 stays 0).
 * The flow table replays a connection's NAT with it (kernel/fastpath/flowtable.ts).
 */
export function rewriteDatagramInPlace(b: Uint8Array, at: number, c: AddrChange): void {
  const hl = (b[at]! & 15) * 4;
  const total = (b[at + 2]! << 8) | b[at + 3]!;
  if (c.src !== undefined) put32(b, at + 12, c.src);
  if (c.dst !== undefined) put32(b, at + 16, c.dst);
  b[at + 10] = 0;
  b[at + 11] = 0;
  put16(b, at + 10, internetChecksum(b, at, at + hl));
  const proto = b[at + 9]!;
  const l4 = at + hl;
  if (c.sport !== undefined) put16(b, l4, c.sport);
  if (c.dport !== undefined) put16(b, l4 + 2, c.dport);
  const csumAt = l4 + (proto === IPPROTO_TCP ? 16 : 6);
  if (proto === IPPROTO_UDP && b[csumAt] === 0 && b[csumAt + 1] === 0) return;
  b[csumAt] = 0;
  b[csumAt + 1] = 0;
  let sum = internetChecksum(b, l4, at + total, pseudoHeaderSum(get32(b, at + 12), get32(b, at + 16), proto, total - hl));
  if (proto === IPPROTO_UDP && sum === 0) sum = 0xffff;
  put16(b, csumAt, sum);
}

/**
 * An ICMP error's outer header and the packet it quotes, rewritten together
 * (nf_nat_icmp_reply_translation): the outer packet gets `outer`, the quoted
 * header the mirror image `inner`, and the ICMP checksum is recomputed.
 */
export function rewriteIcmpError(ip: Uint8Array, outer: AddrChange, inner: AddrChange): Uint8Array {
  const b = rewriteAddrs(ip, outer);
  const hl = (b[0]! & 15) * 4;
  const total = (b[2]! << 8) | b[3]!;
  const q = hl + 8;
  if (total < q + 20) return b;
  const qhl = (b[q]! & 15) * 4;
  const before = b.slice(q, q + qhl + 8);
  if (inner.src !== undefined) put32(b, q + 12, inner.src);
  if (inner.dst !== undefined) put32(b, q + 16, inner.dst);
  b[q + 10] = 0;
  b[q + 11] = 0;
  put16(b, q + 10, internetChecksum(b, q, q + qhl));
  const qproto = b[q + 9]!;
  if (qproto === IPPROTO_SCTP && total >= q + qhl + 4) {
    if (inner.sport !== undefined) put16(b, q + qhl, inner.sport);
    if (inner.dport !== undefined) put16(b, q + qhl + 2, inner.dport);
  }
  const qid = inner.sport ?? inner.dport;
  if (qproto === IPPROTO_ICMP && qid !== undefined && total >= q + qhl + 8 && (b[q + qhl] === 8 || b[q + qhl] === 0)) {
    // A quoted echo: its id back to what the connection's other side knows (icmp_manip_pkt on the inner header),
    // its checksum updated for that one word.
    put16(b, q + qhl + 4, qid);
    put16(b, q + qhl + 2, adjustWords(before, b.subarray(q), (b[q + qhl + 2]! << 8) | b[q + qhl + 3]!, [qhl + 4]));
  }
  if ((qproto === IPPROTO_TCP || qproto === IPPROTO_UDP) && total >= q + qhl + 4) {
    if (inner.sport !== undefined) put16(b, q + qhl, inner.sport);
    if (inner.dport !== undefined) put16(b, q + qhl + 2, inner.dport);
    // The quoted TCP/UDP checksum is updated incrementally for the new addresses and ports, as the
    // l4proto manip does for the inner header (a quoted UDP checksum of 0 stays 0); only if quoted at all.
    const csumAt = q + qhl + (qproto === IPPROTO_TCP ? 16 : 6);
    if (total >= csumAt + 2 && !(qproto === IPPROTO_UDP && b[csumAt] === 0 && b[csumAt + 1] === 0)) {
      put16(b, csumAt, adjustWords(before, b.subarray(q), (b[csumAt]! << 8) | b[csumAt + 1]!, [12, 14, 16, 18, qhl, qhl + 2]));
    }
  }
  b[hl + 2] = 0;
  b[hl + 3] = 0;
  put16(b, hl + 2, internetChecksum(b, hl, total));
  return b;
}

/** RFC 1624 update of an L4 checksum for the changed address and port words. */
function adjust(before: Uint8Array, after: Uint8Array, hl: number, csumAt: number): number {
  return adjustWords(before, after, (before[csumAt]! << 8) | before[csumAt + 1]!, [12, 14, 16, 18, hl, hl + 2]);
}

/** RFC 1624: checksum `check` after the 16-bit words at `words` changed from `before` to `after`. */
function adjustWords(before: Uint8Array, after: Uint8Array, check: number, words: readonly number[]): number {
  let sum = ~check & 0xffff;
  for (const o of words) {
    sum += ~((before[o]! << 8) | before[o + 1]!) & 0xffff;
    sum += (after[o]! << 8) | after[o + 1]!;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
