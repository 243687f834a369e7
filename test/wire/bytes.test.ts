import { describe, expect, it } from 'vitest';
import { freshBytes, within } from '../../src/wire/bytes.js';

describe('freshBytes', () => {
  it('hands out zero bytes that no other request shares', () => {
    const got = Array.from({ length: 400 }, (_, i) => freshBytes(1 + ((i * 37) % 300)));
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
  });

  it('tells whether a view lies within a span', () => {
    const span = freshBytes(100);
    expect(within(span, span.subarray(10, 20))).toBe(true);
    expect(within(span, new Uint8Array(span.buffer, span.byteOffset, 101))).toBe(false);
    expect(within(span, new Uint8Array(100))).toBe(false);
  });
});
