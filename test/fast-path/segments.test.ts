// The flow table's segment replays (src/kernel/fastpath/flowtable.ts) must notice every change to what they recorded: a
// connected UDP flow across cbr0 (same node) and across two nodes runs while the test changes the state under it —
// the sender's routes and MTU, a bridge port down and up, the destination's FDB entry aged out, the sender's MAC moved to another port, hairpin
// toggled, sysctls written (ip_forward, arp_announce, rp_filter, bridge-nf-call-iptables), a rule restored (a policy), a conntrack flush — with the fast path on and off, traced and untraced. The
// full trace (every hop event, in order, with its time), the outcomes and the exact kernel state must be the same.
import { afterAll, describe, expect, it } from 'vitest';
import { walkScenarioText, type WalkName } from '../../src/bench/walk.js';
import type { Cluster } from '../../src/cluster/build.js';
import { Bridge } from '../../src/kernel/devices/bridge.js';
import type { NetDevice } from '../../src/kernel/devices/device.js';
import type { Route } from '../../src/kernel/ipv4/fib.js';
import type { NetNs } from '../../src/kernel/netns.js';
import { Netfilter } from '../../src/kernel/netfilter/netfilter.js';
import { showIptables } from '../../src/kernel/show.js';
import { Veth } from '../../src/kernel/devices/veth.js';
import { formatIpv4, parseCidr } from '../../src/wire/addr.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const saved = process.env.PODWALK_FAST_PATH;
afterAll(() => {
  if (saved === undefined) delete process.env.PODWALK_FAST_PATH;
  else process.env.PODWALK_FAST_PATH = saved;
});

const MS = 1e6;
/** The burst of the benchmark walk starts at 100 ms; one datagram every 20 us, 400 of them (8 ms). */
const T0 = 100 * MS;

type Change = (c: Cluster) => void;

function portOf(br: Bridge, pod: string): NetDevice {
  return br.portList().find((p) => p instanceof Veth && p.peer.ns.name === pod)!;
}

/** The changes, each at its time inside the burst (both pods of the same-node walk are behind node1's cbr0). */
function changes(walk: WalkName): [number, Change][] {
  const br = (c: Cluster): Bridge => c.bridges.get('node1')!;
  const node1 = (c: Cluster): NetNs => c.nodes.get('node1')!;
  const dstPod = walk === 'same-node' ? 'default/b' : 'default/a';
  const sender = (c: Cluster): NetNs => c.pods.get('default/a')!;
  const to = walk === 'same-node' ? 'default/b' : 'default/c';
  return [
    // The sender's routes change under the same source address: a /32 to the destination via the node (same
    // node: the datagrams are routed by node1 instead of bridged) or on-link (across nodes: ARP for it fails).
    [T0 + 0.5 * MS, (c) => sender(c).fib.add(hostRoute(c, to, walk === 'same-node' ? c.nodes.get('node1')!.addrs.find((x) => x.dev.name === 'cbr0')!.ip : undefined))],
    [T0 + 0.8 * MS, (c) => void sender(c).fib.delete((r) => r.proto === 'static')],
    // The sender's device shrinks below the datagrams (fragmented from then on), then grows back.
    [T0 + 0.9 * MS, (c) => void (sender(c).devices.get('eth0')!.mtu = 60)],
    [T0 + 0.95 * MS, (c) => void (sender(c).devices.get('eth0')!.mtu = 1500)],
    // A bridge port goes down and comes back (the receiver's, or the sender's on the cross-node walk).
    [T0 + 1 * MS, (c) => void (portOf(br(c), dstPod).adminUp = false)],
    [T0 + 1.5 * MS, (c) => void (portOf(br(c), dstPod).adminUp = true)],
    // Hairpin off and on on the sender's port (the FDB generation moves; the decision does not).
    [T0 + 2 * MS, (c) => br(c).setHairpin(portOf(br(c), 'default/a'), false)],
    [T0 + 2.5 * MS, (c) => br(c).setHairpin(portOf(br(c), 'default/a'), true)],
    // sysctl -w under the flow (each write bumps the namespace's sysctl generation): forwarding off and on again
    // on node1 (across nodes: dropped as forwarding-disabled meanwhile);
    [T0 + 2.6 * MS, (c) => void (node1(c).sysctl.ipForward = false)],
    [T0 + 2.75 * MS, (c) => void (node1(c).sysctl.ipForward = true)],
    // arp_announce 2 in the sender (the ARP source a segment keeps for its next hop);
    [T0 + 2.8 * MS, (c) => void (sender(c).sysctl.arpAnnounce = 2)],
    // the receiver's route back to the sender leaves by lo: rp_filter loose lets the datagrams in (an `rpfilter`
    // loose-pass hop), strict drops them, off again lets them in silently;
    [T0 + 3.3 * MS, (c) => c.pods.get(to)!.fib.add({ ...hostRoute(c, 'default/a', undefined), dev: c.pods.get(to)!.lo })],
    [T0 + 3.4 * MS, (c) => void (c.pods.get(to)!.sysctl.rpFilter = { all: 2, default: 0, dev: new Map() })],
    [T0 + 3.6 * MS, (c) => void (c.pods.get(to)!.sysctl.rpFilter = { all: 0, default: 0, dev: new Map([['eth0', 1]]) })],
    [T0 + 3.8 * MS, (c) => void (c.pods.get(to)!.sysctl.rpFilter = { all: 0, default: 0, dev: new Map() })],
    // bridge-nf-call-iptables off on node1 (frames cross cbr0 without iptables: no counters, no conntrack), then on.
    [T0 + 5.5 * MS, (c) => void (node1(c).sysctl.bridgeNfCallIptables = false)],
    [T0 + 5.8 * MS, (c) => void (node1(c).sysctl.bridgeNfCallIptables = true)],
    // A rule restored in FORWARD that counts the flow's packets, then one that drops them, then gone again.
    [T0 + 3 * MS, (c) => (node1(c).nf!.engine as Netfilter).restore('*filter\n-I FORWARD 1 -p udp -m udp --dport 53 -m comment --comment count\nCOMMIT\n', { noflush: true })],
    [T0 + 4 * MS, (c) => (node1(c).nf!.engine as Netfilter).restore('*filter\n-I FORWARD 1 -p udp -m udp --dport 53 -j DROP\nCOMMIT\n', { noflush: true })],
    [T0 + 4.5 * MS, (c) => (node1(c).nf!.engine as Netfilter).restore('*filter\n-D FORWARD 1\nCOMMIT\n', { noflush: true })],
    // conntrack -F on the node: the flow's next packet is a new connection again.
    [T0 + 5 * MS, (c) => void node1(c).nf!.conntrack.delete(() => true)],
    // The FDB ages faster than the flow's gaps: the sender is learnt anew at every frame, and on the same-node
    // walk the receiver (which never answers) ages out for good: its frames are flooded from then on, as on Linux.
    [T0 + 6 * MS, (c) => void (br(c).ageingNs = 10_000)],
    [T0 + 6.5 * MS, (c) => void (br(c).ageingNs = 300e9)],
    // A port leaves the bridge (its FDB entries go with it) and comes back.
    [T0 + 7 * MS, (c) => br(c).removePort(portOf(br(c), dstPod))],
    [T0 + 7.5 * MS, (c) => br(c).addPort(portOf2(c, dstPod), false)],
  ];
}

/** `ip route add <pod>/32 [via <gw>] dev eth0` in the sender. */
function hostRoute(c: Cluster, pod: string, via: number | undefined): Route {
  const ip = c.pods.get(pod)!.addrs.find((x) => x.dev.name === 'eth0')!.ip;
  const dev = c.pods.get('default/a')!.devices.get('eth0')!;
  return { table: 'main', type: 'unicast', dst: parseCidr(`${formatIpv4(ip)}/32`)!, dev, ...(via === undefined ? {} : { via }), proto: 'static', scope: via === undefined ? 'link' : 'global' };
}

/** The receiver's port found by its peer (it is no longer among the bridge's ports once removed). */
function portOf2(c: Cluster, pod: string): NetDevice {
  return [...c.nodes.get('node1')!.devices.values()].find((p) => p instanceof Veth && p.peer.ns.name === pod)!;
}

function run(walk: WalkName, fast: 'on' | 'off', detailed: boolean): { text: string; replays: number } {
  process.env.PODWALK_FAST_PATH = fast;
  const r = loadScenarioText(walkScenarioText({ walk, packets: 400, intervalNs: 20_000, connected: true }), 'w.yaml');
  if (!r.ok) throw new Error('walk does not load');
  let cluster: Cluster | undefined;
  const result = simulate(r.scenario, {
    detailed,
    onBuilt: (c) => {
      cluster = c;
      for (const [t, f] of changes(walk)) c.sched.at(t, () => f(c));
    },
  });
  const c = cluster!;
  const state = [...c.netns.values()].map((ns) => {
    const ct = (ns.nf?.conntrack.list(c.sched.now) ?? []).map((e) => `ct ${e.text} ${e.expiresNs} ${e.assured} ${e.seenReply}`);
    const fdb = [...ns.devices.values()].flatMap((d) => (d instanceof Bridge ? d.fdbEntries().map((e) => `fdb ${e.mac} ${e.port?.name ?? '-'} ${e.updatedNs}`) : []));
    return [ns.name, showIptables(ns, true), ...ct, ...fdb, `cpu ${ns.cpu?.busyUntil}`].join('\n');
  });
  const text = [...result.events.map((e) => JSON.stringify(e)), ...result.flows.map((f) => JSON.stringify(f)), ...state].join('\n');
  return { text, replays: c.world.fast.replays };
}

function firstDifference(a: string, b: string): { line: number; on: string | undefined; off: string | undefined } | undefined {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((l, k) => l !== y[k]);
  return i === -1 && x.length === y.length ? undefined : { line: i + 1, on: x[i], off: y[i] };
}

describe('segment replays notice every change under them (port down, FDB ageing and removal, hairpin, sysctls, rules, conntrack flush)', () => {
  for (const walk of ['same-node', 'cross-node'] as const) {
    for (const detailed of [false, true]) {
      it(`${walk}, tracing ${detailed ? 'on' : 'off'}`, () => {
        const on = run(walk, 'on', detailed);
        const off = run(walk, 'off', detailed);
        expect(firstDifference(on.text, off.text)).toBeUndefined();
        // Most of the 400 datagrams were replayed: the changes invalidated the table, they did not turn it off.
        expect(on.replays).toBeGreaterThan(walk === 'same-node' ? 200 : 800);
        expect(off.replays).toBe(0);
      });
    }
  }
});
