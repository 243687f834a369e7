import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// nf_nat_l4proto_unique_tuple searches an SCTP source port as it does a TCP or UDP one (the same case), and
// sctp_manip_pkt rewrites it and the CRC32c: flanneld's MASQUERADE --random-fully gives an SCTP client a random port.
const text = `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: sctp-masq}
cluster:
  network: host-gw
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node2, containers: [{name: b, image: diameter, ports: [{containerPort: 3868, protocol: SCTP}]}]}}
traffic:
  - {name: node-to-pod, from: node/node1, to: pod/b, protocol: SCTP, port: 3868}
`;

describe('nf_nat moves an SCTP source port as it moves a TCP or UDP one', () => {
  it('MASQUERADE --random-fully: a random port on the wire, the association completes through the NAT both ways', () => {
    const r = loadScenarioText(text, 'sctp.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const res = simulate(r.scenario);
    const nat = res.events.find((e) => e.kind === 'nat' && e.at === 'node1' && e.type === 'MASQUERADE');
    expect(nat && nat.kind === 'nat' && nat.before).toMatch(/^192\.168\.56\.11:(\d+) > 10\.244\.2\.2:3868$/);
    const port = (s: string): string => s.split(' > ')[0]!.split(':')[1]!;
    expect(nat && nat.kind === 'nat' && port(nat.after)).not.toBe(nat && nat.kind === 'nat' && port(nat.before));
    const f = res.flows.find((x) => x.flow === 'node-to-pod')!;
    expect(f).toMatchObject({ verdict: 'delivered', deliveredTo: 'pod/default/b' });
    expect(f.seenSource).toBe('192.168.56.11');
    // INIT ACK, COOKIE ACK and SACK came back un-NATed to the node's own port.
    expect(res.events.filter((e) => e.kind === 'nat' && e.type === 'reverse' && e.at === 'node1').length).toBeGreaterThanOrEqual(3);
  });
});
