// A printed cluster says how its network is set up: flanneld annotates every Node with its
// backend (and kube-flannel.yml ships net-conf.json in a ConfigMap), kubeadm keeps kube-proxy's
// KubeProxyConfiguration in the ConfigMap kube-system/kube-proxy. A walk of that dump runs the
// backend and proxy mode the cluster runs, unless the scenario says otherwise (then a warning).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { scaffoldScenario } from '../../src/scenario/init/scaffold.js';

const node = (name: string, ip: string, cidr: string, type: string): string =>
  `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  uid: uid-${name}
  annotations:
    flannel.alpha.coreos.com/backend-type: ${type}
    flannel.alpha.coreos.com/public-ip: ${ip}
spec: {podCIDR: ${cidr}}
status: {addresses: [{type: InternalIP, address: ${ip}}]}
`;
const kubeProxy = (mode: string): string =>
  `apiVersion: v1
kind: ConfigMap
metadata: {name: kube-proxy, namespace: kube-system, uid: cm1}
data:
  config.conf: |-
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    clusterCIDR: 10.244.0.0/16
    mode: ${mode}
    ipvs:
      strictARP: true
`;
const flannelCfg = (netConf: string): string =>
  `apiVersion: v1
kind: ConfigMap
metadata: {name: kube-flannel-cfg, namespace: kube-flannel, uid: cm2}
data:
  net-conf.json: '${netConf}'
`;
const nodes = (type: string): string => [node('n1', '10.0.0.11', '10.244.0.0/24', type), node('n2', '10.0.0.12', '10.244.1.0/24', type)].join('---\n');

function load(text: string, overrides = {}) {
  const r = loadScenarioText(text, 'c.yaml', overrides);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return { s: r.scenario, warnings: r.scenario.warnings.map(formatProblem) };
}

describe('the printed cluster decides its backend and proxy mode', () => {
  it("runs the Nodes' flannel backend and kube-proxy's ConfigMap mode, and the ConfigMap is read, not ignored", () => {
    const { s, warnings } = load(`${nodes('host-gw')}---\n${kubeProxy('ipvs')}`);
    expect(s.cluster.network).toBe('host-gw');
    expect(s.cluster.proxyMode).toBe('ipvs');
    expect(warnings.find((w) => w.includes('no Scenario document'))).toContain(
      "host-gw (the Nodes' flannel.alpha.coreos.com/backend-type annotation), kube-proxy ipvs (mode in config.conf of the ConfigMap kube-system/kube-proxy)",
    );
    expect(warnings.filter((w) => w.includes('ConfigMap object'))).toEqual([]);
    expect(s.printedConfig).toEqual({
      flannel: true,
      network: { value: 'host-gw', from: "the Nodes' flannel.alpha.coreos.com/backend-type annotation" },
      proxyMode: { value: 'ipvs', from: 'mode in config.conf of the ConfigMap kube-system/kube-proxy' },
    });
  });

  it("kubeadm's mode \"\" is iptables; udp is flannel-udp; nftables is read", () => {
    expect(load(`${nodes('udp')}---\n${kubeProxy('""')}`).s.cluster).toMatchObject({ network: 'flannel-udp', proxyMode: 'iptables' });
    expect(load(`${nodes('vxlan')}---\n${kubeProxy('nftables')}`).s.cluster).toMatchObject({ network: 'flannel-vxlan', proxyMode: 'nftables' });
  });

  it("without annotations, kube-flannel-cfg's net-conf.json decides (no Backend: flanneld's udp)", () => {
    const bare = node('n1', '10.0.0.11', '10.244.0.0/24', 'x').replace(/ {2}annotations:\n.*\n.*\n/, '');
    expect(load(`${bare}---\n${flannelCfg('{"Network": "10.244.0.0/16", "Backend": {"Type": "host-gw"}}')}`).s.cluster.network).toBe('host-gw');
    expect(load(`${bare}---\n${flannelCfg('{"Network": "10.244.0.0/16"}')}`).s.cluster.network).toBe('flannel-udp');
  });

  it('a backend or mode podwalk does not run is a warning, and the default stays', () => {
    const { s, warnings } = load(`${nodes('wireguard')}---\n${kubeProxy('kernelspace')}`);
    expect(s.cluster).toMatchObject({ network: 'flannel-vxlan', proxyMode: 'iptables' });
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^c\.yaml:7:44: doc 1\.metadata\.annotations\.flannel\.alpha\.coreos\.com\/backend-type: flannel's wireguard backend is not modelled \(podwalk runs host-gw, vxlan and udp\): set cluster\.network/),
        expect.stringMatching(/data\.config\.conf: kube-proxy mode kernelspace \(kube-system\/kube-proxy\) is not modelled/),
      ]),
    );
  });

  it('Nodes that disagree decide nothing', () => {
    const { s, warnings } = load(`${node('n1', '10.0.0.11', '10.244.0.0/24', 'vxlan')}---\n${node('n2', '10.0.0.12', '10.244.1.0/24', 'host-gw')}`);
    expect(s.cluster.network).toBe('flannel-vxlan');
    expect(warnings).toContainEqual(expect.stringContaining("node n2 runs flannel's host-gw backend, node n1 its vxlan backend"));
  });

  it("a scenario's own setting wins, with a warning where they differ; --proxy-mode wins silently", () => {
    const scenario = (cluster: string): string => `apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: t}\ncluster: {${cluster}}\n---\n${nodes('host-gw')}---\n${kubeProxy('ipvs')}`;
    const own = load(scenario('network: flannel-vxlan, proxyMode: nftables'));
    expect(own.s.cluster).toMatchObject({ network: 'flannel-vxlan', proxyMode: 'nftables' });
    expect(own.warnings).toEqual(
      expect.arrayContaining([
        "c.yaml:4:20: cluster.network: flannel-vxlan here, but the printed cluster runs host-gw (the Nodes' flannel.alpha.coreos.com/backend-type annotation): the walk follows cluster.network",
        'c.yaml:4:46: cluster.proxyMode: nftables here, but the printed cluster runs ipvs (mode in config.conf of the ConfigMap kube-system/kube-proxy): the walk follows cluster.proxyMode',
      ]),
    );
    // Not given: the printed ones, said at the object that says so.
    const taken = load(scenario(''));
    expect(taken.s.cluster).toMatchObject({ network: 'host-gw', proxyMode: 'ipvs' });
    expect(taken.warnings).toContainEqual(expect.stringMatching(/data\.config\.conf: cluster\.proxyMode not given: ipvs, as mode in config\.conf of the ConfigMap kube-system\/kube-proxy says$/));
    // The default taken from a dump goes unsaid (kubeadm's mode "" is iptables).
    const same = load(`apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n---\n${nodes('vxlan')}---\n${kubeProxy('""')}`);
    expect(same.warnings.filter((w) => w.includes('not given'))).toEqual([]);
    const flag = load(scenario(''), { proxyMode: 'iptables' });
    expect(flag.s.cluster.proxyMode).toBe('iptables');
    expect(flag.warnings.filter((w) => w.includes('proxyMode'))).toEqual([]);
  });

  it('init writes what the manifests say, with where it came from, and a pod-network client', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-printed-'));
    const app = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: kube-system, uid: ds1}
spec:
  selector: {matchLabels: {k8s-app: kube-proxy}}
  template:
    metadata: {labels: {k8s-app: kube-proxy}}
    spec: {hostNetwork: true, containers: [{name: kube-proxy, image: kube-proxy}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default, uid: d1}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: default, uid: d2}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: c, image: curl}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, uid: s1}
spec: {selector: {app: web}, ports: [{port: 80}]}
`;
    writeFileSync(join(dir, 'cluster.yaml'), `${nodes('host-gw')}---\n${kubeProxy('ipvs')}---\n${app}`);
    const out = scaffoldScenario([join(dir, 'cluster.yaml')], join(dir, 'walk.yaml'));
    if (!out.ok) throw new Error('error' in out ? out.error : out.problems.map(formatProblem).join('\n'));
    expect(out.text).toContain("  network: host-gw # as the Nodes' flannel.alpha.coreos.com/backend-type annotation says\n");
    expect(out.text).toContain('  proxyMode: ipvs # as mode in config.conf of the ConfigMap kube-system/kube-proxy says\n');
    expect(out.text).toMatch(/\n {2}bridge: cni0 # /);
    // kube-proxy's hostNetwork pods come first in the file, but send as their node: the client is the Deployment's pod.
    expect(out.text).toContain('from: deployment/default/client');
  });
});
