import { describe, expect, it } from 'vitest';
import { carve, carveCopy, carvedIn, copyBytes, freshBytes, within } from '../../src/wire/bytes.js';

describe('freshBytes', () => {
  it('hands out zero bytes that no other request shares', () => {
    // Each with the bytes in front it was asked for: they are zero and no one else's either.
    const got = Array.from({ length: 400 }, (_, i) => {
      const front = (i * 13) % 80;
      const b = freshBytes(1 + ((i * 37) % 300), front);
      return new Uint8Array(b.buffer, b.byteOffset - front, b.length + front);
    });
    for (const b of got) {
      expect(b.every((x) => x === 0)).toBe(true);
      b.fill(0xff);
    }
    for (let i = 0; i < got.length; i++) {
      for (let j = i + 1; j < got.length; j++) {
        const a = got[i]!;
        const b = got[j]!;
        if (a.buffer !== b.buffer) continue;
        expect(a.byteOffset + a.length <= b.byteOffset || b.byteOffset + b.length <= a.byteOffset).toBe(true);
      }
    }
  });

  it('gives a large request a buffer of its own', () => {
    const b = freshBytes(9000);
    expect(b.byteOffset).toBe(0);
    expect(b.buffer.byteLength).toBe(9000);
    const c = freshBytes(9000, 64);
    expect(c.byteOffset).toBe(64);
    expect(c.buffer.byteLength).toBe(9064);
  });

  it('tells whether a view lies within a span', () => {
    const span = freshBytes(100);
    expect(within(span, span.subarray(10, 20))).toBe(true);
    expect(within(span, new Uint8Array(span.buffer, span.byteOffset, 101))).toBe(false);
    expect(within(span, new Uint8Array(100))).toBe(false);
    const roomy = freshBytes(100, 14);
    const framed = new Uint8Array(roomy.buffer, roomy.byteOffset - 14, 114);
    expect(within(roomy, framed)).toBe(false);
    expect(within(roomy, framed, 14)).toBe(true);
    expect(within(roomy, new Uint8Array(roomy.buffer, roomy.byteOffset - 15, 115), 14)).toBe(false);
  });

  it('carves copies from slabs of their own, never from those of new packets', () => {
    const kept = new Set<ArrayBufferLike>();
    const copies = new Set<ArrayBufferLike>();
    for (let i = 0; i < 600; i++) {
      const n = 40 + ((i * 29) % 200);
      const at = i % 3 === 0 ? carveCopy(n) : carve(n);
      const b = carvedIn();
      expect(b.byteOffset).toBe(0);
      expect(b.subarray(at, at + n).every((x) => x === 0)).toBe(true);
      b.fill(0xff, at, at + n);
      (i % 3 === 0 ? copies : kept).add(b.buffer);
    }
    expect(copies.size).toBeGreaterThan(1);
    for (const c of copies) expect(kept.has(c)).toBe(false);
  });
});

describe('copyBytes', () => {
  it('copies exactly the bytes asked for, aligned or not, touching nothing around them', () => {
    const src = new Uint8Array(256).map((_, i) => (i * 7 + 3) & 255);
    for (const from of [0, 4, 8, 1, 2, 3, 14]) {
      for (const to of [0, 4, 16, 1, 6]) {
        for (const len of [0, 3, 15, 16, 17, 92, 106, 128]) {
          const dst = new Uint8Array(256);
          copyBytes(src, from, dst, to, len);
          expect([...dst.subarray(to, to + len)]).toEqual([...src.subarray(from, from + len)]);
          expect([...dst.subarray(0, to), ...dst.subarray(to + len)].every((x) => x === 0)).toBe(true);
        }
      }
    }
  });
});
