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

/** `n` zero bytes, never handed out before (writers own them). */
export function freshBytes(n: number): Uint8Array {
  if (n > CARVE_MAX) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const b = new Uint8Array(slab, used, n);
  used += (n + 7) & ~7; // 8-byte aligned, as a buffer of its own would start
  return b;
}

/** Whether `part` lies within `span` (the same buffer, not beyond either end). */
export function within(span: Uint8Array, part: Uint8Array): boolean {
  return part.buffer === span.buffer && part.byteOffset >= span.byteOffset && part.byteOffset + part.length <= span.byteOffset + span.length;
}
