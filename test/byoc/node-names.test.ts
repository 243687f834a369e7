// Kubernetes names Nodes with DNS subdomains: EKS's are the instance's private DNS name
// (ip-10-0-1-11.ec2.internal). Such a cluster loads and walks; a name that is no DNS
// subdomain (or holds what would break node/<name> and <name>:<dev>) stays an error.
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const node = (name: string, ip: string, cidr: string): string =>
  `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}, uid: u-${ip}}\nspec: {podCIDR: ${cidr}}\nstatus: {addresses: [{type: InternalIP, address: ${ip}}, {type: InternalDNS, address: ${name}}]}\n`;
const cluster = [node('ip-10-0-1-11.ec2.internal', '10.0.1.11', '10.244.1.0/24'), node('ip-10-0-1-12.ec2.internal', '10.0.1.12', '10.244.2.0/24')].join('---\n');
const pods = `apiVersion: v1
kind: Pod
metadata: {name: a}
spec: {nodeName: ip-10-0-1-11.ec2.internal, containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec: {nodeName: ip-10-0-1-12.ec2.internal, containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
`;

describe('Node names with dots (EKS)', () => {
  it('load, name network namespaces and devices, and walk', () => {
    const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: eks}
cluster:
  nodes: [{name: ip-10-0-1-12.ec2.internal, cpus: 2}]
traffic:
  - name: across
    from: pod/a
    to: pod/b
    port: 80
    expect: {verdict: delivered, via: [ip-10-0-1-11.ec2.internal:flannel.1, ip-10-0-1-12.ec2.internal:cbr0]}
  - {name: from-node, from: node/ip-10-0-1-12.ec2.internal, to: pod/a, port: 80}
---
${cluster}---
${pods}`;
    const r = loadScenarioText(text, 'eks.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.cluster.nodes.map((n) => `${n.name} ${n.ip}`)).toEqual(['ip-10-0-1-12.ec2.internal 10.0.1.12', 'ip-10-0-1-11.ec2.internal 10.0.1.11']);
    const flows = simulate(r.scenario).flows;
    expect(flows[0]).toMatchObject({ verdict: 'delivered', deliveredTo: 'pod/default/b' });
    expect(flows[0]!.path).toContain('ip-10-0-1-12.ec2.internal:flannel.1');
    expect(flows[1]).toMatchObject({ verdict: 'delivered', deliveredTo: 'pod/default/a' });
    expect(flows[1]!.path[0]).toBe('ip-10-0-1-12.ec2.internal:flannel.1');
  });

  it('a name that is no DNS subdomain is still an error', () => {
    const bad = loadScenarioText(node('ip-10-0-1-11..internal', '10.0.1.11', '10.244.1.0/24'), 'n.yaml');
    expect(bad.ok ? [] : bad.problems.map(formatProblem)).toEqual([`n.yaml:1:1: doc 1: expected a Node name (a DNS subdomain: lowercase letters, digits, '-' and '.'), found "ip-10-0-1-11..internal"`]);
    const short = loadScenarioText('apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: t}\ncluster: {nodes: [{name: "node:1"}]}\n', 's.yaml');
    expect(short.ok ? [] : short.problems.map(formatProblem)).toContainEqual(expect.stringContaining("cluster.nodes[0].name: expected a node name (a DNS subdomain: lowercase letters, digits, '-' and '.'), found \"node:1\""));
  });
});
