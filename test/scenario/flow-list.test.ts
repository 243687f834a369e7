import { describe, expect, it } from 'vitest';
import { loadWalk } from '../../src/bench/walk.js';
import { FlowList, repeatable } from '../../src/scenario/run/flow-list.js';
import type { FlowResult } from '../../src/scenario/run/flows.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const walkedFlows = (walk: 'same-node' | 'cross-node', packets: number): FlowResult[] => simulate(loadWalk({ walk, packets, connected: true }), { detailed: false }).flows;

describe('flow results with a train as one record (FlowList)', () => {
  for (const walk of ['same-node', 'cross-node'] as const) {
    it(`reads back byte-identical to the walked results: ${walk}`, () => {
      const flows = walkedFlows(walk, 1200);
      // flows[0] is the warm-up; item f's datagram k (0-based) is flows[k + 1].
      const k0 = 20;
      const count = 1100; // across the thousands of FlowNames' text
      const template = flows[k0 + 1]!;
      expect(repeatable(template)).toBe(true);
      const list = new FlowList();
      for (let i = 0; i <= k0; i++) list.push(flows[i]!);
      list.pushTrain(template, 'f#', k0, count, template.pkt!, flows[k0 + 2]!.pkt! - template.pkt!);
      for (let i = k0 + 1 + count; i < flows.length; i++) list.push(flows[i]!);
      expect(list.length).toBe(flows.length);
      const read = list.all();
      expect(read.map((r) => JSON.stringify(r))).toEqual(flows.map((r) => JSON.stringify(r)));
      for (const i of [k0 + 1, k0 + 2, k0 + count]) {
        expect(Object.keys(read[i]!)).toEqual(Object.keys(flows[i]!));
        // The lists and the traffic are the template's, as walked results share them.
        expect(read[i]!.path).toBe(flows[i]!.path);
        expect(read[i]!.traffic).toBe(flows[i]!.traffic);
      }
      expect(list.all()).toBe(read);
      expect(list.all()[k0 + 5]).toBe(read[k0 + 5]);
    });
  }

  it('keeps the order across reads: results pushed after a read are there at the next', () => {
    const flows = walkedFlows('same-node', 30);
    const list = new FlowList();
    list.push(flows[0]!);
    const read = list.all();
    expect(read).toEqual([flows[0]]);
    list.pushTrain(flows[1]!, 'f#', 0, 10, flows[1]!.pkt!, 1);
    list.push(flows[11]!);
    list.pushTrain(flows[12]!, 'f#', 11, 19, flows[12]!.pkt!, 1);
    expect(list.length).toBe(31);
    expect(list.all()).toBe(read);
    expect(read.map((r) => JSON.stringify(r))).toEqual(flows.map((r) => JSON.stringify(r)));
    list.pushTrain(flows[1]!, 'f#', 0, 0, 0, 1);
    expect(list.all().length).toBe(31);
  });

  it('takes as a template only a result nothing in which is its datagram\'s own but flow and packet', () => {
    const r = walkedFlows('same-node', 3)[1]!;
    expect(repeatable(r)).toBe(true);
    const natted = { ...r, nat: [{ kind: 'nat', t: 1, pkt: r.pkt!, at: 'x', type: 'dnat', from: 'a', to: 'b' }] } as unknown as FlowResult;
    expect(repeatable(natted)).toBe(false);
    expect(repeatable({ ...r, rttNs: 5 })).toBe(false);
    expect(repeatable({ ...r, pkt: undefined })).toBe(false);
    expect(() => new FlowList().pushTrain({ ...r, rttNs: 5 }, 'f#', 0, 2, 1, 1)).toThrow(/cannot stand for a train/);
  });
});
