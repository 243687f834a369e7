import { describe, expect, it } from 'vitest';
import { planIpvs } from '../../src/cluster/kube-proxy/ipvs-proxier.js';
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
