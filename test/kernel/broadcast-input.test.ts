import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// A pod's datagram to another node's subnet broadcast (10.244.2.255) reaches node2 by a unicast route and is
// routed there by the local table's `broadcast 10.244.2.255 dev cbr0` (RTCF_BROADCAST). Linux (measured by reviewer
// hreview-flannel on 6.18 with flannel-style devices): icmp_rcv ignores the echo request
// (icmp_echo_ignore_broadcasts = 1), __udp4_lib_mcast_deliver takes the UDP datagram without an ICMP error, no RST
// answers TCP; the same datagram to node2's own 10.244.2.1 gets its port unreachable.
const scenario = (network: string): string => `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: bcast}
cluster:
  network: ${network}
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: pod1}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: pod4}, spec: {nodeName: node2, containers: [{name: s, image: app, ports: [{containerPort: 9000, protocol: UDP}]}]}}
traffic:
  - {name: bcast-icmp, from: pod/pod1, to: 10.244.2.255, protocol: ICMP}
  - {name: bcast-udp, from: pod/pod1, to: 10.244.2.255, protocol: UDP, port: 9000, at: 1ms}
  - {name: bcast-tcp, from: pod/pod1, to: 10.244.2.255, protocol: TCP, port: 80, at: 2ms}
  - {name: unicast-udp, from: pod/pod1, to: 10.244.2.1, protocol: UDP, port: 9000, at: 3ms}
`;

describe.each(['flannel-vxlan', 'host-gw', 'flannel-udp'])('%s: a datagram to a remote subnet broadcast', (network) => {
  const r = loadScenarioText(scenario(network), 'bcast.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const res = simulate(r.scenario);
  const flow = (name: string) => res.flows.find((f) => f.traffic.name === name)!;
  /** What node2's kernel sent back because of the item's request (echo replies, ICMP errors, RSTs). */
  const answers = (name: string) => res.events.filter((e) => e.kind === 'create' && e.at === 'node2' && e.flow === flow(name).flow && (e.by === 'icmp' || e.by === 'tcp'));

  it('an echo request is not answered (icmp_echo_ignore_broadcasts)', () => {
    expect(flow('bcast-icmp').verdict).toBe('dropped');
    expect(flow('bcast-icmp').dropReason).toBe('broadcast-ignored');
    expect(answers('bcast-icmp')).toEqual([]);
  });

  it('UDP to a port with no socket gets no ICMP port unreachable', () => {
    expect(flow('bcast-udp').dropReason).toBe('broadcast-ignored');
    expect(answers('bcast-udp')).toEqual([]);
  });

  it('TCP gets no RST', () => {
    expect(flow('bcast-tcp').dropReason).toBe('broadcast-ignored');
    expect(answers('bcast-tcp')).toEqual([]);
  });

  it("the same datagram to the node's own address still gets its port unreachable", () => {
    expect(flow('unicast-udp').dropReason).toBe('port-unreachable');
    expect(answers('unicast-udp').map((e) => (e.kind === 'create' ? e.by : ''))).toEqual(['icmp']);
  });
});
