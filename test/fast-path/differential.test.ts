// The flow fast path must be invisible (src/kernel/fastpath/fast-path.ts): every scenario in scenarios/ (the gallery
// included) and a few busier workloads run with it on and off, through the CLI as a user runs them, and must give
// byte-identical JSON traces, pcapng captures and exit codes. The examples (test/examples) drive the library API:
// the `examples, fast path off` project in vitest.config.ts runs them with it off and compares each of their
// simulations with a twin run with it on (test/fast-path/twin-setup.ts).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { walkScenarioText, type WalkName } from '../../src/bench/walk.js';
import { cli } from '../../src/cli/main.js';
import type { Cluster } from '../../src/cluster/build.js';
import { Bridge } from '../../src/kernel/devices/bridge.js';
import type { NetNs } from '../../src/kernel/netns.js';
import { showConntrack, showIptables, showNeigh, showRouteCache, showRoutes } from '../../src/kernel/show.js';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { answeredFlushedText } from './answered-flushed.js';

const root = join(import.meta.dirname, '..', '..');
const scenarios = join(root, 'scenarios');
const work = mkdtempSync(join(tmpdir(), 'podwalk-fast-path-'));
const saved = process.env.PODWALK_FAST_PATH;
afterAll(() => {
  if (saved === undefined) delete process.env.PODWALK_FAST_PATH;
  else process.env.PODWALK_FAST_PATH = saved;
});

/** Every .yaml under scenarios/, however deep (new folders are picked up, nothing is skipped). */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? yamlFiles(join(dir, d.name)) : d.name.endsWith('.yaml') ? [join(dir, d.name)] : []));
}

/**
 * Busier runs than the scenarios' one or two packets, so that cached decisions are reused many times: the
 * benchmark walks (bursts of new connections), one connected UDP socket, and a TCP connection carrying data.
 */
function workloads(): { name: string; text: string }[] {
  const walks: WalkName[] = ['same-node', 'cross-node', 'cross-node-vxlan', 'cluster-ip'];
  const out = walks.map((walk) => ({ name: `walk-${walk}`, text: walkScenarioText({ walk, packets: 40, intervalNs: 20_000 }) }));
  // One connected socket, as the benchmark times it: every crossing after the first is replayed, up to the last.
  for (const walk of ['same-node', 'cross-node'] as const) out.push({ name: `connected-${walk}`, text: walkScenarioText({ walk, packets: 40, intervalNs: 20_000, connected: true }) });
  // Answers, and the connection flushed mid-flow (the first answer of the new one is recorded: reply-entries.test.ts).
  for (const walk of ['same-node', 'cross-node'] as const) out.push({ name: `answered-flushed-${walk}`, text: answeredFlushedText(walk, 40, '100400us') });
  // An answered UDP stream across the 2 s after which conntrack makes it ASSURED (120 s instead of 30 s).
  for (const walk of ['cross-node', 'cluster-ip'] as const) {
    out.push({ name: `answered-stream-${walk}`, text: walkScenarioText({ walk, packets: 12, intervalNs: 300_000_000, connected: true }).replace('reuseConnection: true}', 'reuseConnection: true, reply: 100}') });
  }
  const base = walkScenarioText({ walk: 'cluster-ip', packets: 1 }).split('traffic:')[0]!;
  out.push({
    name: 'reused-connections',
    text: `${base}traffic:
  - {name: udp, from: pod/a, to: service/svc, protocol: UDP, port: 53, payload: 100, count: 30, interval: 50us, reuseConnection: true}
  - {name: tcp, from: pod/a, to: pod/c, protocol: TCP, port: 80, count: 20, interval: 100us, reuseConnection: true, at: 5ms}
  - {name: other, from: pod/b, to: service/svc, protocol: UDP, port: 53, count: 20, interval: 30us, at: 9ms}
`,
  });
  return out;
}

interface Output {
  code: number;
  json: string;
  err: string;
  pcaps: Map<string, Buffer>;
}

function runCli(file: string, fast: 'on' | 'off', tag: string, extra: string[] = []): Output {
  process.env.PODWALK_FAST_PATH = fast;
  const dir = join(work, `${tag}-${fast}`);
  mkdirSync(dir, { recursive: true });
  let json = '';
  let err = '';
  const code = cli(['run', file, '--json', '--pcap', dir, ...extra], { out: (s) => (json += s), err: (s) => (err += s) });
  const pcaps = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
  // The capture directory differs between the two runs by name only.
  return { code, json, err: err.replaceAll(dir, '<pcap-dir>'), pcaps };
}

function expectSame(file: string, tag: string, extra: string[] = []): void {
  const on = runCli(file, 'on', tag, extra);
  const off = runCli(file, 'off', tag, extra);
  expect(on.code, 'exit code').toBe(off.code);
  expect(on.err, 'stderr').toBe(off.err);
  // Compare line by line first: a difference then names the first event that differs.
  const a = on.json.split('\n');
  const b = off.json.split('\n');
  const first = a.findIndex((l, i) => l !== b[i]);
  expect(first === -1 ? undefined : { line: first + 1, on: a[first], off: b[first] }).toBeUndefined();
  expect(on.json === off.json, 'JSON trace').toBe(true);
  expect([...on.pcaps.keys()]).toEqual([...off.pcaps.keys()]);
  for (const [name, bytes] of on.pcaps) expect(bytes.equals(off.pcaps.get(name)!), `${name} bytes`).toBe(true);
}

describe('the fast path is invisible: same JSON trace, pcapng and exit code on and off', () => {
  const files = yamlFiles(scenarios);
  it('finds the scenarios', () => expect(files.length).toBeGreaterThanOrEqual(40));
  for (const file of files) {
    const rel = file.slice(scenarios.length + 1);
    it(rel, () => expectSame(file, rel.replace(/[/.]/g, '_')));
  }
  for (const w of workloads()) {
    it(`${w.name} (busier workload)`, () => {
      const file = join(work, `${w.name}.yaml`);
      writeFileSync(file, w.text);
      expectSame(file, w.name);
    });
  }
  // State that changes while traffic flows: every cache must notice every change.
  const changes = join(import.meta.dirname, 'changes.yaml');
  for (const mode of ['iptables', 'ipvs', 'nftables']) it(`changes.yaml (node down/up, routes withdrawn, MTU, flush, sysctls, policy, rollout, loss) in ${mode} mode`, () => expectSame(changes, `changes-${mode}`, ['--proxy-mode', mode]));
  // Connections through NAT (the flow table replays their rewrites) while the Service's endpoints and rules change.
  const natChanges = join(import.meta.dirname, 'nat-changes.yaml');
  for (const mode of ['iptables', 'ipvs', 'nftables']) it(`nat-changes.yaml (scale, conntrack -D and -F, endpoint deleted, Service deleted and applied) in ${mode} mode`, () => expectSame(natChanges, `nat-changes-${mode}`, ['--proxy-mode', mode]));
  // The same workloads in the other kube-proxy modes (other rule engines behind the same hooks).
  // (The flow table replays nftables walks and IPVS's connections too: connected flows, answered and flushed.)
  const perMode = ['walk-cluster-ip', 'reused-connections', 'connected-cross-node', 'answered-flushed-cross-node'];
  for (const mode of ['ipvs', 'nftables']) {
    it(`${perMode.join(', ')} in ${mode} mode`, () => {
      for (const w of workloads().filter((x) => perMode.includes(x.name))) {
        const file = join(work, `${w.name}.yaml`);
        writeFileSync(file, w.text);
        expectSame(file, `${w.name}-${mode}`, ['--proxy-mode', mode]);
      }
    });
  }
});

/**
 * A run with tracing off (as benchmarks and `Simulation({detailed: false})` run; the CLI traces every hop, and
 * some of the fast path works only when no hop is traced: kernel/fastpath/flowtable.ts): its outcome events (create,
 * deliver, drop, with their times), its flow records, and what `podwalk show` would print afterwards: rule
 * counters, conntrack, routes, route cache, neighbours.
 */
function kernelState(file: string, fast: 'on' | 'off'): string {
  process.env.PODWALK_FAST_PATH = fast;
  const r = loadScenarioFile(file);
  if (!r.ok) throw new Error(`${file} does not load`);
  let cluster: Cluster | undefined;
  const run = simulate(r.scenario, { detailed: false, onBuilt: (c) => (cluster = c) });
  const state = [...cluster!.netns.values()].map((ns) => [ns.name, showIptables(ns, true), showConntrack(ns), showRoutes(ns), showRouteCache(ns), showNeigh(ns), exactState(ns, cluster!.sched.now)].join('\n'));
  return [...run.events.map((e) => JSON.stringify(e)), ...run.flows.map((f) => JSON.stringify(f)), ...state].join('\n');
}

/**
 * What the show commands round or leave out, to the nanosecond: each connection's expiry and protocol state,
 * each bridge's FDB entries with their updated times, IPVS's real servers and connection entries with their
 * timers, the CPU's busy-until (the cost model's charges).
 */
function exactState(ns: NetNs, now: number): string {
  const ct = (ns.nf?.conntrack.list(now) ?? []).map((e) => `ct ${e.text} expires ${e.expiresNs} ${e.tcpState ?? ''} ${e.assured} ${e.seenReply} ${e.origSeqEnd ?? ''} ${e.tcp ? `${e.tcp.end1 ?? ''} ${e.tcp.unacked} ${e.tcp.retrans} ${e.tcp.lastDir} ${e.tcp.lastWin}` : ''}`);
  const fdb = [...ns.devices.values()].flatMap((d) => (d instanceof Bridge ? d.fdbEntries().map((e) => `fdb ${d.name} ${e.mac} ${e.port?.name ?? '-'} ${e.local} ${e.updatedNs}`) : []));
  const ipvs = ns.ipvs ? [ns.ipvs.list(), ...ns.ipvs.exactConns()] : [];
  return [...ct, ...fdb, ...ipvs, `cpu ${ns.cpu?.busyUntil ?? '-'}`].join('\n');
}

describe('the fast path is invisible with tracing off: same outcome events, flows and kernel state after the run (rule counters, conntrack, routes, neighbours)', () => {
  const files = [...yamlFiles(scenarios), join(import.meta.dirname, 'changes.yaml'), join(import.meta.dirname, 'nat-changes.yaml')];
  for (const w of workloads()) {
    const file = join(work, `state-${w.name}.yaml`);
    writeFileSync(file, w.text);
    files.push(file);
  }
  for (const file of files) {
    it(file.slice(root.length + 1), () => {
      const on = kernelState(file, 'on');
      const off = kernelState(file, 'off');
      const a = on.split('\n');
      const b = off.split('\n');
      const first = a.findIndex((l, i) => l !== b[i]);
      expect(first === -1 ? undefined : { line: first + 1, on: a[first], off: b[first] }).toBeUndefined();
      expect(on === off).toBe(true);
    });
  }
});

describe('the differential runs exercise the fast path', () => {
  it('answers decisions from its caches when on, never when off', () => {
    const hits = (fast: 'on' | 'off'): number => {
      process.env.PODWALK_FAST_PATH = fast;
      const r = loadScenarioText(workloads().find((w) => w.name === 'reused-connections')!.text, 'w.yaml');
      if (!r.ok) throw new Error('workload does not load');
      let n = 0;
      simulate(r.scenario, { onBuilt: (c) => c.sched.at(1e9, () => (n = c.world.fast.hits)) });
      return n;
    };
    expect(hits('on')).toBeGreaterThan(100);
    expect(hits('off')).toBe(0);
  });
  it('replays forwarded packets of established connections from the flow tables, tracing on or off', () => {
    const replays = (fast: 'on' | 'off', detailed: boolean): number => {
      process.env.PODWALK_FAST_PATH = fast;
      const r = loadScenarioText(workloads().find((w) => w.name === 'reused-connections')!.text, 'w.yaml');
      if (!r.ok) throw new Error('workload does not load');
      let n = 0;
      simulate(r.scenario, { detailed, onBuilt: (c) => c.sched.at(1e9, () => (n = c.world.fast.replays)) });
      return n;
    };
    // 30 datagrams of one connection and 20 TCP segments, each forwarded by two nodes: all but the first few replayed.
    expect(replays('on', false)).toBeGreaterThan(40);
    expect(replays('on', true)).toBeGreaterThan(40);
    expect(replays('off', false)).toBe(0);
  });
});
