import { internetChecksum, pseudoHeaderSum } from './checksum.js';
import { fail, type Decoded } from './decoded.js';
import { IPPROTO_TCP } from './ipv4.js';

export const TCP_FIN = 1;
export const TCP_SYN = 2;
export const TCP_RST = 4;
export const TCP_PSH = 8;
export const TCP_ACK = 16;

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  options?: Uint8Array;
  payload: Uint8Array;
}

export function encodeTcp(s: TcpSegment, srcIp: number, dstIp: number): Uint8Array {
  const optLen = s.options ? (s.options.length + 3) & ~3 : 0;
  const hl = 20 + optLen;
  const b = new Uint8Array(hl + s.payload.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, s.srcPort);
  v.setUint16(2, s.dstPort);
  v.setUint32(4, s.seq >>> 0);
  v.setUint32(8, s.ack >>> 0);
  b[12] = (hl >> 2) << 4;
  b[13] = s.flags & 0xff;
  v.setUint16(14, s.window);
  if (s.options) b.set(s.options, 20);
  b.set(s.payload, hl);
  v.setUint16(16, internetChecksum(b, 0, b.length, pseudoHeaderSum(srcIp, dstIp, IPPROTO_TCP, b.length)));
  return b;
}

export function decodeTcp(b: Uint8Array, srcIp: number, dstIp: number): Decoded<TcpSegment> {
  if (b.length < 20) return fail(`TCP segment of ${b.length} bytes`);
  const hl = (b[12]! >> 4) * 4;
  if (hl < 20 || hl > b.length) return fail(`bad TCP data offset ${hl}`);
  if (internetChecksum(b, 0, b.length, pseudoHeaderSum(srcIp, dstIp, IPPROTO_TCP, b.length)) !== 0) return fail('bad TCP checksum');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    ok: true,
    value: {
      srcPort: v.getUint16(0),
      dstPort: v.getUint16(2),
      seq: v.getUint32(4),
      ack: v.getUint32(8),
      flags: b[13]!,
      window: v.getUint16(14),
      ...(hl > 20 ? { options: b.subarray(20, hl) } : {}),
      payload: b.subarray(hl),
    },
  };
}

/** tcpdump's flag notation, in tcpdump's own order (F S R P . U E W); no flags prints `[none]`. */
const FLAG_CHARS: [number, string][] = [[TCP_FIN, 'F'], [TCP_SYN, 'S'], [TCP_RST, 'R'], [TCP_PSH, 'P'], [TCP_ACK, '.'], [32, 'U'], [64, 'E'], [128, 'W']];

export function formatTcpFlags(flags: number): string {
  let s = '';
  for (const [bit, c] of FLAG_CHARS) if (flags & bit) s += c;
  return `[${s || 'none'}]`;
}

/** The option block Linux puts in a SYN: MSS, SACK-permitted, timestamps, NOP, window scale (20 bytes). */
export function tcpSynOptions(mss: number, tsVal: number, wscale: number, tsEcr = 0): Uint8Array {
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  b[0] = 2;
  b[1] = 4;
  v.setUint16(2, mss);
  b[4] = 4;
  b[5] = 2;
  b[6] = 8;
  b[7] = 10;
  v.setUint32(8, tsVal >>> 0);
  v.setUint32(12, tsEcr >>> 0);
  b[16] = 1;
  b[17] = 3;
  b[18] = 3;
  b[19] = wscale;
  return b;
}

/** NOP, NOP, timestamps: what Linux adds to every segment after the handshake (12 bytes). */
export function tcpTsOption(tsVal: number, tsEcr: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  b[0] = 1;
  b[1] = 1;
  b[2] = 8;
  b[3] = 10;
  v.setUint32(4, tsVal >>> 0);
  v.setUint32(8, tsEcr >>> 0);
  return b;
}

/**
 * Where option `kind` of length `len` starts in an option block (tcp_parse_options' walk: NOPs skipped, the
 * walk ends at End of Option List or a malformed length), or -1.
 */
function tcpOptionAt(options: Uint8Array | undefined, kind: number, len: number): number {
  if (!options) return -1;
  for (let i = 0; i < options.length; ) {
    const k = options[i]!;
    if (k === 0) return -1;
    if (k === 1) {
      i++;
      continue;
    }
    const l = options[i + 1] ?? 0;
    if (l < 2) return -1;
    if (k === kind && l === len && i + len <= options.length) return i;
    i += l;
  }
  return -1;
}

/** The peer's timestamp value (TSval) from an option block, if it carries one. */
export function tcpTsVal(options: Uint8Array | undefined): number | undefined {
  const i = tcpOptionAt(options, 8, 10);
  if (i < 0) return undefined;
  const o = options!;
  return ((o[i + 2]! << 24) | (o[i + 3]! << 16) | (o[i + 4]! << 8) | o[i + 5]!) >>> 0;
}

/** TCP_MSS_DEFAULT: what a peer whose SYN carries no MSS option is taken to accept (RFC 9293). */
export const TCP_MSS_DEFAULT = 536;

/** The MSS a SYN or SYN-ACK announces (option kind 2), if it carries one (tcp_parse_options). */
export function tcpMssOption(options: Uint8Array | undefined): number | undefined {
  const i = tcpOptionAt(options, 2, 4);
  if (i < 0) return undefined;
  return (options![i + 2]! << 8) | options![i + 3]!;
}

/**
 * The receive window a SYN (m = the MSS it announces) or SYN-ACK (m = that MSS
 * minus the 12 bytes of timestamps) offers: tcp_select_initial_window rounds
 * the space down to a multiple of m, and the 16-bit field holds at most 65535
 * (measured on Linux 6.18: 64240 for MSS 1460, 64860 for 1410, 65160 and
 * 64308 for 1448 and 1398, 62720 for 8960).
 */
export function tcpSynWindow(m: number): number {
  return Math.floor(65535 / m) * m;
}
