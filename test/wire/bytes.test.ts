import { describe, expect, it } from 'vitest';
import { freshBytes, within } from '../../src/wire/bytes.js';

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
});
