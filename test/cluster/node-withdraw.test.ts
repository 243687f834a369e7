import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

/** node2 goes down at 1 s; flannel withdraws its subnet at 5 s; a client on node1 connects at 10 s. */
const scenario = (network: string): string => `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: node-down-${network}}
cluster:
  network: ${network}
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: web}, spec: {nodeName: node2, containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: curl}]}}
steps:
  - {at: 1s, node: {name: node2, state: down, withdrawRoutesAfter: 4s}}
traffic:
  - {name: before, from: pod/client, to: pod/web, port: 8080, at: 2s, timeout: 2s}
  - {name: after, from: pod/client, to: pod/web, port: 8080, at: 10s, timeout: 5s}
`;

const run = (network: string) => {
  const r = loadScenarioText(scenario(network));
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return simulate(r.scenario);
};

describe('node down: flannel withdraws the node subnet when its lease is removed (withdrawRoutesAfter)', () => {
  it("flannel-udp: flanneld forgets the lease and writes its own net unreachable into flannel0, which node1's kernel drops as a martian (its source is flannel0's own address)", () => {
    const res = run('flannel-udp');
    const before = res.flows.find((f) => f.flow === 'before')!;
    const after = res.flows.find((f) => f.flow === 'after')!;
    // Before the lease is removed flanneld still sends to node2's address, which never answers.
    expect(before.connection?.outcome).toBe('gave-up');
    expect(after).toMatchObject({ verdict: 'dropped', dropReason: 'no-route' });
    expect(after.dropDetail).toMatch(/^flanneld knows no node for 10\.244\.2\./);
    // send_net_unreachable: from 10.244.1.0 (flannel0), TTL 8, into the TUN; fib_validate_source refuses a local source.
    const icmp = res.events.find((e) => e.kind === 'create' && e.by === 'icmp' && e.at === 'node1:flanneld');
    expect(icmp && icmp.kind === 'create' && icmp.frame).toMatchObject({ src: '10.244.1.0', dst: '10.244.1.2', ttl: 8, info: 'ICMP net unreachable' });
    expect(res.events.some((e) => e.kind === 'drop' && e.pkt === icmp!.pkt && e.reason === 'martian')).toBe(true);
    expect(after.connection?.outcome).toBe('gave-up');
    expect(res.events.some((e) => e.kind === 'change' && e.change === 'routes' && e.detail.includes('withdrawn'))).toBe(true);
  });

  it("says what the withdrawal stands for: flannel's kube subnet manager removes a lease only with its Node object (no lease of its expires)", () => {
    const res = run('host-gw');
    const change = res.events.find((e) => e.kind === 'change' && e.change === 'routes');
    expect(change && change.kind === 'change' && change.detail).toBe(
      'flannel: the lease for 10.244.2.0/24 (node2) is removed (its Node object deleted, or an etcd lease not renewed within 24 h); 1 route(s) to it withdrawn on the other nodes',
    );
    expect(res.events.some((e) => e.kind === 'change' && e.detail.includes('expired'))).toBe(false);
  });

  it('flannel-vxlan: the withdrawn subnet falls to the default route; the gateway drops it and cannot send its ICMP back to a pod address', () => {
    const res = run('flannel-vxlan');
    const after = res.flows.find((f) => f.flow === 'after')!;
    expect(after).toMatchObject({ verdict: 'dropped', dropReason: 'no-route' });
    const drops = res.events.filter((e) => e.kind === 'drop' && e.reason === 'no-route');
    expect(drops.length).toBeGreaterThan(0);
    expect(drops.every((e) => e.kind === 'drop' && e.at === 'gateway')).toBe(true);
    // No ICMP error leaves the gateway: it has no route back to 10.244.1.0/24 (node1's own
    // host unreachable for the 'before' flow is another matter).
    expect(res.events.filter((e) => e.kind === 'icmp' && e.at === 'gateway').length).toBe(0);
    expect(after.connection?.outcome).toBe('gave-up');
  });
});
