import { describe, expect, it } from 'vitest';
import { FlowStream, type FlowSink } from '../../src/scenario/run/flow-stream.js';
import type { TraceEvent } from '../../src/trace/events.js';

/** A sink that writes down what it is told, in order. */
function recorder(): FlowSink & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    request: (flow, pkt) => log.push(`request ${flow} ${pkt}`),
    event: (e: TraceEvent) => log.push(`event ${e.kind} ${e.pkt}`),
    create: (_t, pkt, _at, flow, cause) => log.push(`create ${pkt} ${flow ?? '-'} ${cause ?? '-'}`),
    frame: (kind, _t, pkt) => log.push(`${kind} ${pkt}`),
  };
}

const bytes = new Uint8Array(20);

describe('FlowStream', () => {
  // What the kernel does in a send: the request's create, a hop, a packet it causes, another hop.
  const kernel = (s: FlowStream): number => {
    s.create(0, 7, 'a', 'f', undefined, 'app', bytes, 0, 20, false);
    s.frame('tx', 0, 7, 'a:eth0', bytes, 0, 20, false);
    s.create(0, 8, 'a:eth0', 'f', 7, 'arp', bytes, 0, 20, false);
    s.frame('tx', 0, 8, 'a:eth0', bytes, 0, 20, false);
    return 7;
  };
  const expected = ['request f 7', 'create 7 f -', 'tx 7', 'create 8 f 7', 'tx 8'];

  it('names a request before its events, whether they are held or handed on as they come', () => {
    for (const firstIsRequest of [false, true]) {
      const s = new FlowStream();
      const r = recorder();
      s.attach(r);
      expect(s.send('f', kernel, s, undefined, firstIsRequest)).toBe(7);
      expect(r.log).toEqual(expected);
    }
  });

  it('tells a request its create named at once, before the events that follow it in its send', () => {
    const s = new FlowStream();
    const r = recorder();
    s.attach(r);
    s.send('f', (st: FlowStream) => {
      st.create(0, 7, 'a', 'f', undefined, 'app', bytes, 0, 20, false);
      // Handed on as it comes: the sink has read the request and its create already.
      expect(r.log).toEqual(['request f 7', 'create 7 f -']);
      return 7;
    }, s, undefined, true);
  });

  it('holds a nested send until the outer one is named, and when the first event is not the request', () => {
    const s = new FlowStream();
    const r = recorder();
    s.attach(r);
    s.send('outer', (st: FlowStream) => {
      st.create(0, 1, 'a', 'outer', undefined, 'app', bytes, 0, 20, false);
      expect(st.send('f', kernel, st, undefined, true)).toBe(7);
      // Named, but its events wait behind the outer send's.
      expect(r.log).toEqual(['request f 7']);
      return 1;
    }, s, undefined, false);
    expect(r.log).toEqual(['request f 7', 'request outer 1', 'create 1 outer -', ...expected.slice(1)]);
    const r2 = recorder();
    const s2 = new FlowStream();
    s2.attach(r2);
    s2.send('f', (st: FlowStream) => {
      st.frame('tx', 0, 6, 'a:eth0', bytes, 0, 20, false);
      return kernel(st);
    }, s2, undefined, true);
    expect(r2.log).toEqual(['request f 7', 'tx 6', 'create 7 f -', 'tx 7', 'create 8 f 7', 'tx 8']);
  });
});
