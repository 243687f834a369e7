// The flow table replays nftables walks (src/kernel/fastpath/flowtable.ts) only while what they read is the committed
// ruleset: a walk that drew a numgen, wrote a set from the packet path or looked into a set whose elements time out
// is walked again every time. A table loaded on node1 under one connected UDP flow (pod a -> pod c, across nodes, in
// nftables mode) drops by such rules; with the fast path on and off, traced and not, the trace, the flows, the
// ruleset as nft lists it (set elements with their expiry) and the conntrack entries must be the same.
import { afterAll, describe, expect, it } from 'vitest';
import { walkScenarioText } from '../../src/bench/walk.js';
import type { Cluster } from '../../src/cluster/build.js';
import { showConntrack, showNft } from '../../src/kernel/show.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const saved = process.env.PODWALK_FAST_PATH;
afterAll(() => {
  if (saved === undefined) delete process.env.PODWALK_FAST_PATH;
  else process.env.PODWALK_FAST_PATH = saved;
});

/** Each rule set is loaded at 100.5 ms, inside the burst (100 ms on, one datagram every 20 us). */
const TABLES: Record<string, string> = {
  'numgen inc': `add table ip t
add chain ip t fwd { type filter hook forward priority 10 ; }
add rule ip t fwd udp dport 53 numgen inc mod 3 vmap { 0 : drop, 1 : accept, 2 : accept }
`,
  'numgen random': `add table ip t
add chain ip t fwd { type filter hook forward priority 10 ; }
add rule ip t fwd udp dport 53 numgen random mod 4 vmap { 0 : drop, 1 : accept, 2 : accept, 3 : accept }
`,
  'a set the packet path writes, its elements timing out': `add table ip t
add set ip t seen { type ipv4_addr . inet_service ; flags dynamic,timeout ; timeout 1ms ; }
add chain ip t fwd { type filter hook forward priority 10 ; }
add rule ip t fwd ip saddr . udp sport @seen drop
add rule ip t fwd add @seen { ip saddr . udp sport }
`,
  'a constant set, its one element timing out': `add table ip t
add set ip t gone { type inet_service ; }
add element ip t gone { 53 timeout 2ms }
add chain ip t fwd { type filter hook forward priority 10 ; }
add rule ip t fwd udp dport @gone drop
`,
  'a plain ruleset (replayed)': `add table ip t
add set ip t ports { type inet_service ; elements = { 53, 80 } ; }
add chain ip t fwd { type filter hook forward priority 10 ; }
add rule ip t fwd udp dport != @ports drop
add rule ip t fwd ct state established counter accept
`,
};

function run(table: string, fast: 'on' | 'off', detailed: boolean): { text: string; replays: number; dropped: number } {
  process.env.PODWALK_FAST_PATH = fast;
  const walk = walkScenarioText({ walk: 'cross-node', packets: 400, intervalNs: 20_000, connected: true }).replace('cluster: {', 'cluster: {proxyMode: nftables, ');
  const r = loadScenarioText(walk, 'w.yaml');
  if (!r.ok) throw new Error('walk does not load');
  let cluster: Cluster | undefined;
  const result = simulate(r.scenario, {
    detailed,
    onBuilt: (c) => {
      cluster = c;
      c.sched.at(100_500_000, () => c.nodes.get('node1')!.nf!.nft!.load(table, c.sched.now));
    },
  });
  const c = cluster!;
  const state = [...c.netns.values()].map((ns) => [ns.name, ns.nf?.nft ? showNft(ns) : '', ns.nf ? showConntrack(ns) : ''].join('\n'));
  const out = [...result.events.map((e) => JSON.stringify(e)), ...result.flows.map((f) => JSON.stringify(f)), ...state].join('\n');
  return { text: out, replays: c.world.fast.replays, dropped: result.flows.filter((f) => f.verdict !== 'delivered').length };
}

function firstDifference(a: string, b: string): { line: number; on: string | undefined; off: string | undefined } | undefined {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((l, k) => l !== y[k]);
  return i === -1 && x.length === y.length ? undefined : { line: i + 1, on: x[i], off: y[i] };
}

describe('nftables walks are replayed only while they read the committed ruleset alone', () => {
  for (const [name, table] of Object.entries(TABLES)) {
    for (const detailed of [false, true]) {
      it(`${name}, tracing ${detailed ? 'on' : 'off'}`, () => {
        const on = run(table, 'on', detailed);
        const off = run(table, 'off', detailed);
        expect(firstDifference(on.text, off.text)).toBeUndefined();
        expect(off.replays).toBe(0);
        // A datagram crosses pod a, node1's bridge (up to be routed), node1, node2 and pod c (node2's bridge sends
        // what node2 routed: no crossing of its own): five crossings, node1's (where the table hooks) replayed only
        // while the walk is plain.
        if (name.includes('plain')) expect(on.replays).toBeGreaterThan(5 * 390);
        else {
          expect(on.dropped).toBeGreaterThan(0);
          expect(on.replays).toBeLessThanOrEqual(4 * 400);
        }
      });
    }
  }
});
