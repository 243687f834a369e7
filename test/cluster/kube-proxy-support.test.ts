import { describe, expect, it } from 'vitest';
import { chainOwners, jumpRuleList, jumpRules, serviceChains, servicePortChains, syncProxyRules, validateProxyInput } from '../../src/cluster/kube-proxy/index.js';
import { ep, port, ruleSets, service, slice, TEST_CONFIG } from './kube-proxy-helpers.js';

const p80 = [{ name: 'p80', port: 80, protocol: 'TCP' as const }];

describe('jump rules into the built-in chains', () => {
  it('kube-proxy -I rules sit above kubelet KUBE-FIREWALL jumps, in the order a real node shows', () => {
    expect(jumpRules(TEST_CONFIG)).toBe(
      [
        '*filter',
        ':KUBE-EXTERNAL-SERVICES - [0:0]',
        ':KUBE-FIREWALL - [0:0]',
        ':KUBE-FORWARD - [0:0]',
        ':KUBE-NODEPORTS - [0:0]',
        ':KUBE-PROXY-FIREWALL - [0:0]',
        ':KUBE-SERVICES - [0:0]',
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
        '-A INPUT -j KUBE-FIREWALL',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
        '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A OUTPUT -j KUBE-FIREWALL',
        '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
        'COMMIT',
        '*nat',
        ':KUBE-POSTROUTING - [0:0]',
        ':KUBE-SERVICES - [0:0]',
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('names who installs each jump', () => {
    const owners = jumpRuleList().map((r) => `${r.owner} ${r.table} ${r.chain} ${r.target}`);
    expect(owners).toContain('kubelet filter INPUT KUBE-FIREWALL');
    expect(owners).toContain('kube-proxy nat POSTROUTING KUBE-POSTROUTING');
    expect(owners).toHaveLength(14);
  });

  it('every chain the sync jumps to is declared in the same table', () => {
    const text = syncProxyRules(TEST_CONFIG, [service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)])], [slice('ns1', 'svc1', p80, [ep('10.180.0.1')])]);
    for (const [table, chains] of ruleSets(text)) {
      for (const rules of chains.values()) {
        for (const r of rules) {
          const target = / -j (\S+)/.exec(r)?.[1];
          if (target !== undefined && /^KUBE-/.test(target)) expect(chains.has(target), `${table}: ${r}`).toBe(true);
        }
      }
    }
  });
});

describe('serviceChains', () => {
  it('names the chains and candidate endpoints of each service port', () => {
    const svc = service('ns1', 'svc1', '172.30.0.41', [port('p80', 80, { nodePort: 30080 })], { type: 'NodePort', externalTrafficPolicy: 'Local' });
    const entries = serviceChains(TEST_CONFIG, [svc], [
      slice('ns1', 'svc1', p80, [
        ep('10.180.0.1', { nodeName: 'test-node' }),
        ep('10.180.0.2', { nodeName: 'other' }),
        ep('10.180.0.3', { ready: false, serving: false }),
      ]),
    ]);
    const c = servicePortChains('ns1/svc1:p80', 'TCP');
    expect(entries).toHaveLength(1);
    const e = entries[0]!;
    expect(e).toMatchObject({ servicePort: 'ns1/svc1:p80', internalChain: c.cluster, clusterChain: c.cluster, localChain: c.local, externalChain: c.external });
    expect(e.firewallChain).toBeUndefined();
    expect(e.endpoints.map((x) => [x.endpoint, x.inClusterChain, x.inLocalChain, x.reachable])).toEqual([
      ['10.180.0.1:80', true, true, true],
      ['10.180.0.2:80', true, false, true],
      ['10.180.0.3:80', false, false, false],
    ]);
    const owners = chainOwners(entries);
    expect(owners.get(c.local)).toEqual({ servicePort: 'ns1/svc1:p80', kind: 'local' });
    expect(owners.get(e.endpoints[0]!.chain)).toEqual({ servicePort: 'ns1/svc1:p80', kind: 'endpoint', endpoint: '10.180.0.1:80' });
    expect(owners.has(e.endpoints[2]!.chain)).toBe(false);
  });
});

describe('validateProxyInput', () => {
  it('reports what kube-proxy skips, ignores, rejects or drops, without throwing', () => {
    const warnings = validateProxyInput(
      TEST_CONFIG,
      [
        service('ns1', 'headless', 'None', [port('p80', 80)]),
        service('ns1', 'ext', '', [port('p80', 80)], { type: 'ExternalName' }),
        service('ns1', 'v6', 'fd00::10', [port('p80', 80)]),
        service('ns1', 'lb', '172.30.0.41', [port('p80', 80)], {
          type: 'LoadBalancer',
          externalTrafficPolicy: 'Local',
          externalIPs: ['2001:db8::1'],
          loadBalancerSourceRanges: ['bogus'],
        }),
        service('ns1', 'itp', '172.30.0.42', [port('p80', 80)], { internalTrafficPolicy: 'Local' }),
        service('ns1', 'draining', '172.30.0.43', [port('p80', 80)]),
      ],
      [
        slice('ns1', 'lb', [...p80, { name: 'zero', port: 0, protocol: 'TCP' }, { name: 'other', port: 81, protocol: 'TCP' }], [ep('fd00::1'), ep('10.1.0.1'), ep('10.1.0.1')]),
        slice('ns1', 'itp', p80, [ep('10.1.0.2', { nodeName: 'other' })]),
        slice('ns1', 'draining', p80, [ep('10.1.0.3', { ready: false, serving: true, terminating: true })]),
        slice('ns1', 'gone', p80, [ep('10.1.0.4')]),
      ],
    );
    expect(warnings).toEqual([
      'service ns1/headless: headless (no cluster IP), not proxied',
      'service ns1/ext: ExternalName, not proxied',
      'service ns1/v6: cluster IP fd00::10 is not IPv4, not proxied by the IPv4 proxier',
      'service ns1/lb: external IP 2001:db8::1 is not IPv4, ignored',
      'service ns1/lb: loadBalancerSourceRanges entry "bogus" is not an IPv4 CIDR, ignored',
      'service ns1/lb: externalTrafficPolicy Local without a healthCheckNodePort, no health check rule',
      'endpointslice ns1/lb-abcde: port "zero" has port 0, ignored',
      'endpointslice ns1/lb-abcde: port "other"/TCP matches no port of the service, ignored',
      'endpointslice ns1/lb-abcde: endpoint fd00::1 is not IPv4, ignored',
      'endpointslice ns1/lb-abcde: endpoint 10.1.0.1 listed twice',
      'endpointslice ns1/gone-abcde: service ns1/gone does not exist, ignored',
      'service port ns1/draining:p80/TCP: no ready endpoints, falling back to serving terminating ones',
      'service port ns1/itp:p80/TCP: internalTrafficPolicy Local and no local endpoints, cluster IP traffic is dropped',
      'service port ns1/lb:p80/TCP: externalTrafficPolicy Local and no local endpoints, external traffic from outside the node is dropped',
    ]);
  });

  it('is quiet for a healthy service', () => {
    expect(validateProxyInput(TEST_CONFIG, [service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)])], [slice('ns1', 'svc1', p80, [ep('10.180.0.1')])])).toEqual([]);
  });
});

describe('repeated objects', () => {
  it('a Service listed twice is programmed once (the first copy) and reported', () => {
    const a = service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)]);
    const b = service('ns1', 'svc1', '172.30.0.99', [port('p80', 80)]);
    const slices = [slice('ns1', 'svc1', p80, [ep('10.180.0.1')])];
    expect(syncProxyRules(TEST_CONFIG, [a, b], slices)).toBe(syncProxyRules(TEST_CONFIG, [a], slices));
    expect(validateProxyInput(TEST_CONFIG, [a, b], slices)).toEqual(['service ns1/svc1: listed twice, the first one is used']);
  });
});
