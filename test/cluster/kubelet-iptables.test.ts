import { describe, expect, it } from 'vitest';
import { showIptables } from '../../src/kernel/show.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// kubelet (pkg/kubelet/kubelet_network_linux.go) and kube-proxy's iptables mode (pkg/proxy/iptables/proxier.go,
// utiliptables.Monitor) leave these empty chains on a kubeadm node; iptables-save (nf_tables, 1.8.9) prints them so.
function save(mode: 'iptables' | 'ipvs' | 'nftables'): string {
  const r = loadScenarioText(`apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: kubelet-iptables}
cluster: {network: flannel-vxlan, proxyMode: ${mode}, nodes: [{name: node1}]}
`);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const res = simulate(r.scenario);
  return showIptables(res.cluster.nodes.get('node1')!);
}

const table = (text: string, name: string): string[] => {
  const lines = text.split('\n');
  const at = lines.indexOf(`*${name}`);
  return at < 0 ? [] : lines.slice(at + 1, lines.indexOf('COMMIT', at)).map((l) => l.replace(/\[\d+:\d+\]$/, '[n]'));
};

describe('kubelet\'s and kube-proxy\'s canary and hint chains', () => {
  it('iptables mode: mangle holds the hint and both canaries, first of the tables; nat and filter both canaries', () => {
    const text = save('iptables');
    expect(text.split('\n').filter((l) => l.startsWith('*'))).toEqual(['*mangle', '*filter', '*nat']);
    expect(table(text, 'mangle')).toEqual([':PREROUTING ACCEPT [n]', ':INPUT ACCEPT [n]', ':FORWARD ACCEPT [n]', ':OUTPUT ACCEPT [n]', ':POSTROUTING ACCEPT [n]', ':KUBE-IPTABLES-HINT - [n]', ':KUBE-KUBELET-CANARY - [n]', ':KUBE-PROXY-CANARY - [n]']);
    for (const t of ['filter', 'nat']) {
      expect(table(text, t)).toContain(':KUBE-KUBELET-CANARY - [n]');
      expect(table(text, t)).toContain(':KUBE-PROXY-CANARY - [n]');
    }
  });

  for (const mode of ['ipvs', 'nftables'] as const) {
    it(`${mode} mode: kubelet's chains and its KUBE-FIREWALL with both jumps, no kube-proxy canary`, () => {
      const text = save(mode);
      expect(table(text, 'mangle')).toContain(':KUBE-IPTABLES-HINT - [n]');
      expect(text).not.toContain('KUBE-PROXY-CANARY');
      for (const t of ['mangle', 'filter', 'nat']) expect(table(text, t)).toContain(':KUBE-KUBELET-CANARY - [n]');
      const filter = table(text, 'filter');
      expect(filter).toContain('-A INPUT -j KUBE-FIREWALL');
      expect(filter).toContain('-A OUTPUT -j KUBE-FIREWALL');
      expect(filter.filter((l) => l.startsWith('-A KUBE-FIREWALL '))).toEqual(['-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP']);
    });
  }

  it('ipvs mode: kube-proxy\'s prepended jumps sit above kubelet\'s KUBE-FIREWALL jump', () => {
    const input = table(save('ipvs'), 'filter').filter((l) => l.startsWith('-A INPUT '));
    expect(input[input.length - 1]).toBe('-A INPUT -j KUBE-FIREWALL');
  });
});
