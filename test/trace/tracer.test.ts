import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWalk } from '../../src/bench/walk.js';
import { formatProblem, loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { copyOf, deliverEvent, fdbEvent } from '../../src/trace/event-store.js';
import type { CreateEvent, DeliverEvent, FdbEvent, TraceEvent } from '../../src/trace/events.js';
import { bytesIn, CreateFrameEvent, FrameEvent } from '../../src/trace/framed.js';
import type { TraceSink } from '../../src/trace/tracer.js';

/** A sink told frames, replayed segments, creates and deliveries by their parts, making the events back itself. */
class PartsSink implements TraceSink {
  readonly seen: TraceEvent[] = [];
  frames = 0;
  segments = 0;
  creates = 0;
  delivers = 0;
  fdbs = 0;
  event(e: TraceEvent): void {
    this.seen.push(e);
  }
  frame(kind: 'tx' | 'rx', t: number, pkt: number, at: string, mem: Uint8Array, off: number, len: number, l3only: boolean): void {
    this.frames++;
    this.seen.push(new FrameEvent(kind, t, pkt, at, bytesIn(mem, off, len), l3only));
  }
  copies(segment: readonly TraceEvent[], t: number, pkt: number): void {
    this.segments++;
    for (const x of segment) this.seen.push(copyOf(x, t, pkt));
  }
  create(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], mem: Uint8Array, off: number, len: number, l3only: boolean): void {
    this.creates++;
    this.seen.push(new CreateFrameEvent(t, pkt, at, flow, cause, by, bytesIn(mem, off, len), l3only));
  }
  deliver(t: number, pkt: number, at: string, to: DeliverEvent['to'], socket: string | undefined, src: string | undefined, sport: number | undefined): void {
    this.delivers++;
    this.seen.push(deliverEvent(t, pkt, at, to, socket, src, sport));
  }
  fdb(t: number, pkt: number, at: string, action: FdbEvent['action'], mac: string, port: string | undefined): void {
    this.fdbs++;
    this.seen.push(fdbEvent(t, pkt, at, action, mac, port));
  }
}

const json = (events: readonly TraceEvent[]): string[] => events.map((e) => JSON.stringify(e));

describe('Tracer', () => {
  it('tells a sink with frame(), copies(), create(), deliver() and fdb() the same events, in the same order, as one reading objects', () => {
    for (const walk of ['same-node', 'cross-node'] as const) {
      // With a sink that reads objects, creates are objects for every sink (it may read their frames).
      const parts = new PartsSink();
      const objects: string[] = [];
      const r = simulate(loadWalk({ walk, packets: 30, connected: true }), {
        onBuilt: (c) => c.world.tracer.attach(parts),
        onEvent: (e) => objects.push(JSON.stringify(e)),
      });
      expect(parts.frames).toBeGreaterThan(0);
      expect(parts.segments).toBeGreaterThan(0);
      expect(parts.delivers).toBeGreaterThan(0);
      if (walk === 'cross-node') expect(parts.fdbs).toBeGreaterThan(30);
      expect(json(parts.seen)).toEqual(objects);
      expect(json(r.events)).toEqual(objects);
      // Without one, every sink is told creates by their parts too.
      const alone = new PartsSink();
      const r2 = simulate(loadWalk({ walk, packets: 30, connected: true }), { onBuilt: (c) => c.world.tracer.attach(alone) });
      expect(alone.creates).toBeGreaterThan(30);
      expect(json(alone.seen)).toEqual(objects);
      expect(json(r2.events)).toEqual(objects);
      expect(r2.flows).toEqual(r.flows);
    }
  });

  // The run's own sinks (flow-life, flow-stream, the summariser) take creates and deliveries by their parts
  // unless some sink reads objects: the flows are the same either way, tracing on or off.
  const dir = join(import.meta.dirname, '..', '..', 'scenarios');
  const files = ['ingress-host-fanout.yaml', 'dns-lookup.yaml', 'service-replies.yaml', 'bridge-flood-br-netfilter.yaml', 'service-fragmented-udp.yaml', 'cross-node-vxlan.yaml', 'gallery/conntrack-dns-race.yaml'];
  for (const file of files)
    it(`${file}: the same flows whether outcome events reach the run's sinks as objects or by their parts`, () => {
      const s = loadScenarioFile(join(dir, file));
      if (!s.ok) throw new Error(s.problems.map(formatProblem).join('\n'));
      for (const detailed of [true, false]) {
        const byParts = simulate(s.scenario, { detailed });
        let read = 0;
        const asObjects = simulate(s.scenario, { detailed, onEvent: () => read++ });
        expect(read).toBeGreaterThan(0);
        expect(byParts.flows).toEqual(asObjects.flows);
        expect(json(byParts.events)).toEqual(json(asObjects.events));
      }
    });
});
