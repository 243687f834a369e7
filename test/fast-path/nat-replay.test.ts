// The flow table replays an established connection's NAT (src/kernel/fastpath/flowtable.ts): the benchmark's pod → ClusterIP
// walk from one connected socket, answered, while the Service changes under it — rules resynced (another pod
// labelled into the Service, then out), the connection's conntrack entry deleted (conntrack -D), the whole table
// flushed, the endpoint's pod deleted (its stale UDP entries cleaned up, the next connection DNATed to the pod
// left), the Service deleted. With the fast path on and off, traced and untraced, the full trace (every hop event
// with its time), the flows and the exact kernel state (rule counters, conntrack entries with their expiry, FDB
// entries with their updated time, the CPU's busy-until, IPVS's connections and real servers' counts) must be the
// same, in each kube-proxy mode (iptables, nftables: the nft base chains' walks replayed as the iptables tables' are).
import { afterAll, describe, expect, it } from 'vitest';
import { walkScenarioText } from '../../src/bench/walk.js';
import type { Cluster } from '../../src/cluster/build.js';
import { Bridge } from '../../src/kernel/devices/bridge.js';
import { showIptables, showNft } from '../../src/kernel/show.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const saved = process.env.PODWALK_FAST_PATH;
afterAll(() => {
  if (saved === undefined) delete process.env.PODWALK_FAST_PATH;
  else process.env.PODWALK_FAST_PATH = saved;
});

/** The burst starts at 100 ms: 400 datagrams, one every 20 us (8 ms), each answered. */
function text(steps: boolean): string {
  const walk = walkScenarioText({ walk: 'cluster-ip', packets: 400, intervalNs: 20_000, connected: true }).replace('reuseConnection: true}', 'reuseConnection: true, reply: 100}');
  if (!steps) return walk;
  // kube-proxy syncs at once (minSyncPeriod 0), so every change reaches the rules while the burst runs.
  return `${walk.replace('dns: false,', 'dns: false, kubeProxy: {minSyncPeriod: 0s},')}steps:
  - {at: 100500us, label: {pod: default/b, labels: {app: c}}}
  - {at: 101500us, conntrack: {node: node1, protocol: UDP}}
  - {at: 102500us, label: {pod: default/b, labels: {app: null}}}
  - {at: 103500us, conntrack: {node: node1, flush: true}}
  - {at: 104500us, deletePod: {pod: default/c}}
  - {at: 107000us, delete: service/default/svc}
`;
}

/**
 * The same walk to a Service whose endpoint is behind the client's own bridge (bridged DNAT: the neighbour entry
 * gives the frame its new MAC while it is REACHABLE), from pod a or from the endpoint itself (hairpin, masqueraded),
 * while the neighbour entry is deleted (the next frame goes through neighbour output and ARP), the rules resync and
 * the table is flushed.
 */
function sameNodeText(from: 'a' | 'b'): string {
  const walk = walkScenarioText({ walk: 'cluster-ip', packets: 400, intervalNs: 20_000, connected: true })
    .replace('reuseConnection: true}', 'reuseConnection: true, reply: 100}')
    .replace('dns: false,', 'dns: false, kubeProxy: {minSyncPeriod: 0s},')
    .replace('metadata: {name: b}', 'metadata: {name: b, labels: {app: b}}')
    .replace('selector: {app: c}', 'selector: {app: b}')
    .replaceAll('from: pod/a', `from: pod/${from}`);
  return `${walk}steps:
  - {at: 101000us, label: {pod: default/c, labels: {app: b}}}
  - {at: 102000us, label: {pod: default/c, labels: {app: null}}}
  - {at: 104000us, conntrack: {node: node1, flush: true}}
`;
}

/** `ip neigh del` of the endpoint on node1's bridge, inside the burst (the scenario format has no step for it). */
function neighDeleted(c: Cluster): void {
  const node1 = c.nodes.get('node1')!;
  const br = c.bridges.get('node1')!;
  const b = c.pods.get('default/b')!.addrs.find((x) => x.dev.name === 'eth0')!.ip;
  c.sched.at(103_000_000, () => void node1.neigh.remove(br, b));
}

type Mode = 'iptables' | 'nftables' | 'ipvs';
const MODES: readonly Mode[] = ['iptables', 'nftables', 'ipvs'];

function run(steps: boolean | 'same-node' | 'hairpin', fast: 'on' | 'off', detailed: boolean, mode: Mode = 'iptables'): { text: string; replays: number } {
  process.env.PODWALK_FAST_PATH = fast;
  const scenario = typeof steps === 'boolean' ? text(steps) : sameNodeText(steps === 'hairpin' ? 'b' : 'a');
  const r = loadScenarioText(scenario.replace('cluster: {', `cluster: {proxyMode: ${mode}, `), 'w.yaml');
  if (!r.ok) throw new Error('walk does not load');
  let cluster: Cluster | undefined;
  const result = simulate(r.scenario, {
    detailed,
    onBuilt: (c) => {
      cluster = c;
      if (typeof steps !== 'boolean') neighDeleted(c);
    },
  });
  const c = cluster!;
  const state = [...c.netns.values()].map((ns) => {
    const ct = (ns.nf?.conntrack.list(c.sched.now) ?? []).map((e) => `ct ${e.text} ${e.expiresNs} ${e.assured} ${e.seenReply}`);
    const fdb = [...ns.devices.values()].flatMap((d) => (d instanceof Bridge ? d.fdbEntries().map((e) => `fdb ${e.mac} ${e.port?.name ?? '-'} ${e.updatedNs}`) : []));
    const nft = ns.nf?.nft ? showNft(ns) : '';
    const ipvs = ns.ipvs ? [ns.ipvs.list(), ...ns.ipvs.exactConns()].join('\n') : '';
    return [ns.name, showIptables(ns, true), nft, ipvs, ...ct, ...fdb, `cpu ${ns.cpu?.busyUntil}`].join('\n');
  });
  const out = [...result.events.map((e) => JSON.stringify(e)), ...result.flows.map((f) => JSON.stringify(f)), ...state].join('\n');
  return { text: out, replays: c.world.fast.replays };
}

function firstDifference(a: string, b: string): { line: number; on: string | undefined; off: string | undefined } | undefined {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((l, k) => l !== y[k]);
  return i === -1 && x.length === y.length ? undefined : { line: i + 1, on: x[i], off: y[i] };
}

describe.each(MODES)('NAT replays in %s mode: pod -> ClusterIP and its answers, DNAT and un-DNAT replayed', (mode) => {
  it('replays every crossing of an established connection, as a walk without NAT is', () => {
    // Each request crosses the client, node1's bridge (DNAT, up to be routed), node1, node2 and the server; each
    // answer the server, node2's bridge, node2, node1 (un-DNAT) and the client: ten crossings a datagram.
    const { replays } = run(false, 'on', false, mode);
    expect(replays).toBeGreaterThan(10 * 395);
  });
  for (const detailed of [false, true]) {
    it(`changes under the flow (rules resynced, conntrack -D and -F, endpoint deleted, Service deleted), tracing ${detailed ? 'on' : 'off'}`, () => {
      const on = run(true, 'on', detailed, mode);
      const off = run(true, 'off', detailed, mode);
      expect(firstDifference(on.text, off.text)).toBeUndefined();
      expect(on.replays).toBeGreaterThan(1000);
      expect(off.replays).toBe(0);
    });
  }
  for (const variant of ['same-node', 'hairpin'] as const) {
    for (const detailed of [false, true]) {
      it(`bridged DNAT (${variant === 'hairpin' ? 'the endpoint to its own Service, masqueraded' : 'an endpoint behind the same bridge'}): the neighbour entry deleted, rules resynced, conntrack flushed, tracing ${detailed ? 'on' : 'off'}`, () => {
        const on = run(variant, 'on', detailed, mode);
        const off = run(variant, 'off', detailed, mode);
        expect(firstDifference(on.text, off.text)).toBeUndefined();
        // The client, node1's bridge both ways (DNAT and un-DNAT) and the server: four crossings a datagram.
        expect(on.replays).toBeGreaterThan(4 * 300);
        expect(off.replays).toBe(0);
      });
    }
  }
});
