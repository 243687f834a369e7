import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeferredNetfilter } from '../../src/cluster/kube-proxy/iptables/deferred-netfilter.js';
import type { Netfilter } from '../../src/kernel/netfilter/netfilter.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const root = join(import.meta.dirname, '..', '..');

/** Two nodes, a pod on each, an external host; `flannel` is the cluster.flannel block (absent: the defaults). */
function run(flannel?: string, network = 'flannel-vxlan', proxyMode = 'iptables') {
  const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: fl}
cluster:
  network: ${network}
  proxyMode: ${proxyMode}
${flannel ? `  flannel: ${flannel}\n` : ''}  nodes: [{name: node1, podCIDR: 10.244.2.0/24}, {name: node2, podCIDR: 10.244.1.0/24}]
  externalHosts: [{name: client, ip: 192.168.56.100}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: app}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}}
traffic:
  - {name: pod-to-host, from: pod/app, to: host/client, protocol: ICMP}
  - {name: pod-to-pod, from: pod/app, to: pod/web, port: 8080, at: 1ms}
  - {name: node-to-pod, from: node/node1, to: pod/web, port: 8080, at: 2ms}
`;
  const r = loadScenarioText(yaml, 'fl.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return simulate(r.scenario);
}

const engine = (res: ReturnType<typeof run>, node: string) => res.cluster.nodes.get(node)!.nf!.engine as Netfilter;
const flannelLines = (text: string): string[] => text.split('\n').filter((l) => /FLANNEL/.test(l));
const masquerade = (res: ReturnType<typeof run>, flow: string) => res.flows.find((f) => f.flow === flow)!.nat?.find((e) => e.first && e.type === 'MASQUERADE');

describe("flanneld's iptables rules (--ip-masq, --iptables-forward-rules)", () => {
  it('are the lines a real node running kube-flannel.yml shows in iptables-save, after kube-proxy\'s jumps', () => {
    // scenarios/node-import/node2.iptables-save was saved on a kubeadm worker whose lease is 10.244.2.0/24.
    const real = flannelLines(readFileSync(join(root, 'scenarios', 'node-import', 'node2.iptables-save'), 'utf8'));
    const ours = engine(run(), 'node1').save();
    expect(flannelLines(ours)).toEqual(real);
    const post = ours.split('\n').filter((l) => l.startsWith('-A POSTROUTING'));
    expect(post[0]).toContain('-j KUBE-POSTROUTING');
    expect(post.at(-1)).toContain('-j FLANNEL-POSTRTG');
  });

  it('masquerade what a pod sends out of the cluster network, not pod to pod; un-NATed on the way back', () => {
    const res = run();
    const out = res.flows.find((f) => f.flow === 'pod-to-host')!;
    expect(out.verdict).toBe('delivered');
    expect(out.seenSource).toBe('192.168.56.11');
    expect(masquerade(res, 'pod-to-host')).toBeDefined();
    expect(res.flows.find((f) => f.flow === 'pod-to-pod')!.seenSource).toBe('10.244.2.2');
    expect(masquerade(res, 'pod-to-pod')).toBeUndefined();
    // Over VXLAN a node reaches a remote pod from flannel.1's address, inside the cluster network: left alone.
    expect(masquerade(res, 'node-to-pod')).toBeUndefined();
    expect(res.flows.find((f) => f.flow === 'node-to-pod')!.seenSource).toBe('10.244.2.0');
  });

  it('host-gw: a node reaching a pod elsewhere leaves from eth0, outside the network, and is masqueraded (port random)', () => {
    const res = run(undefined, 'host-gw');
    const m = masquerade(res, 'node-to-pod')!;
    expect(m.before.split(':')[0]).toBe('192.168.56.11');
    expect(m.after.split(':')[0]).toBe('192.168.56.11');
  });

  it('ipMasq false: no FLANNEL-POSTRTG and the pod reaches the host with its own address; forward rules stay', () => {
    const res = run('{ipMasq: false}');
    const saved = engine(res, 'node1').save();
    expect(saved).not.toContain('FLANNEL-POSTRTG');
    expect(saved).toContain('-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD');
    expect(res.flows.find((f) => f.flow === 'pod-to-host')!.seenSource).toBe('10.244.2.2');
    expect(engine(run('{ipMasq: false, iptablesForwardRules: false}'), 'node1').save()).not.toContain('FLANNEL');
  });

  it('ipMasqFullyRandomDisable: MASQUERADE without --random-fully, the pod\'s port kept when free', () => {
    const saved = engine(run('{ipMasqFullyRandomDisable: true}'), 'node1').save();
    expect(saved).toContain('-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE\n');
    expect(flannelLines(saved).join('\n')).not.toContain('--random-fully');
  });

  it('every proxy mode gets them (flanneld writes iptables whatever kube-proxy does)', () => {
    for (const mode of ['ipvs', 'nftables']) {
      const res = run(undefined, 'flannel-vxlan', mode);
      expect(flannelLines(engine(res, 'node1').save()).length).toBe(12);
      expect(res.flows.find((f) => f.flow === 'pod-to-host')!.seenSource).toBe('192.168.56.11');
    }
  });

  it('wait with kube-proxy\'s deferred rules: a node no packet crosses is not programmed', () => {
    const res = run();
    const nodes = [...res.cluster.nodes.values()];
    expect(nodes.every((ns) => ns.nf!.engine instanceof DeferredNetfilter)).toBe(true);
    const lazy = new DeferredNetfilter((nf) => nf.restore('*filter\n:A - [0:0]\nCOMMIT\n', { noflush: true }));
    lazy.andThen((nf) => nf.restore('*filter\n-A A -j ACCEPT\nCOMMIT\n', { noflush: true }));
    expect(lazy.programmed).toBe(false);
    expect(lazy.list('filter', 'A')[0]!.rules).toEqual(['-A A -j ACCEPT']);
    lazy.andThen((nf) => nf.restore('*filter\n-A A -j DROP\nCOMMIT\n', { noflush: true }));
    expect(lazy.list('filter', 'A')[0]!.rules).toEqual(['-A A -j ACCEPT', '-A A -j DROP']);
  });

  it('rejects a bad value at its file:line:col', () => {
    const r = loadScenarioText('apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: x}\ncluster:\n  flannel: {ipMasq: maybe, ipmasq: true}\n  nodes: [{name: n1}]\n', 'x.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const text = r.problems.map(formatProblem).join('\n');
      expect(text).toMatch(/x\.yaml:5:\d+: cluster\.flannel\.ipMasq: expected/);
      expect(text).toMatch(/x\.yaml:5:\d+: cluster\.flannel\.ipmasq: .*ipMasq/);
    }
  });
});
