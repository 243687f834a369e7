import { describe, expect, it } from 'vitest';
import { loadWalk } from '../../src/bench/walk.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { copyOf } from '../../src/trace/event-store.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { FrameEvent } from '../../src/trace/framed.js';
import type { TraceSink } from '../../src/trace/tracer.js';

/** A sink told frames and replayed segments by their parts, making the events back itself. */
class PartsSink implements TraceSink {
  readonly seen: TraceEvent[] = [];
  frames = 0;
  segments = 0;
  event(e: TraceEvent): void {
    this.seen.push(e);
  }
  frame(kind: 'tx' | 'rx', t: number, pkt: number, at: string, bytes: Uint8Array, l3only: boolean): void {
    this.frames++;
    this.seen.push(new FrameEvent(kind, t, pkt, at, bytes, l3only));
  }
  copies(segment: readonly TraceEvent[], t: number, pkt: number): void {
    this.segments++;
    for (const x of segment) this.seen.push(copyOf(x, t, pkt));
  }
}

describe('Tracer', () => {
  it('tells a sink with frame() and copies() the same events, in the same order, as one reading objects', () => {
    for (const walk of ['same-node', 'cross-node'] as const) {
      const parts = new PartsSink();
      const objects: string[] = [];
      const r = simulate(loadWalk({ walk, packets: 30, connected: true }), {
        onBuilt: (c) => c.world.tracer.attach(parts),
        onEvent: (e) => objects.push(JSON.stringify(e)),
      });
      expect(parts.frames).toBeGreaterThan(0);
      expect(parts.segments).toBeGreaterThan(0);
      expect(parts.seen.map((e) => JSON.stringify(e))).toEqual(objects);
      expect(r.events.map((e) => JSON.stringify(e))).toEqual(objects);
    }
  });
});
