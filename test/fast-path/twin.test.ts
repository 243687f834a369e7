// Runs in the `examples, fast path off` project only (vitest.config.ts), after test/fast-path/twin-setup.ts:
// the examples' simulations are compared with a fast-path-on twin, so the comparison must be active and must
// pass for a busy run here too (a connected UDP flow and new connections through a Service).
import { describe, expect, it } from 'vitest';
import { Simulation } from 'podwalk';
import { walkScenarioText } from '../../src/bench/walk.js';

const comparisons = (): number => (globalThis as { podwalkTwinComparisons?: { passed: number } }).podwalkTwinComparisons?.passed ?? -1;

describe('the examples are compared with the fast path on and off', () => {
  it('runs with the fast path off, the twin with it on', () => expect(process.env.PODWALK_FAST_PATH).toBe('off'));

  it('compares a run and its twin byte for byte (trace, flows, kernel state)', () => {
    const before = comparisons();
    expect(before).toBeGreaterThanOrEqual(0);
    const sim = Simulation.fromYaml(walkScenarioText({ walk: 'cluster-ip', packets: 30, intervalNs: 20_000, connected: true }));
    sim.send({ name: 'other', from: 'pod/default/b', to: 'service/default/svc', protocol: 'UDP', port: 53, count: 5, interval: '100us', at: '200ms' });
    sim.runUntil('150ms');
    sim.run();
    expect(comparisons()).toBe(before + 2);
  });
});
