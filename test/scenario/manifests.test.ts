// Manifests as they come: kind: List, several documents in one file, include of
// directories and globs, plain manifests without a Scenario, kind: Node.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { compilePathGlob } from '../../src/scenario/load/glob.js';

const head = 'apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n';
const pod = (name: string, extra = ''): string => `{apiVersion: v1, kind: Pod, metadata: {name: ${name}${extra}}, spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}}`;

function load(text: string, file = 'x.yaml') {
  const r = loadScenarioText(text, file);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.scenario;
}
function problems(text: string, file = 'x.yaml'): string[] {
  const r = loadScenarioText(text, file);
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('kind: List', () => {
  it('reads the items of a List (what kubectl get a,b -o yaml prints), nested Lists too', () => {
    const s = load(`${head}cluster: {nodes: [{name: a}]}\nresources:\n  - apiVersion: v1\n    kind: List\n    metadata: {resourceVersion: ""}\n    items:\n      - ${pod('p1')}\n      - {apiVersion: v1, kind: PodList, items: [${pod('p2')}]}\n`);
    expect(s.pods.filter((p) => !p.builtin).map((p) => p.name)).toEqual(['p1', 'p2']);
  });

  it('points a bad item at its own line and path', () => {
    const ps = problems(`${head}cluster: {nodes: [{name: a}]}\nresources:\n  - apiVersion: v1\n    kind: List\n    items:\n      - ${pod('p1')}\n      - {apiVersion: v1, kind: Pod, metadata: {name: p2}, spec: {containers: [{name: c, image: i, ports: [{containerPort: 0}]}]}}\n`);
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatch(/^x\.yaml:10:\d+: resources\[0\]\.items\[1\]\.spec\.containers\[0\]\.ports\[0\]\.containerPort: expected an integer between 1 and 65535, found 0$/);
  });
});

describe('several documents in one file', () => {
  it('reads the documents around a Scenario as resources', () => {
    const s = load(`${pod('before')}\n---\n${head}cluster: {nodes: [{name: a}]}\nresources: [${pod('inline')}]\n---\n${pod('after')}\n---\n`);
    expect(s.pods.filter((p) => !p.builtin).map((p) => p.name).sort()).toEqual(['after', 'before', 'inline']);
  });

  it('allows one Scenario per file', () => {
    const ps = problems(`${head}cluster: {nodes: [{name: a}]}\n---\n${head}cluster: {nodes: [{name: a}]}\n`);
    expect(ps.join('\n')).toMatch(/^x\.yaml:6:1: doc 2: a file holds at most one Scenario document \(the first is at line 1\)/);
  });

  it('runs plain manifests (no Scenario) on the default cluster, and says so', () => {
    const s = load(`${pod('web', ', labels: {app: web}')}\n---\n{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80}]}}\n`, 'app.yaml');
    expect(s.name).toBe('app');
    expect(s.cluster.nodes.map((n) => n.name)).toEqual(['node1', 'node2']);
    expect(s.cluster.network).toBe('flannel-vxlan');
    expect(s.traffic).toEqual([]);
    expect(s.warnings.map(formatProblem).join('\n')).toMatch(/^app\.yaml:1:1: \(file\): no Scenario document: running the manifests on the default cluster \(2 nodes \(node1, node2\), flannel-vxlan, kube-proxy iptables, cluster DNS/);
  });

  it('bad input in plain manifests is still file:line:col', () => {
    const ps = problems(`${pod('a')}\n---\n{apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {containers: [{name: c, image: i, port: 80}]}}\n`);
    expect(ps).toEqual([expect.stringMatching(/^x\.yaml:3:\d+: doc 2\.spec\.containers\[0\]\.port: unknown field port \(did you mean ports\?\)$/)]);
  });

  it('an empty file is an error, not a crash', () => {
    expect(problems('')).toEqual([expect.stringMatching(/^x\.yaml:1:1: \(file\): empty/)]);
  });
});

describe('include: files, directories, globs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podwalk-include-'));
  mkdirSync(join(dir, 'base'));
  mkdirSync(join(dir, 'overlays', 'prod'), { recursive: true });
  writeFileSync(join(dir, 'base', 'b.yaml'), pod('b2'));
  writeFileSync(join(dir, 'base', 'a.yml'), `${pod('a1')}\n---\n${pod('a2')}\n`);
  writeFileSync(join(dir, 'base', 'notes.txt'), 'not a manifest');
  writeFileSync(join(dir, 'overlays', 'prod', 'x.yaml'), pod('x'));
  writeFileSync(join(dir, 'overlays', 'y.yaml'), pod('y'));
  const scenario = (include: string): string => `${head}cluster: {nodes: [{name: a}]}\ninclude: ${include}\n`;

  it('a directory: its manifests in name order, not recursive', () => {
    writeFileSync(join(dir, 's.yaml'), scenario('[base/]'));
    const r = loadScenarioFile(join(dir, 's.yaml'));
    expect(r.ok && r.scenario.pods.filter((p) => !p.builtin).map((p) => p.name)).toEqual(['a1', 'a2', 'b2']);
  });

  it('a glob with ** matches at any depth', () => {
    writeFileSync(join(dir, 's.yaml'), scenario('["overlays/**/*.yaml"]'));
    const r = loadScenarioFile(join(dir, 's.yaml'));
    expect(r.ok && r.scenario.pods.filter((p) => !p.builtin).map((p) => p.name)).toEqual(['x', 'y']);
  });

  it('an entry that matches nothing is an error at the entry', () => {
    writeFileSync(join(dir, 's.yaml'), scenario('["nowhere/*.yaml"]'));
    const r = loadScenarioFile(join(dir, 's.yaml'));
    expect(!r.ok && formatProblem(r.problems[0]!)).toMatch(/s\.yaml:5:\d+: include\[0\]: no file matches nowhere\/\*\.yaml/);
  });

  it('problems in an included file name that file', () => {
    writeFileSync(join(dir, 'base', 'c.yaml'), '{apiVersion: v1, kind: Pod, metadata: {name: c}, spec: {containers: [{name: c, image: i, ports: [{containerPort: -1}]}]}}');
    writeFileSync(join(dir, 's.yaml'), scenario('[base]'));
    const r = loadScenarioFile(join(dir, 's.yaml'));
    expect(!r.ok && formatProblem(r.problems[0]!)).toMatch(/^base\/c\.yaml:1:\d+: doc 1\.spec\.containers\[0\]\.ports\[0\]\.containerPort: expected an integer/);
  });

  it('globs: * stays in a segment, ** crosses them, [..] and ? match one character', () => {
    const glob = (g: string): { test: (p: string) => boolean } => {
      const c = compilePathGlob(g);
      if ('error' in c) throw new Error(c.error);
      return c;
    };
    expect(glob('*.yaml').test('a/b.yaml')).toBe(false);
    expect(glob('**/*.yaml').test('b.yaml')).toBe(true);
    expect(glob('**/*.yaml').test('a/b/c.yaml')).toBe(true);
    expect(glob('app-?.y[a]ml').test('app-1.yaml')).toBe(true);
    expect(glob('a/**').test('a/b/c.yaml')).toBe(true);
    expect(glob('a/**/c.yaml').test('a/c.yaml')).toBe(true);
    expect(glob('a/**/c.yaml').test('b/c.yaml')).toBe(false);
    expect(glob('[!a-c]*.yaml').test('d.yaml')).toBe(true);
    expect(glob('[!a-c]*.yaml').test('b.yaml')).toBe(false);
    expect(glob('[]x].yaml').test('].yaml')).toBe(true);
    expect(glob('[a.yaml').test('[a.yaml')).toBe(true);
  });
});

describe('kind: Node', () => {
  const node = (name: string, ip: string, cidr: string, extra = ''): string =>
    `{apiVersion: v1, kind: Node, metadata: {name: ${name}, labels: {zone: z1}, uid: u, managedFields: []}, spec: {podCIDR: ${cidr}, podCIDRs: [${cidr}]${extra}}, status: {addresses: [{type: InternalIP, address: ${ip}}, {type: Hostname, address: ${name}}], capacity: {cpu: "4"}}}`;

  it('defines the cluster nodes; the underlay and cluster CIDR widen to hold real addresses', () => {
    const s = load(`${node('kind-worker', '172.18.0.3', '10.244.1.0/24')}\n---\n${node('kind-control-plane', '172.18.0.2', '10.244.0.0/24', ', taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]')}\n`);
    expect(s.cluster.nodes.map((n) => [n.name, n.ip, n.podCIDR])).toEqual([
      ['kind-worker', '172.18.0.3', '10.244.1.0/24'],
      ['kind-control-plane', '172.18.0.2', '10.244.0.0/24'],
    ]);
    expect(s.cluster.underlay.cidr).toBe('172.18.0.0/24');
    expect(s.cluster.underlay.gateway).toBe('172.18.0.1');
    expect(s.cluster.nodes[1]!.taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', value: '', effect: 'NoSchedule' }]);
    expect(s.cluster.nodes[0]!.labels).toMatchObject({ zone: 'z1', 'kubernetes.io/hostname': 'kind-worker' });
  });

  it('fills in a cluster.nodes entry of the same name', () => {
    const s = load(`${head}cluster: {nodes: [{name: n1}, {name: n2}]}\nresources: [${node('n2', '192.168.56.40', '10.244.9.0/24')}]\n`);
    expect(s.cluster.nodes.map((n) => [n.name, n.ip, n.podCIDR])).toEqual([
      ['n1', '192.168.56.11', '10.244.1.0/24'],
      ['n2', '192.168.56.40', '10.244.9.0/24'],
    ]);
  });

  it('a conflict with cluster.nodes is an error at the short entry, naming the Node', () => {
    const ps = problems(`${head}cluster: {nodes: [{name: n1, ip: 192.168.56.20}]}\nresources:\n  - ${node('n1', '192.168.56.40', '10.244.9.0/24')}\n`);
    expect(ps).toEqual([expect.stringMatching(/^x\.yaml:4:\d+: cluster\.nodes\[0\]\.ip: node n1 has ip 192\.168\.56\.20 here, but its Node object \(x\.yaml:6:5\) has InternalIP 192\.168\.56\.40$/)]);
  });

  it('a duplicate Node is an error', () => {
    const ps = problems(`${node('n1', '192.168.56.40', '10.244.9.0/24')}\n---\n${node('n1', '192.168.56.41', '10.244.8.0/24')}\n`);
    expect(ps.join('\n')).toMatch(/x\.yaml:3:1: doc 2: duplicate Node n1 \(also at x\.yaml:1:1\)/);
  });
});
