import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { ScenarioRun, simulate } from '../../src/scenario/run/simulate.js';
import { WalkEvents } from '../../src/scenario/report/walk-events.js';
import type { Scenario } from '../../src/scenario/types.js';

const classic = readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'classic-walk.yaml'), 'utf8');

/** The classic walk's cluster with one traffic item of our own. */
function scenarioWith(traffic: string): Scenario {
  const r = loadScenarioText(`${classic.split('traffic:')[0]}traffic:\n${traffic}`, 'bounded.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

/** Run without keeping the trace; count the events streamed and what the flow summariser holds. */
function streamed(scenario: Scenario): { events: number; followed: number; flows: number; run: ScenarioRun } {
  let events = 0;
  const run = new ScenarioRun(scenario, { keepTrace: false, onBuilt: (c) => c.world.tracer.attach({ event: () => events++ }) });
  for (const t of scenario.traffic) run.schedule(t);
  const result = run.finish();
  return { events, followed: (run as unknown as { summarizer: { packetsFollowed: number } }).summarizer.packetsFollowed, flows: result.flows.length, run };
}

/**
 * A UDP item of `count` datagrams run as the human report runs it (results and events taken as each
 * flow is over); the most held at once by the walk view, flow-life and the summariser.
 */
function reported(count: number) {
  const scenario = scenarioWith(`  - {name: many, from: pod/pod1, to: pod/pod4, port: 8080, protocol: UDP, count: ${count}, interval: 10us}\n`);
  const walk = new WalkEvents(() => true);
  let events = 0;
  const seen = { flows: 0, held: 0, packets: 0, open: 0, followed: 0, firstOverAt: -1 };
  const run: ScenarioRun = new ScenarioRun(scenario, {
    keepTrace: false,
    keepFlows: false,
    flowSinks: [walk],
    onEvent: () => events++,
    onFlow: (r) => {
      seen.held = Math.max(seen.held, walk.held);
      walk.take(r.flow);
      seen.flows++;
      if (seen.firstOverAt < 0) seen.firstOverAt = run.now;
      const inside = run as unknown as { life: { open: number }; summarizer: { packetsFollowed: number } };
      seen.packets = Math.max(seen.packets, walk.packets);
      seen.open = Math.max(seen.open, inside.life.open);
      seen.followed = Math.max(seen.followed, inside.summarizer.packetsFollowed);
    },
  });
  for (const t of scenario.traffic) run.schedule(t);
  const result = run.finish();
  expect(() => result.flows).toThrow(/not kept/);
  const inside = run as unknown as { life: { packets: number }; summarizer: { packetsFollowed: number } };
  return { ...seen, events, left: { events: walk.held, packets: walk.packets, lifePackets: inside.life.packets, followed: inside.summarizer.packetsFollowed } };
}

/**
 * Streamed output must not hold the trace: with `keepTrace: false` nothing
 * keeps events, and the flow summariser's state is a few packets per flow,
 * however many events each flow has. Counted, not timed.
 */
describe('a streamed run keeps state per flow, not per event', () => {
  it('keeps no trace', () => {
    const { run } = streamed(scenarioWith('  - {name: one, from: pod/pod1, to: pod/pod4, port: 8080}\n'));
    expect(run.cluster.world.tracer.keeping).toBe(false);
    expect(() => run.finish().events).toThrow(/not kept/);
  });

  it('one TCP flow: the summariser follows as many packets for 65,000 bytes as for 64 (the request and its first answer)', () => {
    const short = streamed(scenarioWith('  - {name: small, from: pod/pod1, to: pod/pod4, port: 8080, payload: 64}\n'));
    const long = streamed(scenarioWith('  - {name: bulk, from: pod/pod1, to: pod/pod4, port: 8080, payload: 65000}\n'));
    expect(long.events).toBeGreaterThan(10 * short.events);
    // The SYN, ARP on the way, and the SYN-ACK: what comes after the first answer is not followed.
    expect(long.followed).toBe(short.followed);
    expect(long.followed).toBeLessThan(20);
  });

  it('many flows: a few packets followed per flow, whatever the trace length', () => {
    const { events, followed, flows } = streamed(scenarioWith('  - {name: many, from: pod/pod1, to: pod/pod4, port: 8080, count: 150, interval: 10us}\n'));
    expect(flows).toBe(150);
    expect(events / flows).toBeGreaterThan(100);
    expect(followed / flows).toBeLessThanOrEqual(3);
  });

  it('the human report: each flow is printed and forgotten once over, so what is held does not grow with the run', () => {
    const short = reported(100);
    const long = reported(300);
    expect(long.flows).toBe(300);
    // Printed while the run went on: the first flow was over long before the last one was sent (at 2.99 ms).
    expect(long.firstOverAt).toBeLessThan(1_000_000);
    // At most what is in flight at once (the first ARP resolution holds about 40 datagrams), however long the run.
    expect(long.held).toBeGreaterThan(0);
    expect(long.held).toBeLessThanOrEqual(short.held);
    expect(long.held * 3).toBeLessThan(long.events);
    for (const k of ['packets', 'open', 'followed'] as const) expect(long[k]).toBeLessThanOrEqual(short[k]);
    expect(long.open).toBeLessThan(100);
    // And nothing is left once the run is over.
    expect(long.left).toEqual({ events: 0, packets: 0, lifePackets: 0, followed: 0 });
  });

  it('the walk view gathers only the flows it shows (--flow), not the trace', () => {
    const scenario = scenarioWith('  - {name: many, from: pod/pod1, to: pod/pod4, port: 8080, count: 40, interval: 10us}\n');
    let events = 0;
    const one = new WalkEvents((f) => f === 'many#7');
    const result = simulate(scenario, { keepTrace: false, flowSinks: [one], onEvent: () => events++ });
    const held = one.held;
    const seven = one.take('many#7');
    expect(result.flows).toHaveLength(40);
    expect(seven.length).toBe(held);
    expect(held).toBeGreaterThan(50);
    expect(held * 20).toBeLessThan(events);
    expect(one.held).toBe(0);
  });
});
