/**
 * Memory for packets' bytes. A `new Uint8Array(n)` of more than 64 bytes is
 * an ArrayBuffer of its own: off-heap memory plus bookkeeping the garbage
 * collector sweeps, about ten times the cost of a view. Packets are made and
 * copied at every hop, so their bytes are carved from shared slabs instead.
 * A slab lives while any view into it does; slabs are small so that a few
 * packets kept long (a trace, a fragment queue) keep little else alive.
 */

const SLAB_BYTES = 16384;
/** Larger requests get a buffer of their own. */
const CARVE_MAX = 2048;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/**
 * `n` zero bytes, never handed out before (writers own them), with `front`
 * more zero bytes right in front of them in the same buffer (headroom a
 * header may later be written into: see `within`). One view is made, for
 * the `n` bytes: a packet's bytes and its headroom cost a single object.
 */
export function freshBytes(n: number, front = 0): Uint8Array {
  const total = front + n;
  if (total > CARVE_MAX) return new Uint8Array(new ArrayBuffer(total), front, n);
  if (used + total > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const b = new Uint8Array(slab, used + front, n);
  used += (total + 7) & ~7; // 8-byte aligned, as a buffer of its own would start
  return b;
}

/**
 * Whether `part` lies within `span` or the `front` bytes right in front of
 * it (the same buffer, not beyond either end).
 */
export function within(span: Uint8Array, part: Uint8Array, front = 0): boolean {
  return part.buffer === span.buffer && part.byteOffset >= span.byteOffset - front && part.byteOffset + part.length <= span.byteOffset + span.length;
}

/**
 * `b.subarray(start, end)` (both within `b`), made by the constructor: the
 * same view, but `subarray` looks up the species constructor first and took
 * about twice as long — and packets' headers are viewed at every hop.
 */
export function view(b: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + start, end - start);
}
