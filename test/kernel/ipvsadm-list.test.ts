import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/api/index.js';

const scenario = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: ipvsadm-list}
cluster:
  network: host-gw
  proxyMode: ipvs
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: b, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 8080}, {containerPort: 53, protocol: UDP}, {containerPort: 3868, protocol: SCTP}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {app: web}}, spec: {nodeName: node1, containers: [{name: c, image: i, ports: [{containerPort: 8080}, {containerPort: 53, protocol: UDP}, {containerPort: 3868, protocol: SCTP}]}]}}
  - apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      type: NodePort
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}, {name: dns, port: 53, protocol: UDP}, {name: diameter, port: 3868, protocol: SCTP}]
`;

// The formats are ipvsadm 1.31's (Debian's binary: "%-4s %s", "%s %s", "  -> %-28s %-7s %-6d %-10u %-10u"),
// the order libipvs's ipvs_cmp_services / ipvs_cmp_dests.
describe('ipvsadm -Ln as ipvsadm prints it', () => {
  it('names a service "TCP  10.96.0.1:443 rr", pads every real-server column, and sorts as libipvs does', () => {
    const sim = Simulation.fromYaml(scenario);
    sim.runUntil('1ms');
    const lines = sim.state('node1').ipvs().split('\n');
    expect(lines).toContain('TCP  10.96.0.1:443 rr');
    const services = lines.filter((l) => /^(TCP|UDP|SCTP) /.test(l));
    // Protocol number first (TCP 6, UDP 17, SCTP 132), so SCTP is listed last.
    const protocols = services.map((l) => l.split(' ')[0]);
    expect(protocols).toEqual([...protocols].sort((x, y) => ['TCP', 'UDP', 'SCTP'].indexOf(x!) - ['TCP', 'UDP', 'SCTP'].indexOf(y!)));
    expect(protocols.at(-1)).toBe('SCTP');
    expect(services.some((l) => l.startsWith('SCTP 10.96.'))).toBe(true);
    // The address difference is a C int: 192.168.56.11 - 10.96.0.1 is over 2^31, so the node IP sorts first.
    const tcp = services.filter((l) => l.startsWith('TCP'));
    expect(tcp[0]).toBe('TCP  192.168.56.11:30080 rr');
    expect(tcp.indexOf('TCP  10.96.0.1:443 rr')).toBeGreaterThan(0);
    // Real servers sorted by address, each column padded, the last one too.
    const http = lines.indexOf(tcp.find((l) => / 10\.96\.\d+\.\d+:80 rr$/.test(l))!);
    expect(lines.slice(http + 1, http + 3)).toEqual(['  -> 10.244.1.2:8080              Masq    1      0          0         ', '  -> 10.244.2.2:8080              Masq    1      0          0         ']);
  });
});
