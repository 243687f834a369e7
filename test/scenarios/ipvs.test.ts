import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExpectations } from '../../src/scenario/run/expect.js';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const dir = join(import.meta.dirname, '..', '..', 'scenarios');

/**
 * Where kube-proxy's ipvs mode really behaves differently from iptables mode
 * (docs/ipvs.md), as `file: flow` → the check that holds in ipvs mode instead.
 */
const DIFFERENCES: Record<string, (flows: ReturnType<typeof simulate>['flows']) => void> = {
  // The request is routed through the node (IPVS), not bridged back out of the pod's port: hairpin mode does not matter.
  'service-hairpin-off.yaml: pod-to-itself-via-service': (flows) => {
    expect(flows.find((f) => f.flow === 'pod-to-itself-via-service')!.verdict).toBe('delivered');
  },
  // service-no-endpoints.yaml says what ipvs mode does in its own `expect.ipvs` blocks (ip_vs_leave: ICMP port unreachable).
  // service-nftables.yaml is written for nftables mode: ipvs mode has no cluster-ips-check drop (the address is
  // routed, and nothing routes the service CIDR), and its Service without endpoints is an empty virtual service.
  'service-nftables.yaml: unallocated-cluster-ip': (flows) => expect(flows.find((f) => f.flow === 'unallocated-cluster-ip')!.dropReason).toBe('no-route'),
  'service-nftables.yaml: no-endpoints': (flows) => expect(flows.find((f) => f.flow === 'no-endpoints')!.dropReason).toBe('ipvs-no-destination'),
  // externalTrafficPolicy Local without a local endpoint falls back to the cluster's endpoints (kubernetes#97081).
  // ipvs mode serves NodePorts on the node's addresses only, never on 127.0.0.1: nothing listens there (reset), route_localnet or not.
  'sysctl-route-localnet.yaml: localhost-nodeport': (flows) => expect(flows.find((f) => f.flow === 'localhost-nodeport')!.dropReason).toBe('tcp-reset'),
  'service-nodeport.yaml: etp-local-without-endpoint': (flows) => expect(flows.find((f) => f.flow === 'etp-local-without-endpoint')!.verdict).toBe('delivered'),
};

describe('every scenario in ipvs mode (--proxy-mode ipvs): same outcomes except the documented differences', () => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
    it(f, () => {
      const r = loadScenarioFile(join(dir, f), { proxyMode: 'ipvs' });
      if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
      const res = simulate(r.scenario);
      const failed = new Set<string>();
      for (const m of checkExpectations(res.flows)) failed.add(`${f}: ${m.flow.replace(/#\d+$/, '')}`);
      const undocumented = [...failed].filter((k) => !DIFFERENCES[k]);
      expect(undocumented).toEqual([]);
      for (const [k, check] of Object.entries(DIFFERENCES)) if (k.startsWith(`${f}:`)) check(res.flows);
    });
  }
});

describe('ipvs: a real server on the node itself (hostNetwork endpoint)', () => {
  it('is delivered locally, and its answer leaves with the VIP as source (ip_vs_local_reply4)', () => {
    const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: hn}
cluster: {network: host-gw, proxyMode: ipvs, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: agent, labels: {app: agent}}, spec: {nodeName: node1, hostNetwork: true, containers: [{name: c, image: i, ports: [{containerPort: 9100}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: agent}, spec: {clusterIP: 10.96.0.50, selector: {app: agent}, ports: [{port: 9100}]}}
traffic:
  - {name: t, from: pod/client, to: service/agent, port: 9100}
`;
    const r = loadScenarioText(yaml, 'hn.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const res = simulate(r.scenario);
    expect(res.flows[0]).toMatchObject({ verdict: 'delivered', deliveredTo: 'node/node1' });
    const answer = res.events.find((e) => e.kind === 'deliver' && e.at === 'default/client:eth0' && e.to === 'tcp');
    expect(answer).toMatchObject({ src: '10.96.0.50', sport: 9100 });
  });
});
