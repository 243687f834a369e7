import { describe, expect, it } from 'vitest';
import { showFdb, showNeigh, showRoutes } from '../../src/kernel/show.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// Nodes as `kubectl get nodes -o yaml` prints them on a Vagrant cluster where flanneld runs with --iface: every
// InternalIP is the NAT NIC's 10.0.2.15; flannel's annotations name the host-only NIC and flannel.1's MAC. flanneld's
// kube subnet manager builds its leases from the annotations (pkg/subnet/kube/kube.go nodeToLease): the FDB dst
// is the public-ip, the neighbour's lladdr the VtepMAC.
const node = (name: string, n: number, extra = ''): string => `
  - apiVersion: v1
    kind: Node
    metadata:
      name: ${name}
      annotations:
        flannel.alpha.coreos.com/backend-data: '{"VNI":1,"VtepMAC":"6e:2b:4c:1a:00:0${n}"}'
        flannel.alpha.coreos.com/backend-type: vxlan
        flannel.alpha.coreos.com/kube-subnet-manager: "true"
        flannel.alpha.coreos.com/public-ip: ${extra || `192.168.56.1${n}`}
    spec: {podCIDR: 10.244.${n}.0/24}
    status: {addresses: [{type: InternalIP, address: 10.0.2.15}, {type: Hostname, address: ${name}}]}`;
const scenario = (nodes: string, network = 'flannel-vxlan'): string => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: annot}
cluster: {network: ${network}}
resources:${nodes}
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node2, containers: [{name: c, image: i}]}}
traffic:
  - {name: ping, from: pod/a, to: pod/b, protocol: ICMP, expect: {verdict: delivered}}
`;

describe("flannel's Node annotations (public-ip, backend-data VtepMAC)", () => {
  it('nodes with one InternalIP and distinct public-ips load; the public-ip is the underlay address, with a warning', () => {
    const r = loadScenarioText(scenario(node('node1', 1) + node('node2', 2)), 'annot.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.cluster.nodes.map((n) => [n.name, n.ip, n.vtepMac])).toEqual([
      ['node1', '192.168.56.11', '6e:2b:4c:1a:00:01'],
      ['node2', '192.168.56.12', '6e:2b:4c:1a:00:02'],
    ]);
    expect(r.scenario.warnings.map(formatProblem)).toEqual([
      expect.stringMatching(/^annot\.yaml:\d+:\d+: resources\[0\]\.metadata\.annotations\.flannel\.alpha\.coreos\.com\/public-ip: node node1: flannel's public-ip 192\.168\.56\.11 is its underlay address here .*InternalIP 10\.0\.2\.15/),
      expect.stringMatching(/node node2: flannel's public-ip 192\.168\.56\.12/),
    ]);
    const res = simulate(r.scenario);
    expect(res.flows[0]!.verdict).toBe('delivered');
    const node1 = res.cluster.nodes.get('node1')!;
    expect(showFdb(node1)).toContain('6e:2b:4c:1a:00:02 dev flannel.1 dst 192.168.56.12 self permanent');
    expect(showNeigh(node1)).toContain('10.244.2.0 dev flannel.1 lladdr 6e:2b:4c:1a:00:02 PERMANENT');
  });

  it('a public-ip that is no IPv4 address, or a backend-data that is no JSON, is an input error at the annotation', () => {
    const bad = loadScenarioText(scenario(node('node1', 1, 'eth1') + node('node2', 2)), 'annot.yaml');
    expect(bad.ok ? [] : bad.problems.map(formatProblem)).toContainEqual(expect.stringMatching(/^annot\.yaml:\d+:\d+: resources\[0\]\.metadata\.annotations\.flannel\.alpha\.coreos\.com\/public-ip: expected an IPv4 address \(flanneld's --public-ip\), found "eth1"/));
    const json = loadScenarioText(scenario(node('node1', 1).replace(`'{"VNI":1,"VtepMAC":"6e:2b:4c:1a:00:01"}'`, `'{"VtepMAC": 5}'`) + node('node2', 2)), 'annot.yaml');
    expect(json.ok ? [] : json.problems.map(formatProblem)).toEqual([expect.stringMatching(/backend-data: VtepMAC: expected a MAC address/)]);
  });

  it('host-gw: the route to another node goes via its public-ip', () => {
    const r = loadScenarioText(scenario(node('node1', 1) + node('node2', 2), 'host-gw'), 'annot.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const res = simulate(r.scenario);
    expect(res.flows[0]!.verdict).toBe('delivered');
    expect(showRoutes(res.cluster.nodes.get('node1')!)).toContain('10.244.2.0/24 via 192.168.56.12 dev eth0');
  });
});
