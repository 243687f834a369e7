import { describe, expect, it } from 'vitest';
import { loadWalk } from '../../src/bench/walk.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { copyOf, deliverEvent, EventStore } from '../../src/trace/event-store.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { CreateFrameEvent, FrameEvent, settled } from '../../src/trace/framed.js';
import { describeFrame, describeIpv4 } from '../../src/wire/describe.js';
import { encodeEthernet } from '../../src/wire/ethernet.js';
import { encodeIpv4, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { parseIpv4 } from '../../src/wire/addr.js';
import { encodeUdp } from '../../src/wire/udp.js';

const src = parseIpv4('10.244.1.2')!;
const dst = parseIpv4('10.244.2.2')!;
const packet = encodeIpv4({ tos: 0, id: 7, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src, dst, payload: encodeUdp({ srcPort: 40000, dstPort: 53, payload: new Uint8Array(8) }, src, dst) });
const frame = encodeEthernet({ dst: '0a:00:00:00:00:02', src: '0a:00:00:00:00:01', etherType: 0x0800, payload: packet });

describe('framed events', () => {
  it('print the same JSON as the object literals they replace, read or not', () => {
    const literal = { kind: 'tx', t: 5, pkt: 3, at: 'node1:eth0', frame: describeFrame(frame) };
    expect(JSON.stringify(new FrameEvent('tx', 5, 3, 'node1:eth0', frame, false))).toBe(JSON.stringify(literal));
    const read = new FrameEvent('tx', 5, 3, 'node1:eth0', frame, false);
    expect(read.frame.info).toBe(literal.frame.info);
    expect(JSON.stringify(read)).toBe(JSON.stringify(literal));
    // Once read, the own keys are the literal's, in its order: a spread or toEqual sees the same object.
    expect(Object.keys(read)).toEqual(Object.keys(literal));
    expect({ ...read }).toEqual(literal);
    const create = { kind: 'create', t: 1, pkt: 2, at: 'default/a', flow: 'f#1', by: 'app', frame: describeIpv4(packet) };
    expect(JSON.stringify(new CreateFrameEvent(1, 2, 'default/a', 'f#1', undefined, 'app', packet, true))).toBe(JSON.stringify(create));
    expect(Object.keys(settled(new CreateFrameEvent(1, 2, 'default/a', 'f#1', 9, 'app', packet, true)))).toEqual(['kind', 't', 'pkt', 'at', 'flow', 'cause', 'by', 'frame']);
  });

  it('keep the bytes out of JSON, spread and keys; a spread copy of a settled event has its frame', () => {
    const e = new FrameEvent('rx', 0, 1, 'h:eth0', frame, false);
    expect(Object.keys(e)).toEqual(['kind', 't', 'pkt', 'at']);
    expect('frame' in e).toBe(true);
    expect(({ ...settled(e) } as { frame?: unknown }).frame).toEqual(describeFrame(frame));
  });
});

describe('EventStore', () => {
  it('gives back what it was given, in order, the same objects at every read', () => {
    const store = new EventStore();
    const template: TraceEvent = { kind: 'forward', t: 0, pkt: 0, at: 'node1', ttl: 63 };
    const given: TraceEvent[] = [];
    const add = (e: TraceEvent): void => {
      store.add(e);
      given.push(e);
    };
    add({ kind: 'route', t: 1, pkt: 1, at: 'a', dst: '10.0.0.1', route: 'default via 10.0.0.254 dev eth0', decision: 'output' });
    add(new FrameEvent('tx', 2, 1, 'a:eth0', frame, false));
    store.addCopies([template, template], 3, 1);
    given.push({ ...template, t: 3, pkt: 1 }, { ...template, t: 3, pkt: 1 });
    add(new FrameEvent('rx', 4, 1, 'b:tun0', packet, true));
    const first = store.all();
    expect(first.map((e) => JSON.stringify(e))).toEqual(given.map((e) => JSON.stringify(e)));
    add({ kind: 'deliver', t: 5, pkt: 1, at: 'b:tun0', to: 'udp' });
    const second = store.all();
    expect(second).toBe(first);
    expect(second.map((e) => JSON.stringify(e))).toEqual(given.map((e) => JSON.stringify(e)));
  });

  it('keeps creates, frames, delivers and fdb events as their parts and reads them back equal, key order included', () => {
    const store = new EventStore();
    const given: TraceEvent[] = [];
    const create = (t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: 'app' | 'bridge' | 'server', bytes: Uint8Array, l3only: boolean): void => {
      store.addCreate(t, pkt, at, flow, cause, by, bytes, l3only);
      given.push(new CreateFrameEvent(t, pkt, at, flow, cause, by, bytes, l3only));
    };
    const deliver = (...a: Parameters<typeof deliverEvent>): void => {
      store.addDeliver(...a);
      given.push(deliverEvent(...a));
    };
    // Bytes from two buffers, one of them at an offset, so that the store's buffer table is exercised.
    const slab = new Uint8Array(frame.length + 40);
    slab.set(frame, 24);
    const inSlab = slab.subarray(24, 24 + frame.length);
    create(1, 1, 'default/a', 'f#1', undefined, 'app', packet, true);
    create(2, 2, 'node1:cbr0', undefined, 1, 'bridge', inSlab, false);
    create(3_000_000_000_123, 3, 'default/b', 'f#2', 0, 'server', packet, true);
    // By the memory the bytes lie in and their place there (as a packet's skb knows them): the same event.
    store.addCreateIn(4, 4, 'default/a', 'f#3', undefined, 'app', slab, 24, frame.length, false);
    given.push(new CreateFrameEvent(4, 4, 'default/a', 'f#3', undefined, 'app', inSlab, false));
    store.addCreateIn(5, 5, 'node1:cbr0', undefined, 4, 'bridge', new Uint8Array(packet.buffer), packet.byteOffset, packet.length, true);
    given.push(new CreateFrameEvent(5, 5, 'node1:cbr0', undefined, 4, 'bridge', packet, true));
    store.addFrame('tx', 4, 1, 'default/a:eth0', inSlab, false);
    given.push(new FrameEvent('tx', 4, 1, 'default/a:eth0', inSlab, false));
    store.addFrame('rx', 5, 1, 'node1:tun0', packet, true);
    given.push(new FrameEvent('rx', 5, 1, 'node1:tun0', packet, true));
    deliver(6, 1, 'default/b:eth0', 'udp', '10.244.1.3:53', '10.244.1.2', 50045);
    deliver(7, 2, 'default/b:eth0', 'arp', undefined, undefined, undefined);
    deliver(8, 3, 'default/a:eth0', 'icmp', 'ping', '10.244.1.3', undefined);
    deliver(9, 4, 'default/a:eth0', 'tcp', undefined, '10.0.0.1', 0);
    const fdb: TraceEvent[] = [
      { kind: 'fdb', t: 10, pkt: 1, at: 'node1:cbr0', action: 'forward', mac: '0a:00:00:00:00:02', port: 'veth1' },
      { kind: 'fdb', t: 11, pkt: 1, at: 'node1:cbr0', action: 'local', mac: '0a:00:00:00:00:02' },
      { kind: 'fdb', t: 12, pkt: 2, at: 'node1:cbr0', action: 'flood', mac: 'ff:ff:ff:ff:ff:ff', port: 'veth1,veth2' },
    ];
    for (const e of fdb) {
      store.add(e);
      given.push(e);
    }
    const back = store.all();
    expect(back.map((e) => JSON.stringify(e))).toEqual(given.map((e) => JSON.stringify(e)));
    expect(back.map((e) => Object.keys(settled(e)))).toEqual(given.map((e) => Object.keys(settled(e))));
  });

  it('reads back a long trace kept in several chunks, with reads in between', () => {
    const store = new EventStore();
    const template: TraceEvent = { kind: 'forward', t: 0, pkt: 0, at: 'node1', ttl: 63 };
    const given: string[] = [];
    const read: string[] = [];
    for (let p = 1; p <= 5_000; p++) {
      store.addCreate(p, p, 'default/a', `f#${p}`, undefined, 'app', packet, true);
      given.push(JSON.stringify(new CreateFrameEvent(p, p, 'default/a', `f#${p}`, undefined, 'app', packet, true)));
      store.addFrame('tx', p, p, 'default/a:eth0', frame, false);
      given.push(JSON.stringify(new FrameEvent('tx', p, p, 'default/a:eth0', frame, false)));
      store.addCopies([template], p + 1, p);
      given.push(JSON.stringify({ ...template, t: p + 1, pkt: p }));
      if (p % 1000 === 0) {
        const e: TraceEvent = { kind: 'drop', t: p + 2, pkt: p, at: 'node1', reason: 'no-route', detail: `${p}` };
        store.add(e);
        given.push(JSON.stringify(e));
      } else {
        store.addDeliver(p + 2, p, 'default/b:eth0', 'udp', '10.244.1.3:53', '10.244.1.2', p);
        given.push(JSON.stringify(deliverEvent(p + 2, p, 'default/b:eth0', 'udp', '10.244.1.3:53', '10.244.1.2', p)));
      }
      if (p === 3_000) read.push(...store.all().map((e) => JSON.stringify(e)));
    }
    read.push(...store.all().slice(read.length).map((e) => JSON.stringify(e)));
    expect(read.length).toBe(given.length);
    expect(read).toEqual(given);
  });

  it('copies a template as a spread would: its keys in order, its values, a new time and packet', () => {
    const templates: TraceEvent[] = [
      { kind: 'netfilter', t: 0, pkt: 0, at: 'node1', table: 'filter', chain: 'FORWARD', rules: ['-A FORWARD -j KUBE-FORWARD'], verdict: 'ACCEPT', policy: true, evaluated: 7 },
      { kind: 'route', t: 0, pkt: 0, at: 'node1', dst: '10.244.2.2', route: 'default via 10.0.0.1 dev eth0', decision: 'forward', nexthop: 'via 10.0.0.1 dev eth0', nexthops: 2 },
      { kind: 'route', t: 0, pkt: 0, at: 'node1', dst: '10.244.2.2', route: 'default via 10.0.0.1 dev eth0', decision: 'forward' },
    ];
    for (const x of templates) {
      for (const [t, pkt] of [[5, 9], [7, 10]] as const) {
        const copy = copyOf(x, t, pkt);
        expect(copy).not.toBe(x);
        expect(JSON.stringify(copy)).toBe(JSON.stringify({ ...x, t, pkt }));
      }
    }
    expect(x0()).toEqual({ kind: 'forward', t: 0, pkt: 0, at: 'a', ttl: 3 });
  });

  it('a traced walk reads back exactly what its sinks saw as it happened', () => {
    const seen: string[] = [];
    const r = simulate(loadWalk({ walk: 'cross-node', packets: 20, connected: true }), { onEvent: (e) => seen.push(JSON.stringify(e)) });
    expect(r.events.some((e) => e.kind === 'tx')).toBe(true);
    expect(r.events.map((e) => JSON.stringify(e))).toEqual(seen);
  });
});

/** A template copied twice keeps its own values (a copy is not the template). */
function x0(): TraceEvent {
  const x: TraceEvent = { kind: 'forward', t: 0, pkt: 0, at: 'a', ttl: 3 };
  copyOf(x, 1, 1).at = 'changed';
  return x;
}
