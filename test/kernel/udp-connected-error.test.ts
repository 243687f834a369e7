import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// __udp4_lib_err: a connected UDP socket without IP_RECVERR keeps a hard ICMP error (port unreachable ...) as
// sk_err; its next send() fails with it (ECONNREFUSED), sends nothing and clears it, so the one after goes out
// again. An unconnected socket is never told. (Measured on Linux: connected sends alternate sent / ECONNREFUSED.)
const scenario = `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: udp-connected-refused}
cluster:
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: c}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: srv, labels: {app: srv}}, spec: {nodeName: node2, containers: [{name: s, image: s, ports: [{containerPort: 9000, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: none}, spec: {clusterIP: 10.96.0.60, selector: {app: nobody}, ports: [{port: 8125, protocol: UDP}]}}
traffic:
  - {name: m, from: pod/client, to: pod/srv, protocol: UDP, port: 9999, reuseConnection: true, count: 4, interval: 100ms}
  - {name: u, from: pod/client, to: pod/srv, protocol: UDP, port: 9999, count: 4, interval: 100ms, at: 1s}
  - {name: b, from: pod/client, to: pod/srv, protocol: UDP, port: 9999, sourcePort: 5000, reuseConnection: true, count: 3, interval: 100ms, at: 2s}
  - {name: s, from: pod/client, to: service/none, protocol: UDP, port: 8125, reuseConnection: true, count: 3, interval: 100ms, at: 3s}
  - {name: ok, from: pod/client, to: pod/srv, protocol: UDP, port: 9000, reuseConnection: true, count: 3, interval: 100ms, at: 4s}
`;

describe('a connected UDP socket with a pending ICMP error', () => {
  const r = loadScenarioText(scenario, 'udp-connected-refused.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const res = simulate(r.scenario);
  const fates = (item: string): string[] => res.flows.filter((f) => f.traffic.name === item).map((f) => `${f.dropReason ?? f.verdict}${f.pkt === undefined ? ' (nothing sent)' : ''}`);

  it('fails every other send() with ECONNREFUSED and sends nothing then', () => {
    expect(fates('m')).toEqual(['port-unreachable', 'send-error (nothing sent)', 'port-unreachable', 'send-error (nothing sent)']);
    const failed = res.flows.find((f) => f.flow === 'm#2')!;
    expect(failed.dropDetail).toMatch(/^send\(\) failed with ECONNREFUSED, the socket's pending error \(ICMP port unreachable from 10\.244\.2\.2/);
    // Nothing of m#2 exists: no packet names it.
    expect(res.events.some((e) => e.kind === 'create' && e.flow === 'm#2')).toBe(false);
  });

  it('an unconnected socket is never told: all four are sent', () => {
    expect(fates('u')).toEqual(['port-unreachable', 'port-unreachable', 'port-unreachable', 'port-unreachable']);
  });

  it('a socket bound to sourcePort then connected is told too', () => {
    expect(fates('b')).toEqual(['port-unreachable', 'send-error (nothing sent)', 'port-unreachable']);
  });

  it("kube-proxy's REJECT for a Service with no endpoint refuses the next send (statsd to an empty Service)", () => {
    expect(fates('s')).toEqual(['netfilter-reject', 'send-error (nothing sent)', 'netfilter-reject']);
  });

  it('a socket that hears no error sends every datagram', () => {
    expect(fates('ok')).toEqual(['delivered', 'delivered', 'delivered']);
  });
});
