// A namespace without netfilter (a pod here) has no conntrack to tell a connection's first packet from the next:
// the flow table records a key the second time it comes. A new socket per datagram (a new source port each time)
// then records nothing, where recording every walk cost more than it ever saved (counted, not timed); one
// connected socket still has its walks recorded and replayed.
import { describe, expect, it } from 'vitest';
import { walkScenarioText } from '../../src/bench/walk.js';
import type { Cluster } from '../../src/cluster/build.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

function podTables(connected: boolean): { a: number; b: number; delivered: number } {
  const r = loadScenarioText(walkScenarioText({ walk: 'same-node', packets: 40, intervalNs: 20_000, connected }), 'one-packet-flows.yaml');
  if (!r.ok) throw new Error('the walk does not load');
  let cluster: Cluster | undefined;
  const out = simulate(r.scenario, { detailed: false, onBuilt: (c) => (cluster = c) });
  const pod = (name: string): number => cluster!.pods.get(`default/${name}`)!.stack.flows().entries;
  return { a: pod('a'), b: pod('b'), delivered: out.flows.filter((f) => f.verdict === 'delivered').length };
}

describe('the flow table in a namespace without netfilter', () => {
  it('records nothing for flows of one packet each (a new socket per datagram)', () => {
    expect(podTables(false)).toEqual({ a: 0, b: 0, delivered: 41 });
  });

  it('still records the walks of a connected socket', () => {
    const t = podTables(true);
    expect(t.delivered).toBe(41);
    expect(t.a).toBeGreaterThan(0);
    expect(t.b).toBeGreaterThan(0);
  });
});
