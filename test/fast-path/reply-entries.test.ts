// A connection's answers are replayed like its requests. An entry recorded on the first packet of the reply
// direction must keep the connection's state as that walk left it (replied), not as the walk found it: else it never
// matches again and the next answer records a second entry beside it. The first answer's walk is recorded when its
// key came before: here a connected UDP flow with answers whose connection node1 flushes mid-flow (the flow goes on
// as a new connection with the same tuple). Counted, not timed: with the dead entry, node1 kept one more entry for the
// reply direction of each crossing. The differential test runs the same workload with the fast path on and off.
import { describe, expect, it } from 'vitest';
import type { WalkName } from '../../src/bench/walk.js';
import type { Cluster } from '../../src/cluster/build.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { answeredFlushedText } from './answered-flushed.js';

function run(walk: WalkName): { entries: Record<string, number>; answered: number } {
  const r = loadScenarioText(answeredFlushedText(walk, 400, '104ms'), 'reply-entries.yaml');
  if (!r.ok) throw new Error('the walk does not load');
  let cluster: Cluster | undefined;
  const out = simulate(r.scenario, { detailed: false, onBuilt: (c) => (cluster = c) });
  const nodes = [...cluster!.nodes].map(([name, ns]) => [name, ns.stack.flows().entries]);
  return { entries: Object.fromEntries(nodes), answered: out.flows.filter((f) => f.verdict === 'delivered' && f.replySource !== undefined).length };
}

describe('the flow table replays answers from the first one it recorded', () => {
  it('same node: the bridge crossing in each direction, before and after the flush', () => {
    const r = run('same-node');
    expect(r.answered).toBe(400);
    expect(r.entries).toEqual({ node1: 4, node2: 0 });
  });
  it('across nodes: node1 routes and bridges both directions, node2 has no flush', () => {
    const r = run('cross-node');
    expect(r.answered).toBe(400);
    expect(r.entries).toEqual({ node1: 8, node2: 3 });
  });
});
