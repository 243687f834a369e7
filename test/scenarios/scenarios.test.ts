import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExpectations } from '../../src/scenario/run/expect.js';
import { formatProblem, loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { oracleFlows } from '../scenario/flow-oracle.js';
import { oracleFlowEvents } from '../scenario/walk-oracle.js';
import { WalkEvents } from '../../src/scenario/report/walk-events.js';
import type { TraceEvent } from '../../src/trace/events.js';
import type { Cluster } from '../../src/cluster/build.js';

const dir = join(import.meta.dirname, '..', '..', 'scenarios');
// Top-level scenarios and the gallery of famous failures (scenarios/gallery/, docs/gallery.md).
const files = [...readdirSync(dir).filter((f) => f.endsWith('.yaml')), ...readdirSync(join(dir, 'gallery')).filter((f) => f.endsWith('.yaml')).map((f) => join('gallery', f))];

describe('every scenario file', () => {
  it('exists', () => expect(files.length).toBeGreaterThanOrEqual(5));

  for (const file of files) {
    it(`${file}: loads, runs, meets its expectations, accounts for every packet`, () => {
      const r = loadScenarioFile(join(dir, file));
      if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
      // The walk view's events gathered live and taken the moment each flow is over (as `podwalk run` prints it).
      const live = new WalkEvents(() => true);
      const taken = new Map<string, TraceEvent[]>();
      // Every event happens at the clock's time (flow-life.ts reads the clock, not the event's `t`).
      let clock: (() => number) | undefined;
      const offClock: TraceEvent[] = [];
      const onBuilt = (c: Cluster): void => {
        c.world.tracer.attach({ event: (e) => clock && e.t !== clock() && offClock.push(e) }); // (the set-up's events replayed first)
        clock = () => c.sched.now;
      };
      const result = simulate(r.scenario, { flowSinks: [live], onFlow: (f) => taken.set(f.flow, live.take(f.flow)), onBuilt });
      expect(offClock).toEqual([]);
      const mismatches = checkExpectations(result.flows);
      expect(mismatches).toEqual([]);
      expect(result.flows.every((f) => f.traffic.expect)).toBe(true);
      // Flows summarised as the events streamed by are those read from the whole trace.
      expect(result.flows).toEqual(oracleFlows(result));
      // The walk view's events per flow, gathered as they stream by, are those read from the whole trace.
      const walk = WalkEvents.fromTrace(result.events, result.flows);
      const oracle = oracleFlowEvents(result.events, result.flows);
      for (const f of result.flows) expect(walk.take(f.flow)).toEqual(oracle.get(f.flow));
      // Taken once over, a flow has all its events: nothing about it came later (flow-life.ts), and nothing is left.
      for (const f of result.flows) expect(taken.get(f.flow)).toEqual(oracle.get(f.flow));
      expect(live.packets).toBe(0);
      expect(live.held).toBe(live.changes.length);
      // Every packet created ends in exactly one deliver or drop.
      const created = result.events.filter((e) => e.kind === 'create').map((e) => e.pkt);
      const ended = result.events.filter((e) => e.kind === 'deliver' || e.kind === 'drop').map((e) => e.pkt);
      expect([...ended].sort((a, b) => a - b)).toEqual([...created].sort((a, b) => a - b));
      expect(result.events.some((e) => e.kind === 'drop' && (e.reason === 'not-finished' || e.reason === 'event-budget'))).toBe(false);
    });
  }
});
