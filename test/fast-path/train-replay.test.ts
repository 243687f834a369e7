// A periodic train's exact replay (src/kernel/fastpath/train.ts) must be invisible: a run with it on and off
// (PODWALK_TRAIN_REPLAY) gives the same kept trace, the same flow results, the same events run and the same exact
// kernel state (train-state.ts) — on the benchmark walks and on trains interrupted by steps, changes made under
// them, other traffic, a second train, the run's stop times and its event budget, long gaps that let neighbour,
// FDB and conntrack entries age, and payloads that do or do not fit. Each case also checks that windows were taken.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { walkScenarioText, type WalkName } from '../../src/bench/walk.js';
import type { Cluster } from '../../src/cluster/build.js';
import { Bridge } from '../../src/kernel/devices/bridge.js';
import type { NetDevice } from '../../src/kernel/devices/device.js';
import { Veth } from '../../src/kernel/devices/veth.js';
import { Netfilter } from '../../src/kernel/netfilter/netfilter.js';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { ScenarioRun, simulate, type SimulateOptions } from '../../src/scenario/run/simulate.js';
import type { Scenario } from '../../src/scenario/types.js';
import { kernelState } from './train-state.js';

const saved = process.env.PODWALK_TRAIN_REPLAY;
afterAll(() => {
  if (saved === undefined) delete process.env.PODWALK_TRAIN_REPLAY;
  else process.env.PODWALK_TRAIN_REPLAY = saved;
});

const US = 1000;
const MS = 1e6;
/** The benchmark walk's burst starts at 100 ms. */
const T0 = 100 * MS;

type Change = (c: Cluster) => void;

interface Outcome {
  text: string;
  windows: number;
  datagrams: number;
}

function load(text: string): Scenario {
  const r = loadScenarioText(text, 'train.yaml');
  if (!r.ok) throw new Error(`does not load: ${JSON.stringify(r.problems)}`);
  return r.scenario;
}

/** One run, replay on or off: its trace, results, events run and kernel state as one text. */
function run(scenario: Scenario, replay: 'on' | 'off', changes: [number, Change][] = [], opts: SimulateOptions = {}): Outcome {
  process.env.PODWALK_TRAIN_REPLAY = replay;
  let cluster: Cluster | undefined;
  const result = simulate(scenario, {
    detailed: false,
    ...opts,
    onBuilt: (c) => {
      cluster = c;
      for (const [t, f] of changes) c.sched.at(t, () => f(c));
    },
  });
  const c = cluster!;
  const text = [...(opts.keepTrace === false ? [] : result.events.map((e) => JSON.stringify(e))), ...result.flows.map((f) => JSON.stringify(f)), `stopped ${result.stopped} executed ${result.eventsExecuted}`, kernelState(c)].join('\n');
  return { text, windows: c.world.fast.trainWindows, datagrams: c.world.fast.trainDatagrams };
}

function firstDifference(a: string, b: string): { line: number; on: string | undefined; off: string | undefined } | undefined {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((l, k) => l !== y[k]);
  return i === -1 && x.length === y.length ? undefined : { line: i + 1, on: x[i], off: y[i] };
}

/** Replay on and off give the same; returns the run with it on (its windows). */
function same(scenario: Scenario, changes: [number, Change][] = [], opts: SimulateOptions = {}): Outcome {
  const on = run(scenario, 'on', changes, opts);
  const off = run(scenario, 'off', changes, opts);
  expect(firstDifference(on.text, off.text)).toBeUndefined();
  expect(off.windows).toBe(0);
  return on;
}

function walk(w: WalkName, packets: number, intervalNs = 5000, extra = ''): Scenario {
  return load(walkScenarioText({ walk: w, packets, intervalNs, connected: true }) + extra);
}

function portOf(c: Cluster, pod: string): NetDevice {
  return c.bridges.get('node1')!.portList().find((p) => p instanceof Veth && p.peer.ns.name === pod)!;
}

/** Changes under a same-node train (every datagram from 100 ms, one each 5 us for 10 ms). */
function changes(): [number, Change][] {
  const node1 = (c: Cluster) => c.nodes.get('node1')!;
  const br = (c: Cluster): Bridge => c.bridges.get('node1')!;
  return [
    [T0 + 1 * MS + 1234, (c) => void node1(c).nf!.conntrack.delete(() => true)],
    [T0 + 2 * MS, (c) => (node1(c).nf!.engine as Netfilter).restore('*filter\n-I FORWARD 1 -p udp -m udp --dport 53 -m comment --comment count\nCOMMIT\n', { noflush: true })],
    [T0 + 3 * MS + 1, (c) => void (portOf(c, 'default/b').adminUp = false)],
    [T0 + 3.2 * MS, (c) => void (portOf(c, 'default/b').adminUp = true)],
    [T0 + 4 * MS, (c) => void (c.pods.get('default/a')!.devices.get('eth0')!.mtu = 60)],
    [T0 + 4.1 * MS, (c) => void (c.pods.get('default/a')!.devices.get('eth0')!.mtu = 1500)],
    [T0 + 6 * MS, (c) => br(c).setHairpin(portOf(c, 'default/a'), false)],
    [T0 + 7 * MS + 2499, (c) => void (node1(c).sysctl.bridgeNfCallIptables = false)],
    [T0 + 7.5 * MS, (c) => void (node1(c).sysctl.bridgeNfCallIptables = true)],
    // A timer that does nothing: the window must end before it, and the train go on after it.
    [T0 + 8 * MS + 2239, () => {}],
    [T0 + 8 * MS + 2240, () => {}],
    // Last: the receiver (which never answers) ages out of the FDB for good, and its frames are flooded from then on.
    [T0 + 9 * MS, (c) => void (br(c).ageingNs = 10_000)],
    [T0 + 9.5 * MS, (c) => void (br(c).ageingNs = 300e9)],
  ];
}

describe('train replay: the benchmark walks', () => {
  it('same node: every datagram after the first few is made in a window', () => {
    const on = same(walk('same-node', 3000));
    expect(on.datagrams).toBeGreaterThan(2990);
  });
  it('cross-node (host-gw): the datagrams in flight at each send are taken over, the last left in flight', () => {
    const on = same(walk('cross-node', 2000));
    expect(on.windows).toBe(1);
    expect(on.datagrams).toBeGreaterThan(1900);
  });
  it('cross-node with flannel-vxlan and to a ClusterIP: the same as walked', () => {
    for (const w of ['cross-node-vxlan', 'cluster-ip'] as const) same(walk(w, 600));
  });
  it('across nodes, a payload too short for the flow table: its hooks walk in every period, no window', () => {
    // (train-fuzz found it: a period whose crossings walked netfilter looked clean, and a window left the counters
    // and conntrack of n walks out. A hook walked while watched is unusual now: nf-hooks.ts `run`.)
    for (const payload of [0, 11]) {
      const on = same(load(walkScenarioText({ walk: 'cross-node', packets: 600, payload, connected: true })));
      expect(on.datagrams).toBe(0);
    }
  });
  it('payloads: too short for the flow table, the shortest it keeps, large, and one that does not fit the MTU', () => {
    for (const payload of [0, 11, 12, 1400, 3000]) {
      const text = walkScenarioText({ walk: 'same-node', packets: 300, payload, connected: true });
      const on = same(load(text));
      // Only whole datagrams the flow table replays (a UDP payload of 12 bytes or more) can be a train.
      expect(on.datagrams > 290).toBe(payload >= 12 && payload <= 1400);
    }
  });
});

describe('train replay: interrupted trains', () => {
  it('changes under a same-node train (conntrack flush, rules, port down, MTU, FDB ageing, hairpin, sysctls, timers)', () => {
    const on = same(walk('same-node', 2000), changes());
    expect(on.windows).toBeGreaterThan(6);
    expect(on.datagrams).toBeGreaterThan(1200);
  });
  it('steps from the scenario: policies, a conntrack flush, kube-proxy, a node down and up', () => {
    const steps = `steps:
  - at: 101ms
    apply:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: deny}
      spec: {podSelector: {}}
  - {at: 102ms, delete: networkpolicy/default/deny}
  - {at: 103ms, conntrack: {node: node1, flush: true}}
  - {at: 104ms, kubeProxy: {node: node1, syncDelay: 1ms}}
  - {at: 105ms, mtu: {device: node1:cbr0, mtu: 100}}
  - {at: 106ms, mtu: {device: node1:cbr0, mtu: 1500}}
  - {at: 107ms, node: {name: node2, state: down}}
  - {at: 108ms, node: {name: node2, state: up}}
`;
    for (const w of ['same-node', 'cross-node'] as const) {
      const on = same(walk(w, 2000, 5000, steps));
      if (w === 'same-node') expect(on.datagrams).toBeGreaterThan(500);
    }
  });
  it('other traffic between the datagrams, and a second train at once', () => {
    const base = walkScenarioText({ walk: 'same-node', packets: 2000, connected: true });
    const text = `${base}  - {name: other, from: pod/a, to: pod/b, protocol: UDP, port: 53, count: 7, interval: 1234567ns, at: 100300us}
  - {name: back, from: pod/b, to: pod/a, protocol: UDP, port: 53, count: 3, interval: 2ms, at: 101ms}
  - {name: ping, from: pod/a, to: pod/c, protocol: ICMP, count: 2, interval: 3ms, at: 104ms}
  - {name: g, from: pod/a, to: pod/b, protocol: UDP, port: 54, count: 400, interval: 7us, reuseConnection: true, at: 106ms}
`;
    const on = same(load(text));
    expect(on.datagrams).toBeGreaterThan(500);
  });
  it('the event budget runs out inside a window', () => {
    for (const budget of [3000, 4567, 5001]) {
      const on = same(walk('same-node', 3000), [], { eventBudget: budget });
      expect(on.datagrams).toBeGreaterThan(100);
    }
  });
  it('across nodes: the event budget runs out inside a window, with datagrams in flight', () => {
    for (const budget of [9000, 12345]) {
      const on = same(walk('cross-node', 3000), [], { eventBudget: budget });
      expect(on.datagrams).toBeGreaterThan(100);
    }
  });
  it('across nodes: changes under the train (conntrack flush, a rule, the uplink down, a timer, the switch FDB ageing)', () => {
    const node = (c: Cluster, n: string) => c.nodes.get(n)!;
    const sw = (c: Cluster): Bridge => [...c.netns.values()].find((ns) => ns.name === 'underlay')!.devices.get('br0') as Bridge;
    const cross: [number, Change][] = [
      [T0 + 1 * MS + 1234, (c) => void node(c, 'node2').nf!.conntrack.delete(() => true)],
      [T0 + 2 * MS, (c) => (node(c, 'node1').nf!.engine as Netfilter).restore('*filter\n-I FORWARD 1 -p udp -m udp --dport 53 -m comment --comment count\nCOMMIT\n', { noflush: true })],
      [T0 + 3 * MS + 1, (c) => void (node(c, 'node2').devices.get('eth0')!.adminUp = false)],
      [T0 + 3.2 * MS, (c) => void (node(c, 'node2').devices.get('eth0')!.adminUp = true)],
      [T0 + 5 * MS + 2239, () => {}],
      [T0 + 7 * MS, (c) => void (sw(c).ageingNs = 10_000)],
      [T0 + 7.5 * MS, (c) => void (sw(c).ageingNs = 300e9)],
    ];
    const on = same(walk('cross-node', 2000), cross);
    expect(on.windows).toBeGreaterThan(2);
    expect(on.datagrams).toBeGreaterThan(800);
  });
  it("across nodes: the destination ages out of the switch's FDB inside what would be a window", () => {
    const age: Change = (c) => {
      const sw = [...c.netns.values()].find((ns) => ns.name === 'underlay')!.devices.get('br0') as Bridge;
      const node2 = c.nodes.get('node2')!.devices.get('eth0')!;
      const dst = sw.fdbEntries().find((e) => e.mac === node2.mac)!;
      sw.ageingNs = T0 + 5 * MS + 123 - dst.updatedNs;
    };
    const on = same(walk('cross-node', 2000), [[T0 + 1 * MS + 1, age]]);
    expect(on.datagrams).toBeGreaterThan(500);
  });
  it('across nodes: other traffic and a second train at once, and one item after the train', () => {
    const base = walkScenarioText({ walk: 'cross-node', packets: 2000, connected: true });
    const text = `${base}  - {name: other, from: pod/a, to: pod/c, protocol: UDP, port: 53, count: 3, interval: 1234567ns, at: 100300us}
  - {name: g, from: pod/a, to: pod/c, protocol: UDP, port: 53, count: 400, interval: 7us, reuseConnection: true, at: 106ms}
  - {name: after, from: pod/b, to: pod/c, protocol: UDP, port: 53, at: 109ms}
`;
    const on = same(load(text));
    expect(on.datagrams).toBeGreaterThan(500);
  });
  it('across nodes: the run stopped at times inside windows (runUntil), state and packets in flight read there', () => {
    const outcome = (replay: 'on' | 'off'): { text: string; datagrams: number } => {
      process.env.PODWALK_TRAIN_REPLAY = replay;
      const r = new ScenarioRun(walk('cross-node', 3000), { detailed: false });
      for (const t of r.scenario.traffic) r.schedule(t);
      const texts: string[] = [];
      for (const t of [T0 + 50 * US + 1, T0 + 3 * MS + 17, T0 + 3 * MS + 18, T0 + 9 * MS]) {
        r.runUntil(t);
        texts.push(kernelState(r.cluster));
      }
      // The scheduler run to a time limit directly (no event there to end a window: the limit itself must).
      r.cluster.sched.run({ untilNs: T0 + 12 * MS + 777 });
      texts.push(kernelState(r.cluster));
      const result = r.finish();
      texts.push(...result.events.map((e) => JSON.stringify(e)), ...result.flows.map((f) => JSON.stringify(f)), kernelState(r.cluster));
      return { text: texts.join('\n'), datagrams: r.cluster.world.fast.trainDatagrams };
    };
    const on = outcome('on');
    expect(firstDifference(on.text, outcome('off').text)).toBeUndefined();
    expect(on.datagrams).toBeGreaterThan(2000);
  });
  it('the run stopped at times inside windows (runUntil), state read there, then finished', () => {
    const outcome = (replay: 'on' | 'off'): { text: string; datagrams: number } => {
      process.env.PODWALK_TRAIN_REPLAY = replay;
      const r = new ScenarioRun(walk('same-node', 3000), { detailed: false });
      for (const t of r.scenario.traffic) r.schedule(t);
      const texts: string[] = [];
      for (const t of [T0 + 50 * US + 1, T0 + 3 * MS + 17, T0 + 3 * MS + 18, T0 + 9 * MS]) {
        r.runUntil(t);
        texts.push(kernelState(r.cluster));
      }
      const result = r.finish();
      texts.push(...result.events.map((e) => JSON.stringify(e)), ...result.flows.map((f) => JSON.stringify(f)), kernelState(r.cluster));
      return { text: texts.join('\n'), datagrams: r.cluster.world.fast.trainDatagrams };
    };
    const on = outcome('on');
    const off = outcome('off');
    expect(firstDifference(on.text, off.text)).toBeUndefined();
    expect(on.datagrams).toBeGreaterThan(2000);
    expect(off.datagrams).toBe(0);
  });
  it('the destination ages out of the FDB inside what would be a window (its ageing shortened by a plain write)', () => {
    const age: Change = (c) => {
      const br = c.bridges.get('node1')!;
      const dst = br.fdbEntries().find((e) => e.port === portOf(c, 'default/b') && !e.local)!;
      br.ageingNs = T0 + 5 * MS + 123 - dst.updatedNs;
    };
    const on = same(walk('same-node', 2000), [[T0 + 1 * MS + 1, age]]);
    expect(on.datagrams).toBeGreaterThan(700);
  });
  it('long gaps: the neighbour entry goes STALE, the destination ages out of the FDB, conntrack stays refreshed', () => {
    // 420 datagrams 0.9 s apart: past reachable_time (15-45 s) and the FDB's 300 s ageing.
    const on = same(walk('same-node', 420, 900_000_000));
    expect(on.datagrams).toBeGreaterThan(10);
  });
});

describe('train replay: what the run keeps and who reads it', () => {
  it('the trace not kept (keepTrace: false): flows and state the same', () => {
    for (const w of ['same-node', 'cross-node'] as const) {
      const on = same(walk(w, 2000), [], { keepTrace: false });
      expect(on.datagrams).toBeGreaterThan(1900);
    }
  });
  it('a sink attached in onBuilt sees every event (the windows make each datagram on its own then)', () => {
    const seen = (replay: 'on' | 'off'): { text: string; datagrams: number } => {
      process.env.PODWALK_TRAIN_REPLAY = replay;
      const got: string[] = [];
      let cluster: Cluster | undefined;
      simulate(walk('same-node', 500), { detailed: false, onBuilt: (c) => ((cluster = c), c.world.tracer.attach({ event: (e) => got.push(JSON.stringify(e)) })) });
      return { text: [...got, kernelState(cluster!)].join('\n'), datagrams: cluster!.world.fast.trainDatagrams };
    };
    const on = seen('on');
    expect(firstDifference(on.text, seen('off').text)).toBeUndefined();
    expect(on.datagrams).toBeGreaterThan(490);
  });
  it("a TCP connection of an earlier item still open: the train's results wait for it", () => {
    const base = walkScenarioText({ walk: 'same-node', packets: 1 }).split('traffic:')[0]!;
    const text = `${base}traffic:
  - {name: warm-up, from: pod/a, to: pod/b, protocol: UDP, port: 53}
  - {name: tcp, from: pod/a, to: pod/c, protocol: TCP, port: 80, count: 3, interval: 1ms, reuseConnection: true, at: 99ms}
  - {name: f, from: pod/a, to: pod/b, protocol: UDP, port: 53, payload: 64, count: 2000, interval: 5us, at: 100ms, reuseConnection: true}
`;
    const on = same(load(text));
    expect(on.datagrams).toBeGreaterThan(1000);
  });
});

describe('train replay: the scenarios, untraced', () => {
  const root = join(import.meta.dirname, '..', '..', 'scenarios');
  const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.yaml') ? [join(dir, d.name)] : []));
  for (const f of files(root)) {
    it(relative(root, f), () => {
      const r = loadScenarioFile(f);
      if (!r.ok) return; // (a scenario that does not load is the loader tests' business)
      same(r.scenario);
    });
  }
});
