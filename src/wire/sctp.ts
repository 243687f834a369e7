import { crc32c } from './crc32c.js';
import { fail, type Decoded } from './decoded.js';

/**
 * SCTP packets (RFC 4960 section 3): a 12-byte common header (ports, the
 * verification tag, a CRC32c over the whole packet) followed by chunks, each
 * type, flags and length, padded to 4 bytes. Only the chunks a minimal
 * association uses have builders; every chunk decodes to its raw value.
 */

export const IPPROTO_SCTP = 132;

export const SCTP_DATA = 0;
export const SCTP_INIT = 1;
export const SCTP_INIT_ACK = 2;
export const SCTP_SACK = 3;
export const SCTP_HEARTBEAT = 4;
export const SCTP_HEARTBEAT_ACK = 5;
export const SCTP_ABORT = 6;
export const SCTP_SHUTDOWN = 7;
export const SCTP_SHUTDOWN_ACK = 8;
export const SCTP_ERROR = 9;
export const SCTP_COOKIE_ECHO = 10;
export const SCTP_COOKIE_ACK = 11;
export const SCTP_SHUTDOWN_COMPLETE = 14;

/** The T bit of ABORT and SHUTDOWN COMPLETE: the tag is the sender's own (reflected), not the peer's. */
export const SCTP_FLAG_T = 0x01;
/** DATA flags: unfragmented message (B and E bits). */
export const SCTP_DATA_UNFRAGMENTED = 0x03;

export const SCTP_CHUNK_NAMES: Readonly<Record<number, string>> = {
  0: 'DATA',
  1: 'INIT',
  2: 'INIT ACK',
  3: 'SACK',
  4: 'HEARTBEAT',
  5: 'HEARTBEAT ACK',
  6: 'ABORT',
  7: 'SHUTDOWN',
  8: 'SHUTDOWN ACK',
  9: 'ERROR',
  10: 'COOKIE ECHO',
  11: 'COOKIE ACK',
  14: 'SHUTDOWN COMPLETE',
};

export interface SctpChunk {
  type: number;
  flags: number;
  /** The chunk value (after the 4-byte chunk header, without padding). */
  value: Uint8Array;
}

export interface SctpPacket {
  srcPort: number;
  dstPort: number;
  vtag: number;
  chunks: SctpChunk[];
}

export function encodeSctp(p: SctpPacket): Uint8Array {
  const size = 12 + p.chunks.reduce((n, c) => n + ((4 + c.value.length + 3) & ~3), 0);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint16(0, p.srcPort);
  v.setUint16(2, p.dstPort);
  v.setUint32(4, p.vtag >>> 0);
  let off = 12;
  for (const c of p.chunks) {
    b[off] = c.type;
    b[off + 1] = c.flags;
    v.setUint16(off + 2, 4 + c.value.length); // the length excludes the padding
    b.set(c.value, off + 4);
    off += (4 + c.value.length + 3) & ~3;
  }
  // The CRC32c goes in little-endian byte order (sctp_compute_cksum returns cpu_to_le32 of it).
  v.setUint32(8, crc32c(b), true);
  return b;
}

/** The chunk types of a packet, in order, without checking the CRC (what netfilter's chunk walk reads). */
export function sctpChunkTypes(b: Uint8Array): number[] {
  const types: number[] = [];
  for (let off = 12; off + 4 <= b.length; ) {
    const len = (b[off + 2]! << 8) | b[off + 3]!;
    types.push(b[off]!);
    if (len < 4) break;
    off += (len + 3) & ~3;
  }
  return types;
}

export function decodeSctp(b: Uint8Array): Decoded<SctpPacket> {
  if (b.length < 12) return fail(`SCTP packet of ${b.length} bytes`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const sum = v.getUint32(8, true);
  const zeroed = b.slice();
  zeroed.fill(0, 8, 12);
  if (crc32c(zeroed) !== sum) return fail('bad SCTP checksum');
  const chunks: SctpChunk[] = [];
  for (let off = 12; off < b.length; ) {
    if (off + 4 > b.length) return fail('truncated SCTP chunk header');
    const len = v.getUint16(off + 2);
    if (len < 4 || off + len > b.length) return fail(`SCTP chunk length ${len} does not fit`);
    chunks.push({ type: b[off]!, flags: b[off + 1]!, value: b.subarray(off + 4, off + len) });
    off += (len + 3) & ~3;
  }
  return { ok: true, value: { srcPort: v.getUint16(0), dstPort: v.getUint16(2), vtag: v.getUint32(4), chunks } };
}

/** Write the CRC32c of an SCTP packet in place (after NAT rewrote its ports: sctp_manip_pkt). */
export function refreshSctpChecksum(b: Uint8Array, start: number, end: number): void {
  b.fill(0, start + 8, start + 12);
  const c = crc32c(b, start, end);
  b[start + 8] = c & 0xff;
  b[start + 9] = (c >>> 8) & 0xff;
  b[start + 10] = (c >>> 16) & 0xff;
  b[start + 11] = c >>> 24;
}

/** INIT and INIT ACK's fixed part (section 3.3.2): initiate tag, a_rwnd, stream counts, initial TSN; then parameters. */
export interface SctpInit {
  initiateTag: number;
  arwnd: number;
  outStreams: number;
  inStreams: number;
  initialTsn: number;
  /** TLV parameters as bytes (e.g. the State Cookie of an INIT ACK). */
  params: { type: number; value: Uint8Array }[];
}

export const SCTP_PARAM_STATE_COOKIE = 7;
export const SCTP_PARAM_SUPPORTED_ADDRESS_TYPES = 12;

export function initValue(i: SctpInit): Uint8Array {
  const size = 16 + i.params.reduce((n, p) => n + ((4 + p.value.length + 3) & ~3), 0);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint32(0, i.initiateTag >>> 0);
  v.setUint32(4, i.arwnd >>> 0);
  v.setUint16(8, i.outStreams);
  v.setUint16(10, i.inStreams);
  v.setUint32(12, i.initialTsn >>> 0);
  let off = 16;
  for (const p of i.params) {
    v.setUint16(off, p.type);
    v.setUint16(off + 2, 4 + p.value.length);
    b.set(p.value, off + 4);
    off += (4 + p.value.length + 3) & ~3;
  }
  // The last parameter's padding is the chunk's padding, which the chunk length does not count (RFC 4960 3.2).
  const last = i.params[i.params.length - 1];
  return last ? b.subarray(0, size - (((4 + last.value.length + 3) & ~3) - (4 + last.value.length))) : b;
}

export function readInit(value: Uint8Array): SctpInit | undefined {
  if (value.length < 16) return undefined;
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const params: SctpInit['params'] = [];
  for (let off = 16; off + 4 <= value.length; ) {
    const len = v.getUint16(off + 2);
    if (len < 4 || off + len > value.length) break;
    params.push({ type: v.getUint16(off), value: value.subarray(off + 4, off + len) });
    off += (len + 3) & ~3;
  }
  return { initiateTag: v.getUint32(0), arwnd: v.getUint32(4), outStreams: v.getUint16(8), inStreams: v.getUint16(10), initialTsn: v.getUint32(12), params };
}

/** DATA (section 3.3.1): TSN, stream, stream sequence number, payload protocol identifier, user data. */
export function dataValue(tsn: number, stream: number, ssn: number, ppid: number, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(12 + data.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, tsn >>> 0);
  v.setUint16(4, stream);
  v.setUint16(6, ssn);
  v.setUint32(8, ppid >>> 0);
  b.set(data, 12);
  return b;
}

/** SACK (section 3.3.4) with no gap blocks and no duplicates: cumulative TSN ack and a_rwnd. */
export function sackValue(cumTsn: number, arwnd: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint32(0, cumTsn >>> 0);
  v.setUint32(4, arwnd >>> 0);
  return b;
}

/** The 32-bit word at `off` of a chunk value (a DATA chunk's TSN, a SACK's cumulative TSN ack). */
export function u32At(value: Uint8Array, off: number): number {
  return ((value[off]! << 24) | (value[off + 1]! << 16) | (value[off + 2]! << 8) | value[off + 3]!) >>> 0;
}
