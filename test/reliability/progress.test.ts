// Long runs report progress (issue: a valid `count: 65507` ran for 20 s with no sign of life).
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/engine/scheduler.js';
import { progressLine } from '../../src/cli/progress.js';

describe('progress of a long run', () => {
  it('the scheduler calls back every 65,536 events with the count and the simulated clock', () => {
    const s = new Scheduler();
    for (let i = 0; i < 200_000; i++) s.at(i * 10, () => {});
    const seen: Array<[number, number]> = [];
    s.run({ onProgress: (n, now) => seen.push([n, now]) });
    expect(seen).toEqual([
      [65_536, 655_350],
      [131_072, 1_310_710],
      [196_608, 1_966_070],
    ]);
  });

  it('stays off when stderr is not a terminal (pipes, logs and tests read as before)', () => {
    const out: string[] = [];
    const p = progressLine((s) => out.push(s), false);
    expect(p.onProgress).toBeUndefined();
    p.done();
    expect(out).toEqual([]);
  });
});
