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
