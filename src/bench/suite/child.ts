/**
 * One benchmark case in a process of its own, so that its heap and peak RSS
 * are its own and one case's garbage does not slow the next:
 *   node --expose-gc dist/bench/suite/child.js walk '{"walk":"cross-node","packets":100000}' on|off
 *   node --expose-gc dist/bench/suite/child.js scale|max '{"nodes":10,"pods":300,"services":100}'
 *   node --expose-gc dist/bench/suite/child.js floor '{"walk":"same-node","packets":100000,"variant":"every-event"}'
 * prints one JSON line (an `error` field when the case failed).
 */
import { performance } from 'node:perf_hooks';
import { measureFloor, type FloorCase } from '../floor.js';
import { runClusterMax, runScale, type ScaleCase } from '../scale.js';
import { runWalk, type WalkCase } from '../walk.js';
import { load1, peakRssBytes } from './machine.js';

const [kind, json = '{}', flag] = process.argv.slice(2);
const spec = JSON.parse(json) as Record<string, unknown>;
const gc = (globalThis as { gc?: () => void }).gc;
const clock = (): number => performance.now();
const loadavg1AtStart = load1();
try {
  const r =
    kind === 'walk'
      ? runWalk(spec as unknown as WalkCase, flag === 'on', clock)
      : kind === 'floor'
        ? measureFloor(spec as unknown as FloorCase, clock, gc)
        : kind === 'max'
          ? runClusterMax(spec as unknown as ScaleCase, clock, gc)
          : runScale(spec as unknown as ScaleCase, clock, gc);
  console.log(JSON.stringify({ ...r, loadavg1AtStart, peakRssBytes: peakRssBytes() }));
} catch (e) {
  console.log(JSON.stringify({ ...spec, loadavg1AtStart, error: String((e as Error).message ?? e).split('\n')[0] }));
}
