/**
 * Memory for packets' bytes. A `new Uint8Array(n)` of more than 64 bytes is
 * an ArrayBuffer of its own: off-heap memory plus bookkeeping the garbage
 * collector sweeps, about ten times the cost of a view. Packets are made and
 * copied at every hop, so their bytes are carved from shared slabs instead.
 * A slab lives while any view into it does (or a packet that holds it: an
 * skb keeps its slab and an offset, not a view per hop); slabs are small so
 * that a few packets kept long (a trace, a fragment queue) keep little else
 * alive.
 */

const SLAB_BYTES = 16384;
/** Larger requests get a buffer of their own. */
const CARVE_MAX = 2048;

/**
 * Where bytes are carved from, one stream per lifetime. A packet's first
 * bytes are kept by its `create` event for as long as the trace is (every
 * run keeps one unless told not to); the copies hops make (skb_cow, a header
 * with no room in front) are garbage once the packet ends when tracing is
 * off. Carved from one slab, each copy would keep a slab of kept bytes
 * company — fresh memory the system must fault in, for every slab.
 */
class Slabs {
  slab = new Uint8Array(SLAB_BYTES);
  used = 0;
}

/** Bytes a new packet is made of (a socket's datagram): its create event keeps them. */
const kept = new Slabs();
/** Copies of a packet's bytes made on its way. */
const copies = new Slabs();

/** Where the last `carve` took its bytes from. */
let carved = kept.slab;

function carveFrom(s: Slabs, total: number): number {
  if (total > CARVE_MAX) {
    carved = new Uint8Array(total);
    return 0;
  }
  if (s.used + total > SLAB_BYTES) {
    s.slab = new Uint8Array(SLAB_BYTES);
    s.used = 0;
  }
  carved = s.slab;
  const at = s.used;
  s.used += (total + 7) & ~7; // 8-byte aligned, as a buffer of its own would start
  return at;
}

/**
 * `total` zero bytes for a new packet, never handed out before (writers own
 * them), from byte `carve()` of `carvedIn()`: no view is made. A packet's
 * skb keeps the slab and the offset (skb.ts).
 */
export function carve(total: number): number {
  return carveFrom(kept, total);
}

/** `carve` for a copy of a packet's bytes made on its way (skb_cow): from slabs of their own (see `Slabs`). */
export function carveCopy(total: number): number {
  return carveFrom(copies, total);
}

/** The memory (a whole slab, or a buffer of its own) the last `carve` took its bytes from. */
export function carvedIn(): Uint8Array {
  return carved;
}

/**
 * `n` zero bytes, never handed out before (writers own them), with `front`
 * more zero bytes right in front of them in the same buffer (headroom a
 * header may later be written into: see `within`). One view is made, for
 * the `n` bytes: a packet's bytes and its headroom cost a single object.
 */
export function freshBytes(n: number, front = 0): Uint8Array {
  const at = carve(front + n);
  return new Uint8Array(carved.buffer, at + front, n);
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

/**
 * Copy the `len` bytes at `from` of `src` to `to` of `dst`, both whole
 * memories (byteOffset 0, as a packet's skb holds them), without a view of
 * either: 32-bit words when both places are 4-byte aligned (a packet's
 * memory is 8-byte aligned, so a copy of its IPv4 packet is), bytes
 * otherwise. A word view is made once per memory, not per copy.
 */
export function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, len: number): void {
  let i = 0;
  if (((from | to) & 3) === 0 && len >= 16) {
    const s = wordsOf(src, 0);
    const d = wordsOf(dst, 1);
    const n = len >>> 2;
    const sw = from >>> 2;
    const dw = to >>> 2;
    for (let k = 0; k < n; k++) d[dw + k] = s[sw + k]!;
    i = n << 2;
  }
  for (; i < len; i++) dst[to + i] = src[from + i]!;
}

/** The last two memories copied from (0) and to (1), and their word views (`copyBytes`). */
const wordMemory: (Uint8Array | undefined)[] = [undefined, undefined];
const wordViews: Int32Array[] = [new Int32Array(0), new Int32Array(0)];

function wordsOf(mem: Uint8Array, slot: 0 | 1): Int32Array {
  if (wordMemory[slot] === mem) return wordViews[slot]!;
  const words = new Int32Array(mem.buffer, 0, mem.length >>> 2);
  wordMemory[slot] = mem;
  wordViews[slot] = words;
  return words;
}
