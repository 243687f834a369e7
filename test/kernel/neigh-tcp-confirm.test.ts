import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// A connection exchanging acknowledged data every second for 60 s. Linux (reviewer hreview-ip, veth pair,
// timers shortened 30x): TCP's forward progress confirms the neighbour (tcp_ack -> sk_dst_confirm ->
// sock_confirm_neigh), so no ARP at all after the first exchange; one-way UDP between the same pair has
// unicast probes every reachable time.
const scenario = (proto: string, extra: string) => `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: tcpn}
cluster:
  network: host-gw
  nodes: [{name: node1}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node1, containers: [{name: c, image: busybox, ports: [{containerPort: 80, protocol: ${proto}}]}]}}
traffic:
  - {name: t, from: pod/a, to: pod/b, protocol: ${proto}, port: 80, count: 60, interval: 1s, reuseConnection: true${extra}}
`;

function arpRequestsAfterStart(text: string): number[] {
  const r = loadScenarioText(text, 'tcpn.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const res = simulate(r.scenario);
  return res.events.filter((e) => e.kind === 'arp' && e.action === 'request' && e.t > 1e6).map((e) => e.t);
}

describe('TCP confirms the neighbour', () => {
  it('a TCP connection making progress sends no ARP probe after the first exchange', () => {
    expect(arpRequestsAfterStart(scenario('TCP', ', reply: 100'))).toEqual([]);
  });

  it('one-way UDP between the same pods still probes', () => {
    expect(arpRequestsAfterStart(scenario('UDP', '')).length).toBeGreaterThan(0);
  });
});
