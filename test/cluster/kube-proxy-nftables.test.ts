import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planNftables, syncNftables, type NftProxierConfig } from '../../src/cluster/kube-proxy/nftables/nftables-proxier.js';
import { dumpRuleset, Nftables } from '../../src/kernel/nftables/index.js';
import type { EndpointSliceInput, ServiceInput } from '../../src/cluster/spec.js';
import { ep, port, service, slice, TEST_CONFIG } from './kube-proxy-helpers.js';

const fixture = readFileSync(new URL('./fixtures/kube-proxy/overall.nft', import.meta.url), 'utf8');
const CONFIG: NftProxierConfig = { ...TEST_CONFIG, serviceCIDRs: ['172.30.0.0/16'] };
const p80 = [{ name: 'p80', port: 80, protocol: 'TCP' as const }];

/** The six services of upstream's TestOverallNFTablesRules (the same as its iptables overall test). */
function overall(): { services: ServiceInput[]; slices: EndpointSliceInput[] } {
  return {
    services: [
      service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)]),
      service('ns2', 'svc2', '172.30.0.42', [port('p80', 80, { nodePort: 3001 })], { type: 'LoadBalancer', externalTrafficPolicy: 'Local', loadBalancerIPs: ['1.2.3.4'], externalIPs: ['192.168.99.22'], healthCheckNodePort: 30000 }),
      service('ns3', 'svc3', '172.30.0.43', [port('p80', 80, { nodePort: 3003 })], { type: 'NodePort' }),
      service('ns4', 'svc4', '172.30.0.44', [port('p80', 80)], { type: 'NodePort', externalIPs: ['192.168.99.33'] }),
      service('ns5', 'svc5', '172.30.0.45', [port('p80', 80, { nodePort: 3002 })], {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Cluster',
        loadBalancerIPs: ['5.6.7.8'],
        loadBalancerSourceRanges: [' 203.0.113.0/25'],
        sessionAffinity: 'ClientIP',
        affinityTimeoutSeconds: 10800,
      }),
      service('ns6', 'svc6', '172.30.0.46', [port('p80', 80)]),
    ],
    slices: [
      slice('ns1', 'svc1', p80, [ep('10.180.0.1')]),
      slice('ns2', 'svc2', p80, [ep('10.180.0.2')]),
      slice('ns3', 'svc3', p80, [ep('10.180.0.3')]),
      slice('ns4', 'svc4', p80, [ep('10.180.0.4'), ep('10.180.0.5', { nodeName: 'test-node' })]),
      slice('ns5', 'svc5', p80, [ep('10.180.0.3')]),
    ],
  };
}

const ORDER: Record<string, number> = { table: 10, chain: 9, rule: 8, set: 7, map: 6, element: 5 };

/** Upstream's sortNFTablesTransaction: drop blanks and comments, sort by object type then name, keep rules of a chain in order. */
function sortLikeUpstream(text: string): string[] {
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return lines
    .map((l, i) => ({ l, i, w: l.split(' ') }))
    .sort((a, b) => {
      if (a.w[1] !== b.w[1]) return (ORDER[b.w[1]!] ?? 0) - (ORDER[a.w[1]!] ?? 0);
      if (a.w[4] !== b.w[4]) return a.w[4]! < b.w[4]! ? -1 : 1;
      if (a.w[1] === 'rule') return a.i - b.i;
      return a.l < b.l ? -1 : a.l > b.l ? 1 : 0;
    })
    .map((x) => x.l);
}

describe('kube-proxy nftables mode: upstream TestOverallNFTablesRules', () => {
  it('the ruleset the kernel model holds after `nft -f` of our transaction equals upstream expected one', () => {
    const { services, slices } = overall();
    const nft = new Nftables();
    nft.load(syncNftables(CONFIG, services, slices));
    expect(sortLikeUpstream(dumpRuleset(nft))).toEqual(sortLikeUpstream(fixture));
  });

  it('base chains carry numeric priorities, as knftables writes them (nft 1.0.6 refuses dstnat on output)', () => {
    const { services, slices } = overall();
    const tx = syncNftables(CONFIG, services, slices);
    expect(tx).toContain('add chain ip kube-proxy filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }');
    expect(tx).toContain('add chain ip kube-proxy filter-output-pre-dnat { type filter hook output priority -110 ; }');
    expect(tx).toContain('add chain ip kube-proxy filter-input { type filter hook input priority 0 ; }');
    expect(tx).toContain('add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }');
    expect(tx).toContain('add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }');
    expect(tx).not.toMatch(/priority [a-z]/);
  });

  it('input order does not matter', () => {
    const { services, slices } = overall();
    expect(syncNftables(CONFIG, [...services].reverse(), [...slices].reverse())).toBe(syncNftables(CONFIG, services, slices));
  });

  it('names the endpoints each policy chain can pick', () => {
    const { services, slices } = overall();
    const svc4 = planNftables(CONFIG, services, slices).ports.find((p) => p.servicePort === 'ns4/svc4:p80')!;
    expect(svc4).toMatchObject({ clusterChain: 'service-LAUZTJTB-ns4/svc4/tcp/p80', clusterEndpoints: ['10.180.0.4:80', '10.180.0.5:80'] });
  });
});
