import { describe, expect, it } from 'vitest';
import { servicePortChains, endpointChain, syncProxyRules, type ProxierConfig } from '../../src/cluster/kube-proxy/index.js';
import type { EndpointSliceInput, ServiceInput } from '../../src/cluster/spec.js';
import { ep, port, ruleSets, service, slice, TEST_CONFIG } from './kube-proxy-helpers.js';

/** The rules of one chain, in order. */
function chain(text: string, table: string, name: string): string[] {
  let current = '';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) current = line.slice(1);
    else if (current === table && line.startsWith(`-A ${name} `)) out.push(line);
  }
  return out;
}

function declared(text: string, table: string): string[] {
  return [...(ruleSets(text).get(table)?.keys() ?? [])];
}

const sync = (services: ServiceInput[], slices: EndpointSliceInput[], cfg: Partial<ProxierConfig> = {}) => syncProxyRules({ ...TEST_CONFIG, ...cfg }, services, slices);

const SVC1 = servicePortChains('ns1/svc1:p80', 'TCP');
const p80 = [{ name: 'p80', port: 80, protocol: 'TCP' as const }];

describe('load balancing and session affinity', () => {
  it('spreads over 3 endpoints with a 1/3, 1/2, rest ladder', () => {
    const out = sync([service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)])], [slice('ns1', 'svc1', p80, [ep('10.180.0.3'), ep('10.180.0.1'), ep('10.180.0.2')])]);
    const sep = (ip: string) => endpointChain('ns1/svc1:p80', 'TCP', `${ip}:80`);
    expect(chain(out, 'nat', SVC1.cluster)).toEqual([
      `-A ${SVC1.cluster} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `-A ${SVC1.cluster} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.3333333333 -j ${sep('10.180.0.1')}`,
      `-A ${SVC1.cluster} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -m statistic --mode random --probability 0.5000000000 -j ${sep('10.180.0.2')}`,
      `-A ${SVC1.cluster} -m comment --comment "ns1/svc1:p80 -> 10.180.0.3:80" -j ${sep('10.180.0.3')}`,
    ]);
  });

  it('sorts endpoints by "ip:port" as text, like upstream', () => {
    const out = sync([service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)])], [slice('ns1', 'svc1', p80, [ep('10.0.0.9'), ep('10.0.0.10')])]);
    const rules = chain(out, 'nat', SVC1.cluster);
    expect(rules[1]).toContain('-> 10.0.0.10:80');
    expect(rules[2]).toContain('-> 10.0.0.9:80');
  });

  it('ClientIP affinity: recent --rcheck rules first, then the ladder; SEP chains --set', () => {
    const svc = service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)], { sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 300 });
    const out = sync([svc], [slice('ns1', 'svc1', p80, [ep('10.180.0.1'), ep('10.180.0.2')])]);
    const a = endpointChain('ns1/svc1:p80', 'TCP', '10.180.0.1:80');
    const b = endpointChain('ns1/svc1:p80', 'TCP', '10.180.0.2:80');
    expect(chain(out, 'nat', SVC1.cluster).slice(1)).toEqual([
      `-A ${SVC1.cluster} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m recent --name ${a} --rcheck --seconds 300 --reap -j ${a}`,
      `-A ${SVC1.cluster} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -m recent --name ${b} --rcheck --seconds 300 --reap -j ${b}`,
      `-A ${SVC1.cluster} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j ${a}`,
      `-A ${SVC1.cluster} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -j ${b}`,
    ]);
    expect(chain(out, 'nat', a)).toEqual([
      `-A ${a} -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ`,
      `-A ${a} -m comment --comment ns1/svc1:p80 -m recent --name ${a} --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80`,
    ]);
  });
});

describe('externalTrafficPolicy Local', () => {
  const lb = (): ServiceInput =>
    service('ns1', 'svc1', '172.30.0.41', [port('p80', 80, { nodePort: 30080 })], {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      loadBalancerIPs: ['1.2.3.4'],
      healthCheckNodePort: 30000,
    });

  it('with a local endpoint: KUBE-EXT short-circuits pods and the node to KUBE-SVC, the rest goes to KUBE-SVL', () => {
    const out = sync([lb()], [slice('ns1', 'svc1', p80, [ep('10.180.0.1', { nodeName: 'test-node' }), ep('10.180.0.2', { nodeName: 'other' })])]);
    const local = endpointChain('ns1/svc1:p80', 'TCP', '10.180.0.1:80');
    expect(chain(out, 'nat', SVC1.external)).toEqual([
      `-A ${SVC1.external} -m comment --comment "pod traffic for ns1/svc1:p80 external destinations" -s 10.0.0.0/8 -j ${SVC1.cluster}`,
      `-A ${SVC1.external} -m comment --comment "masquerade LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `-A ${SVC1.external} -m comment --comment "route LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j ${SVC1.cluster}`,
      `-A ${SVC1.external} -j ${SVC1.local}`,
    ]);
    // KUBE-SVL has no masquerade rule (cluster IP traffic goes to KUBE-SVC) and only the local endpoint.
    expect(chain(out, 'nat', SVC1.local)).toEqual([`-A ${SVC1.local} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j ${local}`]);
    expect(chain(out, 'nat', SVC1.cluster)).toHaveLength(3);
    expect(chain(out, 'nat', 'KUBE-NODEPORTS')).toContain(`-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 30080 -j ${SVC1.external}`);
    expect(chain(out, 'filter', 'KUBE-NODEPORTS')).toEqual([
      '-A KUBE-NODEPORTS -m comment --comment "ns1/svc1:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT',
    ]);
    expect(chain(out, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([]);
  });

  it('without a local endpoint: no KUBE-SVL, KUBE-EXT only short-circuits, and filter drops the rest', () => {
    const out = sync([lb()], [slice('ns1', 'svc1', p80, [ep('10.180.0.2', { nodeName: 'other' })])]);
    expect(declared(out, 'nat')).not.toContain(SVC1.local);
    expect(chain(out, 'nat', SVC1.external)).toHaveLength(3);
    expect(chain(out, 'nat', SVC1.external).join('\n')).not.toContain(SVC1.local);
    expect(chain(out, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j DROP',
    ]);
    // Cluster IP traffic is unaffected by the external policy.
    expect(chain(out, 'nat', 'KUBE-SERVICES')[0]).toContain(`-j ${SVC1.cluster}`);
    // The health check port is open whether or not there are local endpoints.
    expect(chain(out, 'filter', 'KUBE-NODEPORTS')).toHaveLength(1);
  });

  it('no pod short-circuit rule without a cluster CIDR (no local traffic detector)', () => {
    const out = sync([lb()], [slice('ns1', 'svc1', p80, [ep('10.180.0.1', { nodeName: 'test-node' })])], { clusterCIDR: '' });
    expect(chain(out, 'nat', SVC1.external).join('\n')).not.toContain('pod traffic');
    expect(chain(out, 'nat', SVC1.cluster).join('\n')).not.toContain('KUBE-MARK-MASQ');
  });
});

describe('internalTrafficPolicy Local', () => {
  const svc = () => service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)], { internalTrafficPolicy: 'Local' });

  it('cluster IP jumps to KUBE-SVL with only local endpoints; no KUBE-SVC', () => {
    const out = sync([svc()], [slice('ns1', 'svc1', p80, [ep('10.180.0.1', { nodeName: 'test-node' }), ep('10.180.0.2', { nodeName: 'other' })])]);
    const local = endpointChain('ns1/svc1:p80', 'TCP', '10.180.0.1:80');
    expect(chain(out, 'nat', 'KUBE-SERVICES')[0]).toBe(
      `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${SVC1.local}`,
    );
    expect(chain(out, 'nat', SVC1.local)).toEqual([
      `-A ${SVC1.local} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `-A ${SVC1.local} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j ${local}`,
    ]);
    expect(declared(out, 'nat').filter((c) => c.startsWith('KUBE-S'))).toEqual(['KUBE-SERVICES', local, SVC1.local]);
  });

  it('no local endpoints: DROP in filter KUBE-SERVICES, nothing in nat', () => {
    const out = sync([svc()], [slice('ns1', 'svc1', p80, [ep('10.180.0.2', { nodeName: 'other' })])]);
    expect(chain(out, 'filter', 'KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j DROP',
    ]);
    expect(declared(out, 'nat')).toEqual(['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING']);
  });
});

describe('services without endpoints', () => {
  it('ClusterIP: REJECT in filter KUBE-SERVICES', () => {
    const out = sync([service('ns6', 'svc6', '172.30.0.46', [port('p80', 80)])], []);
    expect(chain(out, 'filter', 'KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT',
    ]);
    expect(chain(out, 'nat', 'KUBE-SERVICES')).toHaveLength(1);
  });

  it('external IPs, LB IPs and node ports: REJECT in KUBE-EXTERNAL-SERVICES, no KUBE-FW even with source ranges', () => {
    const svc = service('ns1', 'svc1', '172.30.0.41', [port('p80', 80, { nodePort: 30080 })], {
      type: 'LoadBalancer',
      externalIPs: ['192.168.99.33'],
      loadBalancerIPs: ['5.6.7.8'],
      loadBalancerSourceRanges: ['203.0.113.0/25'],
    });
    const out = sync([svc], [slice('ns1', 'svc1', p80, [ep('10.180.0.1', { ready: false, serving: false })])]);
    const c = '"ns1/svc1:p80 has no endpoints"';
    expect(chain(out, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([
      `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${c} -m tcp -p tcp -d 192.168.99.33 --dport 80 -j REJECT`,
      `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${c} -m tcp -p tcp -d 5.6.7.8 --dport 80 -j REJECT`,
      `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${c} -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT`,
    ]);
    expect(chain(out, 'filter', 'KUBE-PROXY-FIREWALL')).toEqual([]);
    expect(declared(out, 'nat').some((n) => n.startsWith('KUBE-FW-') || n.startsWith('KUBE-EXT-'))).toBe(false);
  });
});

describe('terminating endpoints', () => {
  const lb = () =>
    service('ns1', 'svc1', '172.30.1.1', [port('', 80)], {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      loadBalancerIPs: ['1.2.3.4'],
      healthCheckNodePort: 30000,
      sessionAffinity: 'ClientIP',
    });
  const unnamed = [{ name: '', port: 80, protocol: 'TCP' as const }];
  const sep = (ip: string) => endpointChain('ns1/svc1', 'TCP', `${ip}:80`);
  const SVC = servicePortChains('ns1/svc1', 'TCP');

  it('ready endpoints win; terminating ones are ignored (upstream TestTerminatingEndpointsTrafficPolicyLocal)', () => {
    const out = sync(
      [lb()],
      [
        slice('ns1', 'svc1', unnamed, [
          ep('10.0.1.1', { nodeName: 'test-node' }),
          ep('10.0.1.2', { nodeName: 'test-node' }),
          ep('10.0.1.3', { nodeName: 'test-node', ready: false, serving: true, terminating: true }),
          ep('10.0.1.4', { nodeName: 'test-node', ready: false, serving: false, terminating: true }),
          ep('10.0.1.5', { nodeName: 'host-1' }),
        ]),
      ],
    );
    expect(sep('10.0.1.1')).toBe('KUBE-SEP-3JOIVZTXZZRGORX4');
    expect(declared(out, 'nat').filter((c) => c.startsWith('KUBE-SEP'))).toEqual(['KUBE-SEP-3JOIVZTXZZRGORX4', 'KUBE-SEP-EQCHZ7S2PJ72OHAY', 'KUBE-SEP-IO5XOSKPAXIFQXAJ']);
    expect(chain(out, 'nat', SVC.local)).toEqual([
      `-A ${SVC.local} -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --rcheck --seconds 10800 --reap -j KUBE-SEP-3JOIVZTXZZRGORX4`,
      `-A ${SVC.local} -m comment --comment "ns1/svc1 -> 10.0.1.2:80" -m recent --name KUBE-SEP-IO5XOSKPAXIFQXAJ --rcheck --seconds 10800 --reap -j KUBE-SEP-IO5XOSKPAXIFQXAJ`,
      `-A ${SVC.local} -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-3JOIVZTXZZRGORX4`,
      `-A ${SVC.local} -m comment --comment "ns1/svc1 -> 10.0.1.2:80" -j KUBE-SEP-IO5XOSKPAXIFQXAJ`,
    ]);
    expect(chain(out, 'nat', SVC.cluster)).toHaveLength(1 + 3 + 3);
  });

  it('only terminating local endpoints: KUBE-SVL falls back to serving+terminating, KUBE-SVC keeps the ready remote one', () => {
    const out = sync(
      [lb()],
      [
        slice('ns1', 'svc1', unnamed, [
          ep('10.0.1.2', { nodeName: 'test-node', ready: false, serving: true, terminating: true }),
          ep('10.0.1.3', { nodeName: 'test-node', ready: false, serving: true, terminating: true }),
          ep('10.0.1.4', { nodeName: 'test-node', ready: false, serving: false, terminating: true }),
          ep('10.0.1.5', { nodeName: 'host-1' }),
        ]),
      ],
    );
    expect(declared(out, 'nat').filter((c) => c.startsWith('KUBE-SEP'))).toEqual(['KUBE-SEP-EQCHZ7S2PJ72OHAY', 'KUBE-SEP-IO5XOSKPAXIFQXAJ', 'KUBE-SEP-XGJFVO3L2O5SRFNT']);
    expect(chain(out, 'nat', SVC.cluster).map((r) => r.replace(/^.*-j /, ''))).toEqual(['KUBE-MARK-MASQ', 'KUBE-SEP-EQCHZ7S2PJ72OHAY', 'KUBE-SEP-EQCHZ7S2PJ72OHAY']);
    expect(chain(out, 'nat', SVC.local).map((r) => r.replace(/^.*-j /, ''))).toEqual([
      'KUBE-SEP-IO5XOSKPAXIFQXAJ',
      'KUBE-SEP-XGJFVO3L2O5SRFNT',
      'KUBE-SEP-IO5XOSKPAXIFQXAJ',
      'KUBE-SEP-XGJFVO3L2O5SRFNT',
    ]);
  });

  it('ClusterIP service with only terminating endpoints uses the serving ones', () => {
    const out = sync(
      [service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)])],
      [slice('ns1', 'svc1', p80, [ep('10.180.0.1', { ready: false, serving: true, terminating: true }), ep('10.180.0.2', { ready: false, serving: false, terminating: true })])],
    );
    expect(chain(out, 'nat', SVC1.cluster).slice(1)).toEqual([
      `-A ${SVC1.cluster} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j ${endpointChain('ns1/svc1:p80', 'TCP', '10.180.0.1:80')}`,
    ]);
  });

  it('a duplicate ip:port keeps the non-terminating copy', () => {
    const out = sync(
      [service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)])],
      [
        slice('ns1', 'svc1', p80, [ep('10.180.0.1')], 'a'),
        slice('ns1', 'svc1', p80, [ep('10.180.0.1', { ready: false, serving: false, terminating: true })], 'b'),
      ],
    );
    expect(chain(out, 'nat', SVC1.cluster)).toHaveLength(2);
  });
});

describe('protocols and ports', () => {
  it('UDP and SCTP ports use their own match module', () => {
    const svc = service('kube-system', 'dns', '172.30.0.10', [port('dns', 53, { protocol: 'UDP' }), port('sig', 9999, { protocol: 'SCTP' })]);
    const out = sync(
      [svc],
      [
        slice(
          'kube-system',
          'dns',
          [
            { name: 'dns', port: 5353, protocol: 'UDP' },
            { name: 'sig', port: 9999, protocol: 'SCTP' },
          ],
          [ep('10.1.0.5')],
        ),
      ],
    );
    const udp = servicePortChains('kube-system/dns:dns', 'UDP');
    const sctp = servicePortChains('kube-system/dns:sig', 'SCTP');
    expect(chain(out, 'nat', 'KUBE-SERVICES').slice(0, 2)).toEqual([
      `-A KUBE-SERVICES -m comment --comment "kube-system/dns:dns cluster IP" -m udp -p udp -d 172.30.0.10 --dport 53 -j ${udp.cluster}`,
      `-A KUBE-SERVICES -m comment --comment "kube-system/dns:sig cluster IP" -m sctp -p sctp -d 172.30.0.10 --dport 9999 -j ${sctp.cluster}`,
    ]);
    const sep = endpointChain('kube-system/dns:dns', 'UDP', '10.1.0.5:5353');
    expect(chain(out, 'nat', sep)[1]).toBe(`-A ${sep} -m comment --comment kube-system/dns:dns -m udp -p udp -j DNAT --to-destination 10.1.0.5:5353`);
  });

  it('slice ports match service ports by name and protocol', () => {
    const svc = service('ns1', 'svc1', '172.30.0.41', [port('dns', 53, { protocol: 'UDP' }), port('dns', 53, { protocol: 'TCP' })]);
    const out = sync([svc], [slice('ns1', 'svc1', [{ name: 'dns', port: 53, protocol: 'UDP' }], [ep('10.1.0.5')])]);
    expect(chain(out, 'filter', 'KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:dns has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 53 -j REJECT',
    ]);
    expect(chain(out, 'nat', 'KUBE-SERVICES')[0]).toContain('-m udp -p udp');
  });

  it('multiple ports get one chain set each, endpoints per port', () => {
    const svc = service('ns1', 'web', '172.30.0.50', [port('http', 80), port('https', 443)]);
    const out = sync(
      [svc],
      [
        slice(
          'ns1',
          'web',
          [
            { name: 'http', port: 8080, protocol: 'TCP' },
            { name: 'https', port: 8443, protocol: 'TCP' },
          ],
          [ep('10.1.0.1'), ep('10.1.0.2')],
        ),
      ],
    );
    const http = servicePortChains('ns1/web:http', 'TCP');
    const https = servicePortChains('ns1/web:https', 'TCP');
    expect(chain(out, 'nat', 'KUBE-SERVICES').map((r) => r.replace(/^.*-j /, ''))).toEqual([http.cluster, https.cluster, 'KUBE-NODEPORTS']);
    expect(chain(out, 'nat', http.cluster)).toHaveLength(3);
    expect(chain(out, 'nat', https.cluster)).toHaveLength(3);
    expect(declared(out, 'nat').filter((c) => c.startsWith('KUBE-SEP'))).toHaveLength(4);
    expect(out).toContain('--to-destination 10.1.0.2:8443');
  });
});

describe('load balancer source ranges', () => {
  it('one KUBE-FW rule per range, then the fall-through marker; filter drops the rest per LB IP', () => {
    const svc = service('ns5', 'svc5', '172.30.0.45', [port('p80', 80, { nodePort: 3002 })], {
      type: 'LoadBalancer',
      loadBalancerIPs: ['5.6.7.8', '9.10.11.12'],
      loadBalancerSourceRanges: ['203.0.113.0/25', ' 198.51.100.7/24 ', 'not-a-cidr', '2001:db8::/64'],
    });
    const out = sync([svc], [slice('ns5', 'svc5', p80, [ep('10.180.0.3')])]);
    const c = servicePortChains('ns5/svc5:p80', 'TCP');
    expect(chain(out, 'nat', c.firewall)).toEqual([
      `-A ${c.firewall} -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j ${c.external}`,
      `-A ${c.firewall} -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 198.51.100.0/24 -j ${c.external}`,
      `-A ${c.firewall} -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"`,
    ]);
    expect(chain(out, 'filter', 'KUBE-PROXY-FIREWALL')).toEqual([
      `-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by ${c.firewall}" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP`,
      `-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by ${c.firewall}" -m tcp -p tcp -d 9.10.11.12 --dport 80 -j DROP`,
    ]);
    // Node ports bypass the source ranges.
    expect(chain(out, 'nat', 'KUBE-NODEPORTS')).toContain(`-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j ${c.external}`);
  });

  it('a range that contains the node IP also lets the LB IPs in as sources (VIP bound locally)', () => {
    const svc = service('ns5', 'svc5', '172.30.0.45', [port('p80', 80)], {
      type: 'LoadBalancer',
      loadBalancerIPs: ['5.6.7.8'],
      loadBalancerSourceRanges: ['192.168.0.0/16'],
    });
    const out = sync([svc], [slice('ns5', 'svc5', p80, [ep('10.180.0.3')])]);
    const c = servicePortChains('ns5/svc5:p80', 'TCP');
    expect(chain(out, 'nat', c.firewall)).toEqual([
      `-A ${c.firewall} -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 192.168.0.0/16 -j ${c.external}`,
      `-A ${c.firewall} -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 5.6.7.8 -j ${c.external}`,
      `-A ${c.firewall} -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"`,
    ]);
  });
});

describe('NodePort with externalTrafficPolicy Cluster', () => {
  const svc = () => service('ns3', 'svc3', '172.30.0.43', [port('p80', 80, { nodePort: 30003 })], { type: 'NodePort' });
  const c = servicePortChains('ns3/svc3:p80', 'TCP');

  it('node port (and its localhost twin) jump to KUBE-EXT, which masquerades and goes to KUBE-SVC', () => {
    const out = sync([svc()], [slice('ns3', 'svc3', p80, [ep('10.180.0.3', { nodeName: 'test-node' })])]);
    expect(chain(out, 'nat', 'KUBE-NODEPORTS')).toEqual([
      `-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 30003 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j ${c.external}`,
      `-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 30003 -j ${c.external}`,
    ]);
    expect(chain(out, 'nat', c.external)).toEqual([
      `-A ${c.external} -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ`,
      `-A ${c.external} -j ${c.cluster}`,
    ]);
    expect(declared(out, 'nat')).not.toContain(c.local);
    expect(chain(out, 'filter', 'KUBE-NODEPORTS')).toEqual([]);
  });

  it('localhostNodePorts false: no 127/8 rule, KUBE-SERVICES excludes 127/8, no KUBE-FIREWALL', () => {
    const out = sync([svc()], [slice('ns3', 'svc3', p80, [ep('10.180.0.3')])], { localhostNodePorts: false });
    expect(chain(out, 'nat', 'KUBE-NODEPORTS')).toHaveLength(1);
    expect(chain(out, 'nat', 'KUBE-SERVICES').at(-1)).toBe(
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS',
    );
    expect(declared(out, 'filter')).not.toContain('KUBE-FIREWALL');
  });

  it('without nfacct counters: neither the localhost twin nor the INVALID counter match', () => {
    const out = sync([svc()], [slice('ns3', 'svc3', p80, [ep('10.180.0.3')])], { nfacct: false });
    expect(chain(out, 'nat', 'KUBE-NODEPORTS')).toHaveLength(1);
    expect(chain(out, 'filter', 'KUBE-FORWARD')[0]).toBe('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP');
  });
});

describe('proxier options', () => {
  const one = (): [ServiceInput[], EndpointSliceInput[]] => [[service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)])], [slice('ns1', 'svc1', p80, [ep('10.180.0.1')])]];

  it('masqueradeBit sets the mark everywhere', () => {
    const out = sync(...one(), { masqueradeBit: 0 });
    expect(chain(out, 'nat', 'KUBE-MARK-MASQ')).toEqual(['-A KUBE-MARK-MASQ -j MARK --or-mark 0x1']);
    expect(chain(out, 'nat', 'KUBE-POSTROUTING')[0]).toBe('-A KUBE-POSTROUTING -m mark ! --mark 0x1/0x1 -j RETURN');
    expect(chain(out, 'filter', 'KUBE-FORWARD')[1]).toContain('--mark 0x1/0x1');
  });

  it('masqueradeAll masquerades every cluster IP packet', () => {
    const out = sync(...one(), { masqueradeAll: true });
    expect(chain(out, 'nat', SVC1.cluster)[0]).toBe(
      `-A ${SVC1.cluster} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-MARK-MASQ`,
    );
  });

  it('randomFully and nf_conntrack_tcp_be_liberal', () => {
    const out = sync(...one(), { randomFully: true, conntrackTCPBeLiberal: true });
    expect(chain(out, 'nat', 'KUBE-POSTROUTING')[2]).toBe('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
    expect(chain(out, 'filter', 'KUBE-FORWARD')).toHaveLength(2);
  });

  it('over 1000 endpoints drops the per-endpoint comments', () => {
    const eps = Array.from({ length: 1001 }, (_, i) => ep(`10.2.${i >> 8}.${i & 255}`));
    const out = sync([service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)])], [slice('ns1', 'svc1', p80, eps)]);
    const rules = chain(out, 'nat', SVC1.cluster);
    expect(rules).toHaveLength(1002);
    expect(rules[0]).toContain('--comment "ns1/svc1:p80 cluster IP"');
    expect(rules[1]).toMatch(/^-A KUBE-SVC-\w+ -m statistic --mode random --probability 0\.0009990010 -j KUBE-SEP-\w+$/);
    const sep = endpointChain('ns1/svc1:p80', 'TCP', '10.2.0.0:80');
    expect(chain(out, 'nat', sep)).toEqual([`-A ${sep} -s 10.2.0.0 -j KUBE-MARK-MASQ`, `-A ${sep} -m tcp -p tcp -j DNAT --to-destination 10.2.0.0:80`]);
  });

  it('skips headless and ExternalName services and non-IPv4 addresses', () => {
    const out = sync(
      [
        service('ns1', 'headless', 'None', [port('p80', 80)]),
        service('ns1', 'ext', '', [port('p80', 80)], { type: 'ExternalName', externalName: 'example.com' }),
        service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)], { externalIPs: ['2001:db8::1'] }),
      ],
      [slice('ns1', 'svc1', p80, [ep('fd00::1'), ep('10.180.0.1')]), slice('ns1', 'headless', p80, [ep('10.180.0.9')])],
    );
    expect(out).not.toContain('headless');
    expect(out).not.toContain('ns1/ext');
    expect(out).not.toContain('fd00');
    expect(out).not.toContain('2001:db8');
    expect(chain(out, 'nat', SVC1.cluster)).toHaveLength(2);
  });
});
