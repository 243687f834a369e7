/** pcapng writer (IETF draft-ietf-opsawg-pcapng), little-endian, nanosecond timestamps. */

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;

const enc = new TextEncoder();

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Options block: code, length, value padded to 32 bits, then opt_endofopt. */
function options(opts: [number, Uint8Array][]): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  const size = opts.reduce((s, [, v]) => s + 4 + pad4(v.length), 0) + 4;
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  let o = 0;
  for (const [code, v] of opts) {
    dv.setUint16(o, code, true);
    dv.setUint16(o + 2, v.length, true);
    b.set(v, o + 4);
    o += 4 + pad4(v.length);
  }
  return b; // trailing zeros are opt_endofopt
}

function block(type: number, body: Uint8Array): Uint8Array {
  const total = 12 + body.length;
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, total, true);
  b.set(body, 8);
  dv.setUint32(total - 4, total, true);
  return b;
}

/**
 * Builds a pcapng section block by block. `toBytes` gives the blocks not yet
 * taken; `take` hands them over and forgets them, so a capture can be written
 * while the run goes on (an interface block is added before its first packet,
 * so the bytes are the same either way).
 */
export class PcapngWriter {
  private blocks: Uint8Array[] = [];
  private size = 0;
  private readonly snapLens: number[] = [];

  constructor(opts: { application?: string } = {}) {
    const opt = options(opts.application ? [[4, enc.encode(opts.application)]] : []);
    const body = new Uint8Array(16 + opt.length);
    const dv = new DataView(body.buffer);
    dv.setUint32(0, 0x1a2b3c4d, true); // byte-order magic
    dv.setUint16(4, 1, true); // version 1.0
    dv.setUint16(6, 0, true);
    dv.setBigInt64(8, -1n, true); // section length unknown
    body.set(opt, 16);
    this.push(block(0x0a0d0d0a, body));
  }

  addInterface(name: string, linkType = LINKTYPE_ETHERNET, snapLen = 262144): number {
    const opt = options([
      [2, enc.encode(name)], // if_name
      [9, Uint8Array.of(9)], // if_tsresol: 10^-9 s
    ]);
    const body = new Uint8Array(8 + opt.length);
    const dv = new DataView(body.buffer);
    dv.setUint16(0, linkType, true);
    dv.setUint32(4, snapLen, true);
    body.set(opt, 8);
    this.push(block(1, body));
    this.snapLens.push(snapLen);
    return this.snapLens.length - 1;
  }

  /**
   * An Enhanced Packet Block. `direction` is written as epb_flags (bits 0-1: 01 inbound, 10 outbound; Wireshark's
   * `frame.packet_flags_direction`), `comment` as opt_comment.
   */
  addPacket(interfaceId: number, timestampNs: number, data: Uint8Array, comment?: string, direction?: 'in' | 'out'): void {
    const opts: [number, Uint8Array][] = [];
    if (comment) opts.push([1, enc.encode(comment)]);
    if (direction) {
      const flags = new Uint8Array(4);
      new DataView(flags.buffer).setUint32(0, direction === 'in' ? 1 : 2, true);
      opts.push([2, flags]);
    }
    const opt = options(opts);
    const snapLen = this.snapLens[interfaceId] ?? 0;
    const captured = snapLen > 0 && data.length > snapLen ? data.subarray(0, snapLen) : data;
    const body = new Uint8Array(20 + pad4(captured.length) + opt.length);
    const dv = new DataView(body.buffer);
    // Split by arithmetic, not BigInt: simulated times may be fractional and BigInt() would throw.
    const ts = Math.max(0, Math.round(timestampNs));
    dv.setUint32(0, interfaceId, true);
    dv.setUint32(4, Math.floor(ts / 2 ** 32), true);
    dv.setUint32(8, ts % 2 ** 32, true);
    dv.setUint32(12, captured.length, true);
    dv.setUint32(16, data.length, true);
    body.set(captured, 20);
    body.set(opt, 20 + pad4(captured.length));
    this.push(block(6, body));
  }

  /** Bytes of the blocks not yet taken. */
  get pending(): number {
    return this.size;
  }

  /** The blocks not yet taken, as bytes; forgotten here. */
  take(): Uint8Array {
    const out = this.toBytes();
    this.blocks = [];
    this.size = 0;
    return out;
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const b of this.blocks) {
      out.set(b, o);
      o += b.length;
    }
    return out;
  }

  private push(b: Uint8Array): void {
    this.blocks.push(b);
    this.size += b.length;
  }
}
