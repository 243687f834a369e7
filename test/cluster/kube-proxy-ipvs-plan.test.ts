import { describe, expect, it } from 'vitest';
import { planIpvs } from '../../src/cluster/kube-proxy/ipvs/ipvs-proxier.js';
import { ep, port, service, slice, TEST_CONFIG } from './kube-proxy-helpers.js';

const members = (ipsets: string, set: string): string[] => ipsets.split('\n').filter((l) => l.startsWith(`add ${set} `)).map((l) => l.slice(`add ${set} `.length));

describe('ipvs mode: what is bound to kube-ipvs0 (upstream syncProxyRules, nodeAddressSet)', () => {
  const svc = service('ns1', 'web', '172.30.0.41', [port('p80', 80)], { type: 'LoadBalancer', externalIPs: ['192.168.0.2', '203.0.113.7'], loadBalancerIPs: ['192.168.1.2', '203.0.113.9'] });
  const eps = slice('ns1', 'web', [{ name: 'p80', port: 80, protocol: 'TCP' }], [ep('10.180.0.1')]);
  const plan = planIpvs({ ...TEST_CONFIG, localAddresses: ['127.0.0.1', '192.168.0.2', '192.168.1.2', '10.244.1.1'] }, [svc], [eps]);

  it('binds cluster IPs, and external and load-balancer IPs that are not already the node`s own', () => {
    expect(plan.bound.sort()).toEqual(['172.30.0.41', '203.0.113.7', '203.0.113.9']);
    expect(members(plan.ipsets, 'KUBE-IPVS-IPS').sort()).toEqual(['172.30.0.41', '203.0.113.7', '203.0.113.9']);
  });

  it('still serves a node address used as external or load-balancer IP: its virtual servers and ipset entries stay', () => {
    const vips = plan.virtualServers.filter((v) => v.port === 80).map((v) => v.vip).sort();
    expect(vips).toEqual(['172.30.0.41', '192.168.0.2', '192.168.1.2', '203.0.113.7', '203.0.113.9']);
    expect(members(plan.ipsets, 'KUBE-EXTERNAL-IP')).toContain('192.168.0.2,tcp:80');
    expect(members(plan.ipsets, 'KUBE-LOAD-BALANCER')).toContain('192.168.1.2,tcp:80');
  });
});

describe('ipvs mode: the KUBE-CLUSTER-IP masquerade rule (upstream writeIptablesRules)', () => {
  const svc = service('ns1', 'web', '172.30.0.41', [port('p80', 80)]);
  const rule = (cfg: Partial<typeof TEST_CONFIG>): string | undefined =>
    planIpvs({ ...TEST_CONFIG, ...cfg }, [svc], []).rules.split('\n').find((l) => l.includes('--match-set KUBE-CLUSTER-IP') && l.includes('KUBE-MARK-MASQ'));
  const set = '-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP';

  it('masqueradeAll: every packet to a cluster IP', () => expect(rule({ masqueradeAll: true })).toBe(`${set} dst,dst -j KUBE-MARK-MASQ`));
  it('a local-traffic detector: what does not come from a pod', () => expect(rule({})).toBe(`${set} dst,dst ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`));
  it('no detector: only a packet from a Service address to its port (the node`s own, sourced from kube-ipvs0)', () => expect(rule({ clusterCIDR: '' })).toBe(`${set} src,dst -j KUBE-MARK-MASQ`));
});

describe('ipvs mode: loadBalancerSourceRanges and the node itself (upstream syncProxyRules, kubernetes#119656)', () => {
  const lb = (ranges: string[]) =>
    service('ns1', 'web', '172.30.0.41', [port('p80', 80), port('dns', 53, { protocol: 'UDP' })], { type: 'LoadBalancer', loadBalancerIPs: ['203.0.113.9', '203.0.113.10'], loadBalancerSourceRanges: ranges });
  const outFilter = (rules: string): string[] => rules.split('\n').filter((l) => l.startsWith('-A KUBE-IPVS-OUT-FILTER'));

  it('a range without the node`s IP: one KUBE-IPVS-OUT-FILTER drop per load-balancer IP and port, matched on the IPVS connection', () => {
    const plan = planIpvs(TEST_CONFIG, [lb(['198.51.100.0/24'])], []);
    expect(outFilter(plan.rules)).toEqual([
      '-A KUBE-IPVS-OUT-FILTER -s 203.0.113.9 -m ipvs --vaddr 203.0.113.9 --vproto tcp --vport 80 -j DROP',
      '-A KUBE-IPVS-OUT-FILTER -s 203.0.113.10 -m ipvs --vaddr 203.0.113.10 --vproto tcp --vport 80 -j DROP',
      '-A KUBE-IPVS-OUT-FILTER -s 203.0.113.9 -m ipvs --vaddr 203.0.113.9 --vproto udp --vport 53 -j DROP',
      '-A KUBE-IPVS-OUT-FILTER -s 203.0.113.10 -m ipvs --vaddr 203.0.113.10 --vproto udp --vport 53 -j DROP',
    ]);
    expect(members(plan.ipsets, 'KUBE-LOAD-BALANCER-SOURCE-IP')).toEqual([]);
    expect(plan.rules).not.toContain('KUBE-LOAD-BALANCER-SOURCE-IP');
  });

  it('a range holding the node`s (first) IP: the VIP joins KUBE-LOAD-BALANCER-SOURCE-IP as its own source; no drop', () => {
    const plan = planIpvs(TEST_CONFIG, [lb(['198.51.100.0/24', '192.168.0.0/24'])], []);
    expect(outFilter(plan.rules)).toEqual([]);
    expect(members(plan.ipsets, 'KUBE-LOAD-BALANCER-SOURCE-IP')).toEqual(['203.0.113.9,tcp:80,203.0.113.9', '203.0.113.10,tcp:80,203.0.113.10', '203.0.113.9,udp:53,203.0.113.9', '203.0.113.10,udp:53,203.0.113.10']);
    expect(plan.rules).toContain('-A KUBE-SOURCE-RANGES-FIREWALL -m comment --comment "Kubernetes service load balancer ip + port + source IP for packet filter purpose" -m set --match-set KUBE-LOAD-BALANCER-SOURCE-IP dst,dst,src -j RETURN');
  });

  it('only the node IP kube-proxy was given counts (upstream`s proxier.nodeIP), not the node`s other addresses', () => {
    expect(outFilter(planIpvs(TEST_CONFIG, [lb(['192.168.1.0/24'])], []).rules)).toHaveLength(4);
  });

  it('no source ranges: nothing in KUBE-IPVS-OUT-FILTER', () => {
    expect(outFilter(planIpvs(TEST_CONFIG, [lb([])], []).rules)).toEqual([]);
  });
});
