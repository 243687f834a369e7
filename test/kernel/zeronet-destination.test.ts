import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// __mkroute_output refuses a destination in 0.0.0.0/8 (ipv4_is_zeronet) once the FIB found a route: connect()
// and sendmsg() fail with EINVAL and nothing reaches a device (no ARP for the gateway either).
describe('a local send to 0.0.0.0/8 fails with EINVAL at route output', () => {
  const r = loadScenarioText(
    `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: zeronet}
cluster: {network: flannel-vxlan, nodes: [{name: node1}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: curl}]}}
traffic:
  - {name: tcp, from: pod/client, to: 0.0.0.1, port: 80}
  - {name: udp, from: pod/client, to: 0.0.0.7, port: 53, protocol: UDP, at: 1ms}
`,
    'zeronet.yaml',
  );
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const res = simulate(r.scenario);

  it('TCP: the SYN is dropped in the pod, connect() ends at once', () => {
    expect(res.flows.find((f) => f.flow === 'tcp')).toMatchObject({ verdict: 'dropped', dropReason: 'zeronet-destination' });
    const tcp = res.events.find((e) => e.kind === 'tcp' && e.action === 'unreachable');
    expect(tcp && tcp.kind === 'tcp' ? tcp.detail : '').toBe('connect() failed with EINVAL (Invalid argument)');
    expect(res.events.some((e) => e.kind === 'tcp' && e.action === 'retransmit')).toBe(false);
  });

  it('UDP: the datagram is dropped the same way; nothing is bridged or ARPed', () => {
    expect(res.flows.find((f) => f.flow === 'udp')).toMatchObject({ verdict: 'dropped', dropReason: 'zeronet-destination' });
    expect(res.events.some((e) => e.kind === 'arp' || e.kind === 'tx')).toBe(false);
  });
});
