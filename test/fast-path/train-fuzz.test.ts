// Randomized differential test of the train replay (train.ts, train-lag.ts): seeded scenarios around periodic trains
// (train-fuzz.ts) run with the replay on and off must give the same kept trace, flow results, events run and exact
// kernel state (train-state.ts). Ten cases (their counts capped) run in npm test; PODWALK_TRAIN_FUZZ=<cases>[:<first seed>] runs more
// (a local hunt: `PODWALK_TRAIN_FUZZ=500 npx vitest run test/fast-path/train-fuzz.test.ts`).
import { afterAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/cluster/build.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate, type SimulateOptions } from '../../src/scenario/run/simulate.js';
import type { Scenario } from '../../src/scenario/types.js';
import { difference, fuzzCase } from './train-fuzz.js';
import { kernelState } from './train-state.js';

const saved = process.env.PODWALK_TRAIN_REPLAY;
afterAll(() => {
  if (saved === undefined) delete process.env.PODWALK_TRAIN_REPLAY;
  else process.env.PODWALK_TRAIN_REPLAY = saved;
});

interface Outcome {
  text: string;
  windows: number;
  datagrams: number;
}

function run(scenario: Scenario, replay: 'on' | 'off', opts: SimulateOptions): Outcome {
  process.env.PODWALK_TRAIN_REPLAY = replay;
  let cluster: Cluster | undefined;
  const told: string[] = [];
  // A run that does not keep its flows is read through onFlow (a reader that sees each as it is over).
  const onFlow = opts.keepFlows === false ? (f: unknown) => void told.push(JSON.stringify(f)) : undefined;
  const result = simulate(scenario, { detailed: false, ...opts, ...(onFlow ? { onFlow } : {}), onBuilt: (c) => void (cluster = c) });
  const c = cluster!;
  const flows = opts.keepFlows === false ? told : result.flows.map((f) => JSON.stringify(f));
  const text = [...(opts.keepTrace === false ? [] : result.events.map((e) => JSON.stringify(e))), ...flows, `stopped ${result.stopped} executed ${result.eventsExecuted}`, kernelState(c)].join('\n');
  return { text, windows: c.world.fast.trainWindows, datagrams: c.world.fast.trainDatagrams };
}

/** One case: replay on and off the same (the scenario in the message when not). Returns its windows, or -1 when it does not load. */
function check(seed: number, maxCount?: number): number {
  const c = fuzzCase(seed, maxCount);
  const r = loadScenarioText(c.text, `fuzz-${seed}.yaml`);
  if (!r.ok) throw new Error(`seed ${seed} does not load: ${JSON.stringify(r.problems)}\n${c.text}`);
  const on = run(r.scenario, 'on', c.opts);
  const off = run(r.scenario, 'off', c.opts);
  const d = difference(on.text, off.text);
  if (d !== undefined) throw new Error(`seed ${seed} (options ${JSON.stringify(c.opts)}): replay on and off differ at ${d}\n${c.text}`);
  expect(off.windows).toBe(0);
  return on.windows;
}

const env = process.env.PODWALK_TRAIN_FUZZ;

describe('train replay, randomized: on and off the same', () => {
  it('ten seeded cases (npm test; counts up to 600), some with windows', () => {
    let windows = 0;
    for (let seed = 1; seed <= 10; seed++) windows += check(seed, 600);
    expect(windows).toBeGreaterThan(0);
  });
  it.skipIf(env === undefined)('many seeded cases (PODWALK_TRAIN_FUZZ=<cases>[:<first seed>])', () => {
    const [cases, first] = (env ?? '0').split(':').map(Number);
    const failed: string[] = [];
    let withWindows = 0;
    for (let seed = first ?? 1000; seed < (first ?? 1000) + cases!; seed++) {
      try {
        if (check(seed) > 0) withWindows++;
      } catch (e) {
        failed.push((e as Error).message.split('\n').slice(0, 4).join(' | '));
      }
    }
    console.log(`train fuzz: ${cases} cases, ${withWindows} with windows, ${failed.length} failed`);
    expect(failed).toEqual([]);
  }, 3_600_000);
});
