import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// A UDP client that bind()s a port and then connect()s keeps that port for every datagram it sends; a client
// that only connect()s gets an ephemeral one. `sourcePort` with `reuseConnection` is the first kind.
const scenario = `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: udp-sport}
cluster:
  network: flannel-vxlan
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: curl}]}}
  - apiVersion: v1
    kind: Pod
    metadata: {name: server}
    spec: {nodeName: node2, containers: [{name: s, image: app, ports: [{containerPort: 9000, protocol: UDP}]}]}
traffic:
  - {name: bound, from: pod/client, to: pod/server, protocol: UDP, port: 9000, sourcePort: 5000, reuseConnection: true, count: 3, reply: 20}
  - {name: ephemeral, from: pod/client, to: pod/server, protocol: UDP, port: 9000, reuseConnection: true, count: 2, reply: 20, at: 10ms}
  - {name: bound-again, from: pod/client, to: pod/server, protocol: UDP, port: 9000, sourcePort: 5000, reuseConnection: true, reply: 20, at: 20ms}
`;

describe('a connected UDP socket (reuseConnection) bound to sourcePort', () => {
  const r = loadScenarioText(scenario, 'udp-sport.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const res = simulate(r.scenario);
  // The source port the server's socket saw for each request of an item.
  const seen = (item: string): (number | undefined)[] =>
    res.flows.filter((f) => f.traffic.name === item).map((f) => res.events.find((e) => e.kind === 'deliver' && e.pkt === f.pkt && e.to === 'udp')).map((e) => (e?.kind === 'deliver' ? e.sport : undefined));

  it('sends every datagram from that port, and reads the answers on it', () => {
    expect(seen('bound')).toEqual([5000, 5000, 5000]);
    expect(seen('bound-again')).toEqual([5000]);
    for (const f of res.flows.filter((x) => x.traffic.name !== 'ephemeral')) expect(f.replySource).toBe('10.244.2.2:9000');
  });

  it('a socket connected without bind() to the same destination keeps its own ephemeral port', () => {
    const ports = seen('ephemeral');
    expect(ports).toHaveLength(2);
    expect(ports[0]).toBe(ports[1]);
    expect(ports[0]).not.toBe(5000);
    expect(ports[0]).toBeGreaterThanOrEqual(32768);
  });
});
