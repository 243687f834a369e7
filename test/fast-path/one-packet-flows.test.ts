// The flow table records a key the second time it comes: a pod has no conntrack to tell a connection's first
// packet from the next, and on a node br_netfilter has made the connection before the routed walk starts. A new
// socket per datagram (a new source port each time) then records nothing, where recording every walk cost more
// than it ever saved (counted, not timed); one connected socket still has its walks recorded and replayed.
import { describe, expect, it } from 'vitest';
import { walkScenarioText } from '../../src/bench/walk.js';
import type { Cluster } from '../../src/cluster/build.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

function tables(connected: boolean): { a: number; b: number; node1: number; delivered: number } {
  const r = loadScenarioText(walkScenarioText({ walk: 'same-node', packets: 40, intervalNs: 20_000, connected }), 'one-packet-flows.yaml');
  if (!r.ok) throw new Error('the walk does not load');
  let cluster: Cluster | undefined;
  const out = simulate(r.scenario, { detailed: false, onBuilt: (c) => (cluster = c) });
  const pod = (name: string): number => cluster!.pods.get(`default/${name}`)!.stack.flows().entries;
  return { a: pod('a'), b: pod('b'), node1: cluster!.nodes.get('node1')!.stack.flows().entries, delivered: out.flows.filter((f) => f.verdict === 'delivered').length };
}

describe('the flow table', () => {
  it('records nothing for flows of one packet each (a new socket per datagram)', () => {
    expect(tables(false)).toEqual({ a: 0, b: 0, node1: 0, delivered: 41 });
  });

  it('still records the walks of a connected socket', () => {
    const t = tables(true);
    expect(t.delivered).toBe(41);
    expect(t.a).toBeGreaterThan(0);
    expect(t.b).toBeGreaterThan(0);
    expect(t.node1).toBeGreaterThan(0);
  });
});
