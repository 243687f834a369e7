import { describe, expect, it } from 'vitest';
import { loadWalk, type WalkName } from '../../src/bench/walk.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { EventStore, type TrainTrace } from '../../src/trace/event-store.js';
import type { CreateEvent, DeliverEvent, TraceEvent } from '../../src/trace/events.js';
import { bytesOf, CreateFrameEvent, isL3only } from '../../src/trace/framed.js';
import { Tracer } from '../../src/trace/tracer.js';
import { UdpTemplate } from '../../src/wire/udp-template.js';

/** A connected socket's walk with tracing off: its kept trace (frames not yet read) and, from a twin run, its JSON. */
function walked(walk: WalkName, packets: number): { events: TraceEvent[]; json: string[] } {
  const run = () => simulate(loadWalk({ walk, packets, connected: true }), { detailed: false });
  return { events: run().events, json: run().events.map((e) => JSON.stringify(e)) };
}

const u16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;

/** The socket's template, read back from a datagram's bytes (IPv4 + UDP, zero payload). */
function templateOf(b: Uint8Array): UdpTemplate {
  return new UdpTemplate(u32(b, 12), u32(b, 16), u16(b, 20), u16(b, 22), b[8]!, (b[6]! & 0x40) !== 0, u16(b, 2) - 28);
}

/**
 * The walked trace with datagrams k0 .. k0+count-1 of item `f` (and the deliveries interleaved with their creates)
 * kept as one train record instead: what the replay would keep.
 */
function compacted(events: TraceEvent[], k0: number, count: number): { store: EventStore; train: TrainTrace } {
  const isCreate = (e: TraceEvent, k: number): e is CreateEvent => e.kind === 'create' && e.flow === `f#${k + 1}`;
  const first = events.findIndex((e) => isCreate(e, k0));
  const c0 = events[first] as CreateEvent;
  const c1 = events.find((e) => isCreate(e, k0 + 1))!;
  const d0 = events[first + 1] as DeliverEvent;
  expect(d0.kind).toBe('deliver');
  const lag = c0.pkt - d0.pkt;
  const laggingCreate = events.find((e) => e.kind === 'create' && e.pkt === d0.pkt)!;
  const ids = new Uint16Array(count);
  for (let j = 0; j < count; j++) ids[j] = u16(bytesOf(events.find((e) => isCreate(e, k0 + j)) as CreateFrameEvent)!, 4);
  const traffic = { atNs: 100_000_000, intervalNs: 5000 };
  const train: TrainTrace = {
    count,
    atNs: traffic.atNs,
    intervalNs: traffic.intervalNs,
    k0,
    pkt0: c0.pkt,
    pktStep: c1.pkt - c0.pkt,
    createdAt: c0.at,
    flowPrefix: 'f#',
    by: c0.by,
    l3only: isL3only(c0 as CreateFrameEvent),
    frame: templateOf(bytesOf(c0 as CreateFrameEvent)!),
    ids,
    at: d0.at,
    to: d0.to,
    socket: d0.socket,
    src: d0.src,
    sport: d0.sport,
    delays: [d0.t - laggingCreate.t],
    lag,
    deliverFirst: false,
  };
  expect(c0.t).toBe(traffic.atNs + k0 * traffic.intervalNs);
  const store = new EventStore();
  for (let i = 0; i < first; i++) store.add(events[i]!);
  store.addTrain(train);
  for (let i = first + 2 * count; i < events.length; i++) store.add(events[i]!);
  return { store, train };
}

describe('a train kept as one record (EventStore.addTrain)', () => {
  for (const walk of ['same-node', 'cross-node', 'cross-node-vxlan'] as const) {
    it(`reads back byte-identical to the walked trace: ${walk}`, () => {
      const { events, json } = walked(walk, 80);
      const { store, train } = compacted(events, 30, 40);
      if (walk === 'same-node') expect(train.lag).toBe(0);
      else expect(train.lag).toBeGreaterThan(5);
      const read = store.all();
      expect(read.length).toBe(json.length);
      expect(read.map((e) => JSON.stringify(e))).toEqual(json);
      // Events read are kept: the same objects at the next read.
      expect(store.all()).toBe(read);
      expect(store.all()[json.length - 1]).toBe(read[json.length - 1]);
      const create = read.find((e) => e.kind === 'create' && e.flow === 'f#40')!;
      expect(create).toBeInstanceOf(CreateFrameEvent);
      // (its frame read by JSON.stringify above: last among its keys, as a walked one's)
      expect(Object.keys(create)).toEqual(['kind', 't', 'pkt', 'at', 'flow', 'by', 'frame']);
    });
  }

  it('grows at the next read with records kept after a read', () => {
    const { events, json } = walked('same-node', 60);
    const first = events.findIndex((e) => e.kind === 'create' && e.flow === 'f#21');
    const { train } = compacted(events, 20, 10);
    const store = new EventStore();
    for (let i = 0; i < first; i++) store.add(events[i]!);
    const before = store.all();
    expect(before.length).toBe(first);
    store.addTrain(train);
    store.add(events[first + 20]!);
    const after = store.all();
    expect(after).toBe(before);
    expect(after.map((e) => JSON.stringify(e))).toEqual(json.slice(0, first + 21));
  });

  it('orders a tie the other way when told (deliverFirst), and the lagging deliveries before the first create', () => {
    const { events } = walked('same-node', 40);
    const { train } = compacted(events, 10, 3);
    const store = new EventStore();
    store.addTrain({ ...train, lag: 1, deliverFirst: true });
    const read = store.all();
    expect(read.map((e) => `${e.kind}:${e.pkt}`)).toEqual([`deliver:${train.pkt0 - 1}`, `create:${train.pkt0}`, `deliver:${train.pkt0}`, `create:${train.pkt0 + 1}`, `deliver:${train.pkt0 + 1}`, `create:${train.pkt0 + 2}`]);
    expect(read[0]!.t).toBe(train.atNs + (train.k0 - 1) * train.intervalNs + train.delays[0]!);
  });

  it('adds the delays in turn (floating point: not one latency)', () => {
    const { events } = walked('same-node', 20);
    const { train } = compacted(events, 5, 1);
    const store = new EventStore();
    store.addTrain({ ...train, atNs: 0.1, intervalNs: 0.2, k0: 0, delays: [0.2, 0.3] });
    const d = store.all().find((e) => e.kind === 'deliver')!;
    expect(d.t).toBe(0.1 + 0.2 + 0.3);
    expect(d.t).not.toBe(0.1 + (0.2 + 0.3));
  });

  it('wants an IPv4 id per datagram; a tracer not keeping its trace keeps no train; it counts its sinks', () => {
    const { events } = walked('same-node', 20);
    const { train } = compacted(events, 5, 2);
    expect(() => new EventStore().addTrain({ ...train, count: 3 })).toThrow(/needs as many IPv4 ids/);
    const tracer = new Tracer(false);
    expect(tracer.keepTrain(train)).toBe(true);
    expect(tracer.events.length).toBe(4);
    expect(tracer.sinkCount).toBe(0);
    tracer.attach({ event: () => {} });
    expect(tracer.sinkCount).toBe(1);
    tracer.release();
    expect(tracer.keepTrain(train)).toBe(false);
  });
});
