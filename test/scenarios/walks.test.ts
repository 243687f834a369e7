import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioText, formatProblem } from '../../src/scenario/load/parse.js';
import { simulate, type RunResult } from '../../src/scenario/run/simulate.js';
import type { RxEvent, TraceEvent, TxEvent } from '../../src/trace/events.js';

/** The walks the foundation issue pins down, as measured on real Linux namespaces. */
function run(traffic: string, extra = ''): RunResult {
  const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: walk}
cluster:
  network: host-gw
  nodes: [{name: node1}, {name: node2}]
${extra}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: pod1}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: pod2}, spec: {nodeName: node1, containers: [{name: c, image: i, ports: [{containerPort: 9000, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: pod4}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 9000, protocol: UDP}]}]}}
traffic:
${traffic}
`;
  const r = loadScenarioText(text, 'walk.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return simulate(r.scenario);
}

const frames = (evs: TraceEvent[], pkt: number): (TxEvent | RxEvent)[] =>
  evs.filter((e): e is TxEvent | RxEvent => (e.kind === 'tx' || e.kind === 'rx') && e.pkt === pkt);
const arpRequests = (evs: TraceEvent[]) => evs.filter((e) => e.kind === 'arp' && e.action === 'request');

describe('same-node walk', () => {
  const r = run('  - {name: f, from: pod/pod1, to: pod/pod2, protocol: UDP, port: 9000, payload: 100}');
  const flow = r.flows[0]!;

  it('is delivered pod MAC to pod MAC through the bridge with TTL 64', () => {
    expect(flow.verdict).toBe('delivered');
    const hops = frames(r.events, flow.pkt!);
    const pod1 = r.cluster.pods.get('default/pod1')!.device('eth0')!;
    const pod2 = r.cluster.pods.get('default/pod2')!.device('eth0')!;
    for (const h of hops) {
      expect(h.frame.srcMac).toBe(pod1.mac);
      expect(h.frame.dstMac).toBe(pod2.mac);
      expect(h.frame.ttl).toBe(64);
      expect(h.frame.len).toBe(142);
    }
    expect(hops.map((h) => h.at)).toEqual([
      'default/pod1:eth0',
      expect.stringMatching(/^node1:veth[0-9a-f]{8}$/),
      expect.stringMatching(/^node1:veth[0-9a-f]{8}$/),
      'default/pod2:eth0',
    ]);
    expect(flow.path).toContain('node1:cbr0');
  });

  it('needs exactly one ARP exchange, and hairpin brings the broadcast back to the sender', () => {
    expect(arpRequests(r.events)).toHaveLength(1);
    const arpFrames = r.events.filter((e) => (e.kind === 'tx' || e.kind === 'rx') && e.frame.type === 'arp');
    for (const f of arpFrames) if (f.kind === 'tx' || f.kind === 'rx') expect(f.frame.len).toBe(42);
    const backToSender = r.events.filter((e) => e.kind === 'rx' && e.at === 'default/pod1:eth0' && e.frame.type === 'arp' && e.frame.info.includes('who-has'));
    expect(backToSender).toHaveLength(1);
  });
});

describe('cross-node host-gw walk', () => {
  const r = run('  - {name: f, from: pod/pod1, to: pod/pod4, protocol: UDP, port: 9000, payload: 100}');
  const flow = r.flows[0]!;

  it('goes to the gateway MAC, out of node1 eth0, in node2 eth0, and arrives with TTL 62', () => {
    expect(flow.verdict).toBe('delivered');
    const hops = frames(r.events, flow.pkt!);
    const cbr0 = r.cluster.nodes.get('node1')!.device('cbr0')!;
    expect(hops[0]!.frame.dstMac).toBe(cbr0.mac);
    expect(hops.map((h) => h.at)).toEqual(expect.arrayContaining(['node1:cbr0', 'node1:eth0', 'node2:eth0', 'node2:cbr0', 'default/pod4:eth0']));
    expect(hops[hops.length - 1]!.frame.ttl).toBe(62);
    for (const h of hops) expect(h.frame.len).toBe(142);
  });

  it('needs three ARP exchanges with cold caches', () => {
    expect(arpRequests(r.events)).toHaveLength(3);
  });
});

describe('determinism', () => {
  it('same scenario and seed give byte-identical traces', () => {
    const t = '  - {name: f, from: pod/pod1, to: pod/pod4, protocol: UDP, port: 9000, count: 3}';
    const a = JSON.stringify(run(t).events);
    const b = JSON.stringify(run(t).events);
    expect(a).toBe(b);
    expect(JSON.stringify(run(t, '  seed: 2').events)).not.toBe(a);
  });
});

describe('overlay MTU', () => {
  it('the largest unfragmented datagram is a 1514-byte frame on the underlay; larger ones are fragmented by the sender', () => {
    const r = loadScenarioText(
      `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: mtu}
cluster: {network: flannel-vxlan, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
traffic:
  - {name: fits, from: pod/a, to: pod/b, protocol: UDP, port: 53, payload: 1422}
  - {name: big, from: pod/a, to: pod/b, protocol: UDP, port: 53, payload: 3000, at: 1ms}
`,
      'mtu.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const res = simulate(r.scenario);
    const fits = res.flows[0]!;
    const onEth0 = frames(res.events, fits.pkt!).filter((e) => e.at === 'node1:eth0');
    expect(onEth0.map((e) => e.frame.len)).toEqual([1514]);
    const encap = res.events.find((e) => e.kind === 'encap' && e.pkt === fits.pkt);
    expect(encap && encap.kind === 'encap' && encap.bytes).toBe(50);
    const big = res.flows[1]!;
    expect(big.verdict).toBe('delivered');
    const fragments = res.events.filter((e) => e.kind === 'tx' && e.at === 'default/a:eth0' && e.t === 1_000_000 && e.frame.type === 'ipv4');
    expect(fragments.map((e) => (e.kind === 'tx' ? e.frame.len : 0))).toEqual([1458, 1458, 194]);
  });
});

describe.each([
  ['host-gw', 42, 1472],
  ['flannel-vxlan', 92, 1422],
  ['flannel-udp', 70, 1444],
] as const)('frame lengths with %s', (network, outer, largest) => {
  it(`UDP payload N is N+42 inside, N+${outer} on node eth0; ${largest} is the largest unfragmented payload`, () => {
    const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: len}
cluster: {network: ${network}, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
traffic:
  - {name: n, from: pod/a, to: pod/b, protocol: UDP, port: 53, payload: 300}
  - {name: largest, from: pod/a, to: pod/b, protocol: UDP, port: 53, payload: ${largest}, at: 1ms}
  - {name: one-more, from: pod/a, to: pod/b, protocol: UDP, port: 53, payload: ${largest + 1}, at: 2ms}
`;
    const r = loadScenarioText(text, 'len.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const res = simulate(r.scenario);
    const lens = (flow: number) => {
      const pkts = new Set<number>();
      const queue = [res.flows[flow]!.pkt!];
      while (queue.length) {
        const p = queue.pop()!;
        if (pkts.has(p)) continue;
        pkts.add(p);
        for (const e of res.events) if (e.kind === 'create' && e.cause === p && e.by === 'app') queue.push(e.pkt);
      }
      return res.events.filter((e): e is TxEvent => e.kind === 'tx' && pkts.has(e.pkt));
    };
    const hops = lens(0);
    for (const h of hops) {
      if (/^(node[12]:eth0|underlay:)/.test(h.at)) expect(h.frame.len).toBe(300 + outer); // on the wire between nodes
      else if (h.at.endsWith(':flannel0')) expect(h.frame.len).toBe(300 + 28); // TUN: no Ethernet header
      else expect(h.frame.len).toBe(300 + 42);
    }
    expect(hops.some((h) => h.at === 'node1:eth0')).toBe(true);
    expect(res.flows.map((f) => f.verdict)).toEqual(['delivered', 'delivered', 'delivered']);
    const sentBy = (flow: number) => res.events.filter((e) => e.kind === 'tx' && e.at === 'default/a:eth0' && e.t === flow * 1_000_000 && e.frame.type === 'ipv4').length;
    expect(sentBy(1)).toBe(1); // fits: one packet
    expect(sentBy(2)).toBe(2); // one byte more: two fragments
  });
});

describe('event budget', () => {
  it('a run cut short ends every packet in flight as event-budget, never hangs', () => {
    const r = loadScenarioText(
      `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: budget}
cluster: {network: host-gw, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
traffic:
  - {name: f, from: pod/a, to: pod/b, protocol: UDP, port: 53}
`,
      'budget.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const res = simulate(r.scenario, { eventBudget: 5 });
    expect(res.stopped).toBe('budget');
    expect(res.flows[0]).toMatchObject({ verdict: 'dropped', dropReason: 'event-budget' });
    const created = res.events.filter((e) => e.kind === 'create').length;
    const ended = res.events.filter((e) => e.kind === 'deliver' || e.kind === 'drop').length;
    expect(ended).toBe(created);
  });

  it('a count:N item cut short: its later requests count as pending and end as never sent, in order', () => {
    const r = loadScenarioText(
      `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: budget}
cluster: {network: host-gw, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
traffic:
  - {name: f, from: pod/a, to: pod/b, protocol: UDP, port: 53, count: 10, interval: 1ns}
  - {name: g, from: pod/a, to: pod/b, protocol: UDP, port: 53, at: 1s}
`,
      'budget.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const res = simulate(r.scenario, { eventBudget: 4 });
    expect(res.stopped).toBe('budget');
    // The requests not yet due are in the count as if all had been queued up front (each item queues only its next one).
    const drop = res.events.find((e) => e.kind === 'drop' && e.reason === 'event-budget');
    const pending = Number(/with (\d+) pending/.exec(drop && drop.kind === 'drop' ? drop.detail : '')![1]);
    const sent = res.events.filter((e) => e.kind === 'create' && e.flow !== undefined).length;
    expect(pending).toBeGreaterThanOrEqual(10 - sent + 1);
    expect(res.flows.map((f) => f.flow)).toEqual([...Array.from({ length: 10 }, (_, k) => `f#${k + 1}`), 'g']);
    expect(res.flows.slice(sent).every((f) => f.dropReason === 'event-budget' && f.dropDetail === 'never sent: the run stopped first')).toBe(true);
  });
});

describe('TCP as Linux puts it on the wire', () => {
  it('SYN 74, SYN-ACK 74, ACK 66, data 66+N, ACK 66; RST for a closed port 54', () => {
    const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: tcp}
cluster: {network: host-gw, nodes: [{name: node1}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}}
traffic:
  - {name: open, from: pod/a, to: pod/b, port: 80, payload: 64}
  - {name: closed, from: pod/a, to: pod/b, port: 81, at: 1ms}
`;
    const loaded = loadScenarioText(text, 'tcp.yaml');
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
    const res = simulate(loaded.scenario);
    const seen = res.events
      .filter((e): e is TxEvent => e.kind === 'tx' && e.at === 'default/a:eth0' && e.frame.proto === 'tcp')
      .map((e) => `${e.frame.info.split(' ')[1]} ${e.frame.len}`);
    expect(seen).toEqual(['[S] 74', '[.] 66', '[P.] 130', '[S] 74']);
    const back = res.events
      .filter((e): e is RxEvent => e.kind === 'rx' && e.at === 'default/a:eth0' && e.frame.proto === 'tcp')
      .map((e) => `${e.frame.info.split(' ')[1]} ${e.frame.len}`);
    expect(back).toEqual(['[S.] 74', '[.] 66', '[R.] 54']);
  });
});

describe('expect.via naming no device', () => {
  it('is found alike whether the trace was kept (read at the end) or streamed (places gathered as it went)', () => {
    const classic = readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'classic-walk.yaml'), 'utf8');
    const r = loadScenarioText(classic.replace('node1:flannel.1', 'node1:flannel.9'), 'classic.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const kept = simulate(r.scenario).invalid;
    expect(kept?.map((p) => p.message)).toEqual([expect.stringMatching(/^no device node1:flannel\.9 \(devices of node1: lo, eth0, cbr0, flannel\.1/)]);
    expect(simulate(r.scenario, { keepTrace: false }).invalid).toEqual(kept);
  });
});
