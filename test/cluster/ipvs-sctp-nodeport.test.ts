import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/api/index.js';

const scenario = (mode: string): string => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: sctp-nodeport}
cluster:
  network: flannel-vxlan
  proxyMode: ${mode}
  nodes: [{name: node1}, {name: node2}]
  externalHosts: [{name: client, ip: 192.168.56.100}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: diameter, labels: {app: diameter}}, spec: {nodeName: node2, containers: [{name: d, image: diameter, ports: [{containerPort: 3868, protocol: SCTP}]}]}}
  - apiVersion: v1
    kind: Service
    metadata: {name: diameter}
    spec: {type: NodePort, selector: {app: diameter}, ports: [{port: 3868, protocol: SCTP, nodePort: 30868}]}
traffic:
  - {name: via-node1, from: host/client, to: 192.168.56.11, protocol: SCTP, port: 30868}
`;

describe('kube-proxy ipvs mode: SCTP NodePorts', () => {
  it('fill KUBE-NODE-PORT-SCTP-HASH (hash:ip,port, one entry per node address), so the association is masqueraded as in iptables mode', () => {
    const ipvs = Simulation.fromYaml(scenario('ipvs'));
    ipvs.runUntil('1ms');
    const sets = ipvs.state('node1').ipsets();
    expect(sets).toMatch(/Name: KUBE-NODE-PORT-SCTP-HASH\nType: hash:ip,port[^]*?Members:\n(\S+\n)*192\.168\.56\.11,sctp:30868\n/);
    expect(sets).toMatch(/Name: KUBE-NODE-PORT-LOCAL-SCTP-HASH\nType: hash:ip,port[^]*?Members:\n\n/);
    // iptables-save escapes a quote in a comment (xtables_save_string).
    expect(ipvs.state('node1').iptables()).toContain(`-A KUBE-NODE-PORT -p sctp -m comment --comment "Kubernetes nodeport SCTP port for masquerade purpose with type \\'hash ip:port\\'" -m set --match-set KUBE-NODE-PORT-SCTP-HASH dst,dst -j KUBE-MARK-MASQ`);
    const flow = ipvs.run().flow('via-node1');
    const iptables = Simulation.fromYaml(scenario('iptables')).run().flow('via-node1');
    expect(flow.verdict).toBe('delivered');
    expect(flow.seenSource).toBe(iptables.seenSource);
    expect(flow.seenSource).not.toBe('192.168.56.100');
  });
});
