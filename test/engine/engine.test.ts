import { describe, expect, it } from 'vitest';
import { Link, Rng, Scheduler } from '../../src/engine/index.js';

describe('Scheduler', () => {
  it('runs events in (time, sequence) order', () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.at(20, () => seen.push('c'));
    s.at(10, () => seen.push('a'));
    s.at(10, () => seen.push('b'));
    s.at(0, () => s.after(10, () => seen.push('d')));
    expect(s.run()).toEqual({ kind: 'idle', events: 5 });
    expect(seen).toEqual(['a', 'b', 'd', 'c']);
    expect(s.now).toBe(20);
  });

  it('runs events scheduled later with reserved sequence numbers where they would have run scheduled up front', () => {
    // A train of sends at 0, 10, 20, each scheduling the next as it runs, interleaved with events scheduled
    // after the reservation at the same instants: the train's sends come first at each instant, as they would have.
    const s = new Scheduler();
    const seen: string[] = [];
    const first = s.reserve(3);
    const send = (k: number, _: undefined): void => {
      seen.push(`send${k}`);
      if (k < 2) s.callAtReserved((k + 1) * 10, first + k + 1, send, k + 1, undefined);
    };
    for (const t of [0, 10, 20]) s.at(t, () => seen.push(`other${t}`));
    s.callAtReserved(0, first, send, 0, undefined);
    s.run();
    expect(seen).toEqual(['send0', 'other0', 'send1', 'other10', 'send2', 'other20']);
  });

  it('stops at the event budget instead of looping forever', () => {
    const s = new Scheduler();
    const loop = (): void => s.after(1, loop);
    s.at(0, loop);
    const r = s.run({ budget: 1000 });
    expect(r.kind).toBe('budget');
    expect(r.events).toBe(1000);
  });

  it('refuses the past and non-integer times', () => {
    const s = new Scheduler();
    s.at(5, () => {});
    s.run();
    expect(() => s.at(4, () => {})).toThrow(RangeError);
    expect(() => s.after(0.5, () => {})).toThrow(RangeError);
  });

  it('orders 10k random events like a sort', () => {
    const s = new Scheduler();
    const rng = new Rng(7);
    const got: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const t = rng.int(0, 1000);
      s.at(t, () => got.push(t));
    }
    s.run();
    expect(got).toEqual([...got].sort((a, b) => a - b));
  });
  it('runs events scheduled while others run in (time, sequence) order, reusing freed slots', () => {
    // Events that schedule more as they run (ties at the same instant, zero delays, reserved sequence numbers),
    // against a sort of every event by (time, sequence): the heap moves keys, the slots hold the handlers.
    const s = new Scheduler();
    const rng = new Rng(11);
    const ran: [number, number][] = [];
    const scheduled: [number, number][] = [];
    let next = 0;
    const hit = (id: number, t: number): void => {
      ran.push([t, id]);
      for (let k = rng.int(0, 2); k > 0 && next < 5000; k--) {
        const at = s.now + rng.int(0, 3) * rng.int(0, 50);
        const id2 = next++;
        scheduled.push([at, id2]);
        s.callAt(at, hit, id2, at);
      }
    };
    for (let i = 0; i < 50; i++) {
      const id = next++;
      scheduled.push([i % 7, id]);
      s.callAt(i % 7, hit, id, i % 7);
    }
    expect(s.run().kind).toBe('idle');
    expect(s.pending).toBe(0);
    // Ids grow with the sequence number: sorting by (time, id) is the order they must have run in.
    expect(ran).toEqual([...scheduled].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
    expect(ran.length).toBeGreaterThan(1000);
  });

  it('grows past its initial capacity and starts afresh after clear', () => {
    const s = new Scheduler();
    const got: number[] = [];
    for (let i = 0; i < 3000; i++) s.call(3000 - i, (x: number) => got.push(x), i, undefined);
    s.run({ untilNs: 1500 });
    expect(got).toEqual(Array.from({ length: 1500 }, (_, k) => 2999 - k));
    s.clear();
    expect(s.pending).toBe(0);
    s.call(1, (x: number) => got.push(x), -1, undefined);
    s.call(0, (x: number) => got.push(x), -2, undefined);
    s.run();
    expect(got.slice(-2)).toEqual([-2, -1]);
  });
});

/** Rng(42)'s draws in the order the test makes them (the generator as first written: xoshiro128**, seeded by splitmix32). */
const KNOWN_DRAWS_SEED_42 = [2837322924, 544945897, 7320, 3500138142, 79105650, 1415762808, 113173290];

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(1);
    const b = new Rng(1);
    const c = new Rng(2);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(xs);
  });

  it('forks independent streams by label', () => {
    expect(new Rng(1).fork('x').nextU32()).toBe(new Rng(1).fork('x').nextU32());
    expect(new Rng(1).fork('x').nextU32()).not.toBe(new Rng(1).fork('y').nextU32());
  });

  it('forks the same stream before and after draws from the parent (a stream depends on what it is for, not on when it was taken)', () => {
    const fresh = new Rng(7).fork('netfilter');
    const used = new Rng(7);
    for (let i = 0; i < 13; i++) used.nextU32();
    const late = used.fork('netfilter');
    expect(Array.from({ length: 4 }, () => late.nextU32())).toEqual(Array.from({ length: 4 }, () => fresh.nextU32()));
    // nested forks too: the chain of labels, not the parent's position
    const a = new Rng(7).fork('netns:node1');
    const b = new Rng(7).fork('netns:node1');
    b.nextU32();
    expect(b.fork('netfilter').nextU32()).toBe(a.fork('netfilter').nextU32());
  });

  it('keeps int() within bounds', () => {
    const r = new Rng(3);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(32768, 60999);
      expect(v).toBeGreaterThanOrEqual(32768);
      expect(v).toBeLessThanOrEqual(60999);
    }
  });

  it('draws the xoshiro128** numbers (published first outputs; every run, trace and golden depends on them)', () => {
    // Known values of this seed, mixed draws: a change of the generator shows here before any golden.
    const r = new Rng(42);
    const got = [r.nextU32(), r.nextU32(), r.int(0, 0xffff), r.int(1, 0xffffffff), Math.floor(r.next() * 1e9), r.fork('x').nextU32(), r.nextU32()];
    expect(got).toEqual(KNOWN_DRAWS_SEED_42);
  });
});

describe('Link', () => {
  it('adds serialization and propagation delay, queueing frames FIFO', () => {
    const s = new Scheduler();
    const link = new Link(s, { latencyNs: 50_000, bandwidthBps: 10e9 });
    const arrivals: number[] = [];
    // 1250 bytes at 10 Gbit/s = 1000 ns on the wire.
    link.send(1250, () => arrivals.push(s.now));
    link.send(1250, () => arrivals.push(s.now));
    s.run();
    expect(arrivals).toEqual([51_000, 52_000]);
  });
});
