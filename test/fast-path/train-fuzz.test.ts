// Randomized differential test of the train replay (train.ts, train-lag.ts): seeded scenarios around periodic trains
// (train-fuzz.ts) run with the replay on and off must give the same kept trace, flow results, events run and exact
// kernel state (train-state.ts). Ten cases (their counts capped) run in npm test; a local hunt runs more:
// `PODWALK_TRAIN_FUZZ=<cases>[:<first seed>] npx vitest run test/fast-path/train-fuzz.test.ts`. And the library
// API's Simulation with detailed: false (the public entry point the replay serves), read in the middle of trains.
import { afterAll, describe, expect, it } from 'vitest';
import { Simulation } from '../../src/api/index.js';
import { walkScenarioText } from '../../src/bench/walk.js';
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

describe('train replay through the library API (Simulation, detailed: false): on and off the same', () => {
  /** Two trains sent with `send`, state read by `at` callbacks and between `runUntil`s inside would-be windows. */
  function go(replay: 'on' | 'off', walk: 'same-node' | 'cross-node', reads: number[], untils: number[]): { text: string; datagrams: number } {
    process.env.PODWALK_TRAIN_REPLAY = replay;
    const text = walkScenarioText({ walk, packets: 1, connected: true }).split('  - {name: f,')[0]!;
    const sim = Simulation.fromYaml(text, { detailed: false });
    const to = walk === 'same-node' ? 'pod/b' : 'pod/c';
    sim.send({ name: 'g', from: 'pod/a', to, protocol: 'UDP', port: 53, count: 1500, interval: '5us', at: '100ms', reuseConnection: true });
    sim.send({ name: 'h', from: 'pod/a', to, protocol: 'UDP', port: 53, count: 300, interval: '7us', at: '110ms', reuseConnection: true });
    const out: string[] = [];
    const read = (s: Simulation): void => {
      for (const n of ['node1', 'node2', 'default/a', 'default/c']) {
        const st = s.state(n);
        out.push(st.conntrack(), st.iptables(), st.neigh(), st.fdb());
      }
    };
    for (const t of reads) sim.at(t, read);
    for (const t of untils) {
      sim.runUntil(t);
      out.push(kernelState(sim.cluster));
      read(sim);
    }
    const r = sim.run();
    out.push(...r.flows.map((f) => JSON.stringify([f.name, f.verdict, f.deliveredTo])), ...r.events.map((e) => JSON.stringify(e)), kernelState(sim.cluster));
    return { text: out.join('\n'), datagrams: sim.cluster.world.fast.trainDatagrams };
  }
  it('at callbacks and runUntil inside what would be windows, same node and across nodes', () => {
    const T0 = 100e6;
    const cases: [number[], number[]][] = [
      [[], [T0 + 1e6 + 3, T0 + 3e6, T0 + 10e6 + 17]],
      [[T0 + 2e6 + 1, T0 + 50_001], []],
    ];
    for (const walk of ['same-node', 'cross-node'] as const) {
      for (const [reads, untils] of cases) {
        const on = go('on', walk, reads, untils);
        expect(difference(on.text, go('off', walk, reads, untils).text)).toBeUndefined();
        expect(on.datagrams).toBeGreaterThan(1000);
      }
    }
  });
});
