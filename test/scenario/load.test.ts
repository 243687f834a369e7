import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { Rng } from '../../src/engine/rng.js';

// Copies of ../shared/examples (the contract's own examples), so a clean clone can run them.
const shared = join(import.meta.dirname, 'fixtures');

const base = (cluster: string, resources = '', traffic = ''): string => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: t}
cluster:
  network: host-gw
${cluster}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: p1}, spec: {nodeName: a, containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}}
${resources}
traffic:
${traffic}
`;
const nodes = '  nodes: [{name: a}, {name: b}]';

function problems(text: string): string[] {
  const r = loadScenarioText(text, 'x.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('loading', () => {
  it('fills in the contract defaults', () => {
    const r = loadScenarioText(base(nodes, '  - {apiVersion: v1, kind: Pod, metadata: {name: p2}, spec: {containers: [{name: c, image: i}]}}', '  - {name: f, from: pod/p1, to: pod/p2, protocol: UDP, port: 53}'), 'x.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const s = r.scenario;
    expect(s.cluster.nodes.map((n) => [n.name, n.ip, n.podCIDR])).toEqual([
      ['a', '192.168.56.11', '10.244.1.0/24'],
      ['b', '192.168.56.12', '10.244.2.0/24'],
    ]);
    expect(s.cluster.underlay).toEqual({ cidr: '192.168.56.0/24', mtu: 1500, bandwidthBps: 10e9, latencyNs: 50_000, gateway: '192.168.56.1' });
    expect(s.pods.filter((p) => !p.builtin).map((p) => [p.name, p.nodeName, p.ip])).toEqual([
      ['p1', 'a', '10.244.1.2'],
      ['p2', 'a', '10.244.1.3'], // round-robin over unscheduled pods starts at the first node
    ]);
    expect(s.traffic[0]).toMatchObject({ protocol: 'UDP', port: 53, payload: 64, count: 1, atNs: 0 });
  });

  it("hands out clusterCIDR's first /24 only when no other is free: a /24 clusterCIDR gives its one node all of it", () => {
    const one = loadScenarioText(base('  clusterCIDR: 10.244.0.0/24\n  nodes: [{name: a}]'), 'x.yaml');
    if (!one.ok) throw new Error(one.problems.map(formatProblem).join('\n'));
    expect(one.scenario.cluster.nodes.map((n) => n.podCIDR)).toEqual(['10.244.0.0/24']);
    expect(one.scenario.pods.find((p) => p.name === 'p1')!.ip).toBe('10.244.0.2');
    // A /23: .1.0 first (the format's numbering), then .0.0; a third node finds none.
    const two = loadScenarioText(base('  clusterCIDR: 10.244.0.0/23\n  nodes: [{name: a}, {name: b}]'), 'x.yaml');
    if (!two.ok) throw new Error(two.problems.map(formatProblem).join('\n'));
    expect(two.scenario.cluster.nodes.map((n) => n.podCIDR)).toEqual(['10.244.1.0/24', '10.244.0.0/24']);
    expect(problems(base('  clusterCIDR: 10.244.0.0/23\n  nodes: [{name: a}, {name: b}, {name: c}]'))).toEqual([expect.stringMatching(/no free \/24 left in clusterCIDR 10\.244\.0\.0\/23 for node c/)]);
    // An explicit podCIDR holding the first /24 keeps it from the fallback.
    expect(problems(base('  clusterCIDR: 10.244.0.0/24\n  nodes: [{name: a, podCIDR: 10.244.0.0/25}, {name: b}]'))).toEqual([expect.stringMatching(/no free \/24 left in clusterCIDR 10\.244\.0\.0\/24 for node b/)]);
  });

  it('loads the shared contract example', () => {
    const r = loadScenarioFile(join(shared, 'contract-walk.yaml'));
    expect(r.ok).toBe(true);
  });

  it('points at the invalid podCIDR of the shared bad-input example', () => {
    const r = loadScenarioFile(join(shared, 'bad-input.yaml'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatProblem(r.problems[0]!)).toMatch(/bad-input\.yaml:11:16: cluster\.nodes\[1\]\.podCIDR: expected an IPv4 CIDR/);
  });

  it('reads included manifests and points into them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-inc-'));
    writeFileSync(join(dir, 'app.yaml'), '---\napiVersion: v1\nkind: Pod\nmetadata: {name: inc}\nspec:\n  containers: [{name: c, image: i, ports: [{containerPort: 99999}]}]\n');
    writeFileSync(join(dir, 's.yaml'), base(nodes).replace('traffic:', 'include: [app.yaml]\ntraffic:'));
    const r = loadScenarioFile(join(dir, 's.yaml'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatProblem(r.problems[0]!)).toMatch(/^app\.yaml:6:\d+: .*containerPort: expected an integer between 1 and 65535, found 99999/);
  });
});

describe('bad input: one line per problem, file:line:col, field path, what was expected', () => {
  const cases: [string, string, RegExp][] = [
    ['YAML syntax', 'apiVersion: podwalk/v1alpha1\nkind: [oops\n', /^x\.yaml:\d+:\d+: \(yaml\)/],
    ['unknown top-level field', base(nodes).replace('traffic:', 'trafic:'), /trafic: unknown field trafic \(did you mean traffic\?\)/],
    ['unknown cluster field', base(nodes + '\n  netwrk: host-gw'), /cluster\.netwrk: unknown field netwrk \(did you mean network\?\)/],
    ['bad network', base(nodes).replace('network: host-gw', 'network: calico'), /cluster\.network: expected one of host-gw, flannel-vxlan, flannel-udp, found calico/],
    ['invalid CIDR', base('  nodes: [{name: a, podCIDR: 10.244.300.0/24}]'), /x\.yaml:6:\d+: cluster\.nodes\[0\]\.podCIDR: expected an IPv4 CIDR/],
    ['overlapping podCIDRs', base('  nodes: [{name: a, podCIDR: 10.244.1.0/24}, {name: b, podCIDR: 10.244.1.0/25}]'), /podCIDR 10\.244\.1\.0\/25 overlaps node a's 10\.244\.1\.0\/24/],
    ['podCIDR outside clusterCIDR', base('  nodes: [{name: a, podCIDR: 10.10.1.0/24}]'), /is not inside clusterCIDR 10\.244\.0\.0\/16/],
    ['node IP outside underlay', base('  nodes: [{name: a, ip: 10.0.0.5}, {name: b}]'), /cluster\.nodes\[0\]\.ip: 10\.0\.0\.5 is not a usable host address of the underlay/],
    ['duplicate node IP', base('  nodes: [{name: a, ip: 192.168.56.20}, {name: b, ip: 192.168.56.20}]'), /192\.168\.56\.20 is already used by node a/],
    ['duplicate node name', base('  nodes: [{name: a}, {name: a}]'), /duplicate name a/],
    ['external host port out of range', base(nodes + '\n  externalHosts: [{name: db, ip: 192.168.56.50, ports: [{port: 70000}]}]'), /cluster\.externalHosts\[0\]\.ports\[0\]\.port: expected an integer between 1 and 65535, found 70000/],
    ['external host port twice', base(nodes + '\n  externalHosts: [{name: db, ip: 192.168.56.50, ports: [{port: 5432}, {port: 5432, protocol: TCP}]}]'), /ports\[1\]\.port: duplicate port 5432\/TCP/],
    ['external host port without port', base(nodes + '\n  externalHosts: [{name: db, ip: 192.168.56.50, ports: [{protocol: UDP}]}]'), /ports\[0\]\.port: required/],
    ['underlay MTU too small for VXLAN', base(nodes + '\n  underlay: {mtu: 100}').replace('network: host-gw', 'network: flannel-vxlan'), /cluster\.underlay\.mtu: underlay MTU 100 leaves 50 bytes for pods after flannel-vxlan's 50 bytes of headers/],
    ['hostNetwork pod on the VXLAN port', base(nodes, '  - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {hostNetwork: true, nodeName: a, containers: [{name: c, image: i, ports: [{containerPort: 8472, protocol: UDP}]}]}}').replace('network: host-gw', 'network: flannel-vxlan'), /wants UDP port 8472, which flannel-vxlan already uses on node a/],
    ['bad latency', base(nodes + '\n  underlay: {latency: 50}'), /cluster\.underlay\.latency: expected a duration with a unit/],
    ['unknown kind', base(nodes, '  - {apiVersion: v1, kind: Gizmo, metadata: {name: g}}'), /unknown kind Gizmo/],
    ['missing namespace', base(nodes, '  - {apiVersion: v1, kind: Pod, metadata: {name: q, namespace: shop}, spec: {containers: [{name: c, image: i}]}}'), /namespace shop not found \(declare a Namespace\)/],
    ['dangling nodeName', base(nodes, '  - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {nodeName: zz, containers: [{name: c, image: i}]}}'), /spec\.nodeName: no node named zz \(nodes: a, b\)/],
    ['unknown container field', base(nodes, '  - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {containers: [{name: c, image: i, port: 80}]}}'), /containers\[0\]\.port: unknown field port \(did you mean ports\?\)/],
    ['pod IP outside subnet', base(nodes, '  - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {nodeName: b, containers: [{name: c, image: i}]}, status: {podIP: 10.244.1.9}}'), /status\.podIP: podIP 10\.244\.1\.9 is not a pod address of node b's podCIDR 10\.244\.2\.0\/24/],
    ['pod IP is the gateway', base(nodes, '  - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {nodeName: a, containers: [{name: c, image: i}]}, status: {podIP: 10.244.1.1}}'), /bridge gateway/],
    ['duplicate pod IP', base(nodes, '  - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {nodeName: a, containers: [{name: c, image: i}]}, status: {podIP: 10.244.1.5}}\n  - {apiVersion: v1, kind: Pod, metadata: {name: r}, spec: {nodeName: a, containers: [{name: c, image: i}]}, status: {podIP: 10.244.1.5}}'), /podIP 10\.244\.1\.5 is already used by pod default\/q: no two pods share an address; give pod default\/r another one of node a's podCIDR .*, or leave its podIP out and podwalk allocates one/],
    ['duplicate pod', base(nodes, '  - {apiVersion: v1, kind: Pod, metadata: {name: p1}, spec: {containers: [{name: c, image: i}]}}'), /duplicate Pod default\/p1/],
    ['dangling traffic ref', base(nodes, '', '  - {name: f, from: pod/default/nope, to: pod/p1, port: 80}'), /traffic\[0\]\.from: no pod default\/nope \(pods in default: p1\)/],
    ['port out of range', base(nodes, '', '  - {name: f, from: pod/p1, to: pod/p1, port: 70000}'), /traffic\[0\]\.port: expected an integer between 1 and 65535, found 70000/],
    ['port on ICMP', base(nodes, '', '  - {name: f, from: pod/p1, to: pod/p1, protocol: ICMP, port: 1}'), /ICMP has no ports/],
    ['unknown drop reason', base(nodes, '', '  - {name: f, from: pod/p1, to: 10.0.0.1, port: 1, expect: {dropReason: no-rout}}'), /unknown drop reason no-rout \(did you mean no-route\?\)/],
    ['bad via', base(nodes, '', '  - {name: f, from: pod/p1, to: 10.0.0.1, port: 1, expect: {via: [nowhere:eth0]}}'), /expect\.via\[0\]: expected <netns>:<device>/],
    ['dangling service target', base(nodes, '', '  - {name: f, from: pod/p1, to: service/default/web, port: 80}'), /traffic\[0\]\.to: no Service default\/web \(Services in default: kubernetes\)/],
    // A missing field is reported as missing, not as its parent's type (the item's mapping).
    ['traffic item without from', base(nodes, '', '  - {name: f, to: pod/p1, port: 80}'), /^x\.yaml:\d+:\d+: traffic\[0\]\.from: required, expected a string$/],
    ['container without image', base(nodes, '  - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {containers: [{name: c}]}}'), /containers\[0\]\.image: required, expected a string$/],
    ['scale step without deployment', base(nodes, '', '').replace('traffic:', 'steps:\n  - {at: 1s, scale: {replicas: 2}}\ntraffic:'), /steps\[0\]\.scale\.deployment: required, expected a string$/],
  ];
  for (const [label, text, re] of cases) {
    it(label, () => {
      const ps = problems(text);
      expect(ps.length).toBeGreaterThan(0);
      expect(ps.join('\n')).toMatch(re);
      for (const p of ps) expect(p).toMatch(/^[^:]+:\d+:\d+: \S/);
    });
  }

  it('reports every problem, not just the first', () => {
    const ps = problems(base('  nodes: [{name: a, podCIDR: bad}]\n  bridge: "has space"', '  - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {containers: [{name: c, image: i, ports: [{containerPort: 0}]}]}}'));
    expect(ps.length).toBeGreaterThanOrEqual(3);
  });

  it('never throws on garbage', () => {
    const rng = new Rng(5);
    const good = base(nodes, '', '  - {name: f, from: pod/p1, to: pod/p1, port: 80}');
    for (let i = 0; i < 300; i++) {
      const chars = good.split('');
      for (let k = 0; k < 5; k++) chars[rng.int(0, chars.length - 1)] = String.fromCharCode(rng.int(32, 126));
      const text = chars.slice(0, rng.int(0, chars.length)).join('');
      expect(() => loadScenarioText(text, 'g.yaml')).not.toThrow();
    }
  });
});
