import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ns3Missing } from '../../src/bench/suite/ns3.js';
import { loadWalk, runWalk, walkOptions, walkScenarioText, WALKS } from '../../src/bench/walk.js';
import { cli } from '../../src/cli/main.js';
import { simulate } from '../../src/scenario/run/simulate.js';

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

  it.each(['same-node', 'cross-node'] as const)('%s: "full tracing" is every event a user gets from podwalk run --json, in order', (walk) => {
    const c = { walk, packets: 5, connected: true };
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-bench-'));
    try {
      const file = join(dir, 'walk.yaml');
      writeFileSync(file, walkScenarioText(c));
      let out = '';
      expect(cli(['run', file, '--json'], { out: (s) => (out += s), err: () => {} })).toBe(0);
      const lines = out.trim().split('\n').slice(1); // the header, then the events, then the flow and expectation records
      const events = lines.filter((l) => !/^\{"kind":"(flow|expectations?)"/.test(l));
      const traced = simulate(loadWalk(c), walkOptions(true)).events.map((e) => JSON.stringify(e));
      expect(traced).toEqual(events);
      expect(new Set(traced.map((e) => (JSON.parse(e) as { kind: string }).kind)).size).toBeGreaterThan(3); // hops, not outcomes only
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says why ns-3 cannot run, or nothing when it can', () => {
    const why = ns3Missing();
    expect(why === undefined || /libns3-dev|compiler|pod-walk\.cc/.test(why)).toBe(true);
  });
});
