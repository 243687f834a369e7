import { readdirSync, readFileSync } from 'node:fs';
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
  // nftables mode's --nodeport-addresses defaults to `primary`; ipvs mode, as iptables mode, opens NodePorts on every
  // local address but loopback (upstream: GetAllLocalAddressesExcept(kube-ipvs0)), cbr0's included.
  // ingress-nginx's service-upstream to a port the Service lacks: KUBE-IPVS-FILTER rejects a new connection to a
  // Service IP that no virtual service took (icmp-port-unreachable) on the node, where iptables mode routes it on.
  'ingress-backend-port.yaml: service-upstream-unchecked-number': (flows) => {
    const f = flows.find((x) => x.flow === 'service-upstream-unchecked-number')!;
    expect([f.dropReason, f.http?.status]).toEqual(['netfilter-reject', 502]);
    expect(f.dropDetail).toContain('KUBE-IPVS-FILTER');
  },
  'service-nftables.yaml: nodeport-on-bridge-address': (flows) => expect(flows.find((f) => f.flow === 'nodeport-on-bridge-address')!.verdict).toBe('delivered'),
  // externalTrafficPolicy Local without a local endpoint falls back to the cluster's endpoints (kubernetes#97081).
  // ipvs mode serves NodePorts on the node's local addresses but never on 127.0.0.1: nothing listens there (reset), route_localnet or not.
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

describe('ipvs during change: graceful termination and expire_nodest_conn (scenarios/ipvs-graceful-termination.yaml)', () => {
  const r = loadScenarioFile(join(dir, 'ipvs-graceful-termination.yaml'));
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  const res = simulate(r.scenario);
  const syncs = res.events.flatMap((e) => (e.kind === 'change' && e.change === 'proxy-sync' ? [e] : []));

  it('a TCP real server with a connection gets weight 0 on its node, is deleted where it has none, and goes at the minute check after its last connection', () => {
    const quiesce = syncs.find((e) => e.detail.startsWith('ipvsadm -e -t 10.96.0.11:80 -r 10.244.1.45:8080 -m -w 0'))!;
    expect([quiesce.at, quiesce.t]).toEqual(['node1', 5e9]);
    expect(quiesce.detail).toContain('1 active, 0 inactive');
    expect(syncs.some((e) => e.at === 'node2' && e.t === 5e9 && e.detail === 'ipvsadm -d -t 10.96.0.11:80 -r 10.244.1.45:8080 (endpoint gone)')).toBe(true);
    // The pod's process exits at 35 s and closes the connection (its FIN, the client's in turn): the IPVS entry
    // leaves ESTABLISHED (900 s) for the closing states and expires within 120 s; kube-proxy's check every 60 s.
    const long = res.flows.filter((f) => f.flow.startsWith('long-lived#'));
    expect(long.map((f) => f.connection?.outcome)).toEqual([...Array(19).fill('complete'), 'closed']);
    const fin = res.events.find((e) => e.kind === 'tcp' && e.flow === 'long-lived#20' && e.action === 'closed')!;
    expect(fin.t).toBeGreaterThan(35e9);
    expect(fin.t).toBeLessThan(35.001e9);
    const gone = syncs.find((e) => e.detail.startsWith('ipvsadm -d -t 10.96.0.11:80 -r 10.244.1.45:8080 (graceful termination'))!;
    expect([gone.at, gone.t]).toEqual(['node1', 180e9]);
  });

  it('UDP real servers are deleted at once; expire_nodest_conn = 1 loses nothing once the conntrack entry is cleaned, 0 drops until the entry times out', () => {
    expect(syncs.filter((e) => e.detail.startsWith('ipvsadm -d -u 10.96.0.12:8125 -r 10.244.1.146:8125')).map((e) => [e.at, e.t])).toEqual([['node1', 10e9], ['node2', 10e9]]);
    const stale = res.flows.filter((f) => f.flow.startsWith('metrics-a-stale'));
    expect(stale.every((f) => f.dropReason === 'ipvs-dest-unavailable')).toBe(true);
    expect(res.flows.filter((f) => f.flow.startsWith('metrics-b-after')).every((f) => f.verdict === 'delivered')).toBe(true);
  });

  it('with expire_nodest_conn = 1 and no conntrack clean-up, one datagram is dropped and the next is scheduled anew', () => {
    const text = readFileSync(join(dir, 'ipvs-graceful-termination.yaml'), 'utf8').replace('net.ipv4.vs.expire_nodest_conn: 0', 'net.ipv4.vs.expire_nodest_conn: 1').replace('steps:\n', 'steps:\n  - {at: 0s, kubeProxy: {conntrackCleanup: false}}\n');
    const r2 = loadScenarioText(text, 'ipvs-graceful-termination.yaml');
    if (!r2.ok) throw new Error(r2.problems.map((p) => p.message).join('\n'));
    const flows = simulate(r2.scenario).flows.filter((f) => f.flow.startsWith('metrics-a-stale'));
    expect(flows[0]!.dropReason).toBe('ipvs-dest-unavailable');
    expect(flows[0]!.dropDetail).toContain('expire_nodest_conn = 1');
    expect(flows.slice(1).every((f) => f.verdict === 'delivered')).toBe(true);
  });
});

describe('ipvs: a Service change re-syncs its virtual server in place (syncService: UpdateVirtualServer)', () => {
  it('affinity on, its timeout changed, affinity off: ipvsadm -E each time, the real servers kept', () => {
    const text = readFileSync(join(dir, 'service-affinity-applied.yaml'), 'utf8').replace(/\nsteps:\n/, `
steps:
  - at: 2s
    apply: {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 30}}, ports: [{port: 80, targetPort: http}]}}
  - at: 3s
    apply: {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}}
`);
    const r = loadScenarioText(text, 'applied.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const res = simulate({ ...r.scenario, cluster: { ...r.scenario.cluster, proxyMode: 'ipvs' } });
    const edits = res.events.flatMap((e) => (e.kind === 'change' && e.change === 'proxy-sync' && e.at === 'node1' && e.detail.startsWith('ipvsadm -E') ? [`${e.t / 1e9} ${e.detail}`] : []));
    expect(edits).toEqual(['1 ipvsadm -E -t 10.96.0.11:80 -s rr -p 10800 (Service changed)', '2 ipvsadm -E -t 10.96.0.11:80 -s rr -p 30 (Service changed)', '3 ipvsadm -E -t 10.96.0.11:80 -s rr (Service changed)']);
    // No real server was deleted or added by the changes: the three endpoints' real servers from the start stay.
    expect(res.events.some((e) => e.kind === 'change' && e.change === 'proxy-sync' && e.t > 0 && /ipvsadm -[ad] -t 10\.96\.0\.11:80/.test(e.detail))).toBe(false);
    // Without affinity again, the six connections at 5 s spread over the three real servers (rr).
    expect(new Set(res.flows.map((f) => f.deliveredTo)).size).toBe(3);
  });
});
