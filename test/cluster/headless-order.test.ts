import { describe, expect, it } from 'vitest';
import { roundRobin } from '../../src/cluster/dns/coredns-loadbalance.js';
import { sortDestinations } from '../../src/cluster/dns/gai-sort.js';
import { Rng, Scheduler } from '../../src/engine/index.js';
import { NetNs, World } from '../../src/kernel/index.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { Tracer } from '../../src/trace/tracer.js';
import { formatIpv4, parseIpv4 } from '../../src/wire/addr.js';
import { DNS_A, DNS_CLASS_IN, DNS_CNAME, type DnsRecord } from '../../src/wire/dns.js';

const ip = (s: string): number => parseIpv4(s)!;
const a = (addr: string): DnsRecord => ({ name: 'db.default.svc.cluster.local', type: DNS_A, cls: DNS_CLASS_IN, ttl: 30, data: { kind: 'a', ip: ip(addr) } });

describe("getaddrinfo's order (glibc rfc3484_sort) for a pod's IPv4 destinations", () => {
  it('addresses in the source address’s subnet first, longest common prefix first; the rest in the answer’s order (glibc 2.36 from 10.244.2.2/24)', () => {
    const ns = new NetNs(new World(new Scheduler(), new Rng(1), new Tracer(false)), 'pod');
    const eth0 = ns.addUplink('eth0');
    ns.addAddress(eth0, '10.244.2.2/24');
    ns.addRoute('default', { via: '10.244.2.1', dev: eth0 });
    const sorted = sortDestinations(ns, ['10.244.1.9', '10.244.3.4', '10.244.2.200', '10.244.2.3'].map(ip)).map(formatIpv4);
    expect(sorted).toEqual(['10.244.2.3', '10.244.2.200', '10.244.1.9', '10.244.3.4']);
  });
});

describe("CoreDNS's loadbalance (round_robin): each answer's addresses in a new order", () => {
  it('shuffles A records with seeded draws (a permutation, the same for the same seed); CNAMEs stay in front', () => {
    const recs = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map(a);
    const orders = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const out = roundRobin(recs, new Rng(seed));
      const ips = (l: DnsRecord[]): number[] => l.map((r) => (r.data.kind === 'a' ? r.data.ip : 0)).sort((x, y) => x - y);
      expect(ips(out)).toEqual(ips(recs));
      expect(roundRobin(recs, new Rng(seed))).toEqual(out);
      orders.add(out.map((r) => (r.data.kind === 'a' ? formatIpv4(r.data.ip) : '')).join(' '));
    }
    expect(orders.size).toBeGreaterThan(5);
    const cname: DnsRecord = { name: 'ext.default.svc.cluster.local', type: DNS_CNAME, cls: DNS_CLASS_IN, ttl: 30, data: { kind: 'cname', target: 'db.default.svc.cluster.local' } };
    expect(roundRobin([cname, ...recs], new Rng(3))[0]).toBe(cname);
  });
});

describe('a headless Service looked up by name: the client connects where getaddrinfo puts first', () => {
  const scenario = (seed: number): string => `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: headless-order}
cluster: {network: flannel-vxlan, seed: ${seed}, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: db-a, labels: {app: db}}, spec: {nodeName: node2, containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: db-b, labels: {app: db}}, spec: {nodeName: node1, containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: db-c, labels: {app: db}}, spec: {nodeName: node2, containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: db}, spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: psql}]}}
traffic:
  - {name: q1, from: pod/client, to: db, port: 5432}
  - {name: q2, from: pod/client, to: db, port: 5432, at: 1s}
  - {name: q3, from: pod/client, to: db, port: 5432, at: 2s}
`;

  it('from node1, whatever order CoreDNS shuffled the records into, the endpoint in the client’s own /24 (on node1)', () => {
    for (const seed of [1, 2, 3, 4]) {
      const r = loadScenarioText(scenario(seed), 'headless.yaml');
      if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
      const res = simulate(r.scenario);
      for (const f of res.flows) expect(f).toMatchObject({ verdict: 'delivered', deliveredTo: 'pod/default/db-b' });
    }
  });
});
