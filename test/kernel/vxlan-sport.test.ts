import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// flannel.1's outer UDP source port is udp_flow_src_port over the inner frame's flow hash (skb_get_hash): the
// dissector's keys made symmetric, with no ports for fragments or ICMP. Measured on Linux 6.18 with a flannel-style
// vxlan device (reviewer hreview-flannel): a 3000-byte datagram's fragments share one port, echoes of one id and their
// replies share one port (also across ids), an unconnected UDP request and its answer share one port.
const scenario = `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: vxlan-sport}
cluster:
  network: flannel-vxlan
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - apiVersion: v1
    kind: Pod
    metadata: {name: server}
    spec: {nodeName: node2, containers: [{name: s, image: app, ports: [{containerPort: 9000, protocol: UDP}, {containerPort: 53, protocol: UDP}]}]}
traffic:
  - {name: big, from: pod/client, to: pod/server, protocol: UDP, port: 53, payload: 3000}
  - {name: ping, from: pod/client, to: pod/server, protocol: ICMP, count: 4, at: 10ms}
  - {name: udp, from: pod/client, to: pod/server, protocol: UDP, port: 9000, reply: 20, count: 2, at: 20ms}
`;

describe('the VXLAN outer source port (udp_flow_src_port over the inner flow)', () => {
  const r = loadScenarioText(scenario, 'vxlan-sport.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const res = simulate(r.scenario);
  const flowOf = new Map<number, string | undefined>();
  for (const e of res.events) if (e.kind === 'create') flowOf.set(e.pkt, e.flow);
  /** Outer source ports of every encapsulation of an item's packets (requests and replies), in order. */
  const sports = (item: string): number[] =>
    res.events.flatMap((e) => (e.kind === 'encap' && (flowOf.get(e.pkt) ?? '').startsWith(item) ? [Number(/:(\d+) >/.exec(e.outer)![1])] : []));

  it("gives every fragment of a datagram the same port (no ports are keys of a fragment's hash)", () => {
    const ports = sports('big');
    expect(ports.length).toBe(3);
    expect(new Set(ports).size).toBe(1);
  });

  it('gives echo requests and replies of a pair of pods one port (ICMP has no ports to hash)', () => {
    const ports = sports('ping');
    expect(ports.length).toBe(8);
    expect(new Set(ports).size).toBe(1);
  });

  it('gives a UDP request and its answer one port (the hash is symmetric), and another source port another', () => {
    const byFlow = new Map<string, Set<number>>();
    for (const e of res.events) {
      const f = e.kind === 'encap' ? flowOf.get(e.pkt) : undefined;
      if (e.kind !== 'encap' || !f?.startsWith('udp')) continue;
      byFlow.set(f, (byFlow.get(f) ?? new Set()).add(Number(/:(\d+) >/.exec(e.outer)![1])));
    }
    expect([...byFlow.values()].map((s) => s.size)).toEqual([1, 1]);
    const [a, b] = [...byFlow.values()].map((s) => [...s][0]);
    expect(a).not.toBe(b);
    for (const p of [a!, b!]) expect(p).toBeGreaterThanOrEqual(32768);
  });
});
