import { describe, expect, it } from 'vitest';
import { PacketMap } from '../../src/scenario/run/packet-map.js';

describe('PacketMap', () => {
  it('keeps what a Map keeps, whether packets fit the window or not', () => {
    const m = new PacketMap<string>();
    const ref = new Map<number, string>();
    // Ids in order with some living long (several laps of the window), some ending at once, ids that share a slot.
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let pkt = 1; pkt < 5000; pkt++) {
      m.set(pkt, `p${pkt}`);
      ref.set(pkt, `p${pkt}`);
      const old = pkt - rnd(900);
      if (rnd(3) === 0) {
        m.delete(old);
        ref.delete(old);
      } else if (rnd(5) === 0 && ref.has(old)) {
        m.set(old, `again${old}`);
        ref.set(old, `again${old}`);
      }
      const probe = pkt - rnd(1200);
      expect(m.get(probe)).toBe(ref.get(probe));
      expect(m.size).toBe(ref.size);
    }
    for (const [k, v] of ref) expect(m.get(k)).toBe(v);
    for (const k of [...ref.keys()]) m.delete(k);
    expect(m.size).toBe(0);
    expect(m.get(0)).toBeUndefined();
  });
});
