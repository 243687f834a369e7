import { describe, expect, it } from 'vitest';
import { ns3Missing } from '../../src/bench/suite/ns3.js';
import { loadWalk, runWalk, WALKS } from '../../src/bench/walk.js';

// The timed walks of `npm run bench` (never timed here: only that they load and deliver).
describe('bench walks', () => {
  it.each(WALKS.map((w) => w.name))('%s delivers every packet, tracing off and on', (walk) => {
    for (const tracing of [false, true]) {
      const r = runWalk({ walk, packets: 20 }, tracing, () => 0);
      expect(r.delivered).toBe(20);
    }
  });

  it('the ns-3 walks are the anchor program\'s: 64-byte datagrams every 5 us', () => {
    const f = loadWalk({ walk: 'cross-node', packets: 3 }).traffic[1]!;
    expect([f.payload, f.intervalNs, f.count]).toEqual([64, 5000, 3]);
  });

  it('says why ns-3 cannot run, or nothing when it can', () => {
    const why = ns3Missing();
    expect(why === undefined || /libns3-dev|compiler|pod-walk\.cc/.test(why)).toBe(true);
  });
});
