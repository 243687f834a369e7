import { describe, expect, it } from 'vitest';
import { showRouteCache } from '../../src/kernel/show.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// An external client to a NodePort (externalTrafficPolicy Local: no masquerade) on the node of its endpoint.
// The node's own ICMP error already has the node's address as its outer source, so only the quoted header
// needs the DNAT undone (nf_nat_icmp_reply_translation rewrites it whatever the outer header is).
function scenario(service: string, traffic: string): string {
  return `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: icmp-nat-quoted}
cluster:
  network: flannel-vxlan
  nodes: [{name: node1}, {name: node2}]
  externalHosts: [{name: client, ip: 192.168.56.100}]
resources:
${service}
traffic:
${traffic}
`;
}

describe('an ICMP error about a DNATed connection quotes the address the client used', () => {
  it('frag-needed from the node: quoted dst <node IP>:<nodePort>, the client learns the path MTU for the node', () => {
    const text = scenario(`  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: web, image: app, ports: [{containerPort: 8080, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: NodePort, externalTrafficPolicy: Local, selector: {app: web}, ports: [{port: 80, protocol: UDP, targetPort: 8080, nodePort: 30081}]}}`,
    `  - {name: big, from: host/client, to: node/node2, protocol: UDP, port: 30081, payload: 1472, expect: {verdict: dropped, dropReason: frag-needed}}
  - {name: again, from: host/client, to: node/node2, protocol: UDP, port: 30081, payload: 1472, at: 1ms, expect: {verdict: delivered}}`);
    const r = loadScenarioText(text);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const res = simulate(r.scenario);
    expect(res.flows.map((f) => f.verdict)).toEqual(['dropped', 'delivered']);
    const icmp = res.events.find((e) => e.kind === 'deliver' && e.at === 'client:eth0' && e.to === 'icmp');
    expect(icmp).toBeDefined();
    // The client's kernel keys the learned MTU on the quoted destination.
    expect(showRouteCache(res.cluster.netns.get('client')!)).toMatch(/^192\.168\.56\.12 .*\n {4}cache expires \d+sec mtu 1450$/);
    const nat = res.events.find((e) => e.kind === 'nat' && e.type === 'reverse' && e.at === 'node2');
    // The trace shows the quoted header's change, as the reply it stands for.
    expect(nat).toMatchObject({ manip: 'src', before: expect.stringMatching(/^10\.244\.2\.2:8080 > 192\.168\.56\.100:\d+$/), after: expect.stringMatching(/^192\.168\.56\.12:30081 > 192\.168\.56\.100:\d+$/) });
  });

  it('host unreachable from a stale endpoint ends connect() with EHOSTUNREACH at once', () => {
    const text = scenario(`  - {apiVersion: v1, kind: Service, metadata: {name: gone}, spec: {type: NodePort, externalTrafficPolicy: Local, ports: [{port: 80, targetPort: 8080, nodePort: 30082}]}}
  - apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: gone-1, labels: {kubernetes.io/service-name: gone}}
    addressType: IPv4
    endpoints: [{addresses: [10.244.2.99], nodeName: node2}]
    ports: [{port: 8080, protocol: TCP}]`,
    `  - {name: stale, from: host/client, to: node/node2, protocol: TCP, port: 30082}`);
    const r = loadScenarioText(text);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const res = simulate(r.scenario);
    const end = res.events.find((e) => e.kind === 'tcp' && e.action === 'unreachable');
    expect(end).toMatchObject({ at: 'client', detail: expect.stringContaining('EHOSTUNREACH') });
    // ARP gives up after 3 s (3 probes): the first error ends the connect, no SYN after it.
    const syns = res.events.filter((e) => e.kind === 'tx' && e.at === 'client:eth0' && e.frame.proto === 'tcp');
    expect(syns.every((e) => e.t < end!.t)).toBe(true);
  });
});
