import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// Measured in throwaway namespaces (Linux 6.18): two clients behind `-o r3 -j MASQUERADE` send raw echo requests
// with id 4660 to one server; conntrack -L shows the first reply tuple with id=4660 and the second with another
// id (17688 in that run); with --random-fully both got random ids. Each client read its echo reply with id 4660.
const scenario = (flannel: string, steps = ''): string => `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: icmp-id}
cluster:
  network: host-gw
  nodes: [{name: node1}, {name: node2}]
  externalHosts: [{name: client, ip: 192.168.56.100}]
  flannel: ${flannel}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: a, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node1, containers: [{name: b, image: busybox}]}}
${steps}
traffic:
  - {name: ping-a, from: pod/a, to: host/client, protocol: ICMP, sourcePort: 4660, at: 1s}
  - {name: ping-b, from: pod/b, to: host/client, protocol: ICMP, sourcePort: 4660, at: 1001ms}
  - {name: ping-c, from: pod/b, to: host/client, protocol: ICMP, sourcePort: 4661, at: 1002ms}
`;

const run = (flannel: string, steps = '') => {
  const r = loadScenarioText(scenario(flannel, steps), 'icmp-id.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return simulate(r.scenario);
};

describe('nf_nat moves an ICMP echo id that clashes, as it moves a source port', () => {
  it('MASQUERADE without --random-fully: the first ping keeps its id, the second (same id, same destination) gets another; both answered', () => {
    const res = run('{ipMasqFullyRandomDisable: true}');
    const nat = (flow: string) => res.events.filter((e) => e.kind === 'nat' && e.at === 'node1' && e.type === 'MASQUERADE' && res.events.some((c) => c.kind === 'create' && c.pkt === e.pkt && c.flow === flow));
    const [a] = nat('ping-a');
    const [b] = nat('ping-b');
    const [c] = nat('ping-c');
    expect(a && a.kind === 'nat' && a.after).toBe('192.168.56.11 > 192.168.56.100');
    expect(b && b.kind === 'nat' && b.before).toBe('10.244.1.3 id 4660 > 192.168.56.100');
    expect(b && b.kind === 'nat' && b.after).toMatch(/^192\.168\.56\.11 id (\d+) > 192\.168\.56\.100$/);
    expect(b && b.kind === 'nat' && b.after).not.toContain('id 4660 ');
    // A different id does not clash: kept.
    expect(c && c.kind === 'nat' && c.after).toBe('192.168.56.11 > 192.168.56.100');
    // Each echo reply is turned back to its pod's address and id (the reverse NAT names the id it restores).
    const rev = res.events.filter((e) => e.kind === 'nat' && e.type === 'reverse' && e.at === 'node1');
    expect(rev.some((e) => e.kind === 'nat' && e.after === '192.168.56.100 > 10.244.1.3 id 4660')).toBe(true);
    // The pods' ping sockets read their answers (the sender's first answer: its round trip).
    for (const f of ['ping-a', 'ping-b', 'ping-c']) expect(res.flows.find((x) => x.flow === f)!.rttNs).toBeDefined();
  });

  it('--random-fully (flanneld’s default): every ping gets a random id, answered all the same', () => {
    const res = run('{}');
    const moved = res.events.filter((e) => e.kind === 'nat' && e.at === 'node1' && e.type === 'MASQUERADE');
    expect(moved.length).toBe(3);
    expect(moved.every((e) => e.kind === 'nat' && /^192\.168\.56\.11 id \d+ > /.test(e.after))).toBe(true);
    for (const f of ['ping-a', 'ping-b', 'ping-c']) expect(res.flows.find((x) => x.flow === f)!.rttNs).toBeDefined();
  });

  it('Linux before 5.0 (icmp_unique_tuple): ids from a rover of its own, from 0, even with --random-fully', () => {
    const res = run('{}', 'steps:\n  - {at: 0s, kernel: {node: node1, release: 4.19.0}}');
    const after = res.events.filter((e) => e.kind === 'nat' && e.at === 'node1' && e.type === 'MASQUERADE').map((e) => (e.kind === 'nat' ? e.after : ''));
    expect(after).toEqual(['192.168.56.11 id 0 > 192.168.56.100', '192.168.56.11 id 1 > 192.168.56.100', '192.168.56.11 id 2 > 192.168.56.100']);
  });
});
