import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { syncProxyRules, validateProxyInput } from '../../src/cluster/kube-proxy/index.js';
import type { EndpointSliceInput, ServiceInput } from '../../src/cluster/spec.js';
import { asObject, ep, port, ruleSets, service, slice, TEST_CONFIG } from './kube-proxy-helpers.js';

/** Golden rule sets from upstream kube-proxy's unit tests (shared/conformance/kube-proxy, copied for CI). */
const fixture = (name: string): string => readFileSync(new URL(`./fixtures/kube-proxy/${name}`, import.meta.url), 'utf8');

const p80 = [{ name: 'p80', port: 80, protocol: 'TCP' as const }];

/** The six services of upstream's TestOverallIPTablesRules. */
function overall(): { services: ServiceInput[]; slices: EndpointSliceInput[] } {
  const services = [
    service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)]),
    service('ns2', 'svc2', '172.30.0.42', [port('p80', 80, { nodePort: 3001 })], {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      loadBalancerIPs: ['1.2.3.4'],
      externalIPs: ['192.168.99.22'],
      healthCheckNodePort: 30000,
    }),
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
  ];
  const slices = [
    slice('ns1', 'svc1', p80, [ep('10.180.0.1')]),
    slice('ns2', 'svc2', p80, [ep('10.180.0.2')]),
    slice('ns3', 'svc3', p80, [ep('10.180.0.3')]),
    slice('ns4', 'svc4', p80, [ep('10.180.0.4'), ep('10.180.0.5', { nodeName: 'test-node' })]),
    slice('ns5', 'svc5', p80, [ep('10.180.0.3')]),
  ];
  return { services, slices };
}

function twoClusterIP(): { services: ServiceInput[]; slices: EndpointSliceInput[] } {
  return {
    services: [service('ns1', 'svc1', '172.30.0.41', [port('p80', 80)]), service('ns2', 'svc2', '172.30.0.42', [port('p8080', 8080)])],
    slices: [slice('ns1', 'svc1', p80, [ep('10.0.1.1')]), slice('ns2', 'svc2', [{ name: 'p8080', port: 8080, protocol: 'TCP' }], [ep('10.0.2.1')])],
  };
}

describe('kube-proxy iptables golden rule sets', () => {
  for (const [file, input] of [
    ['overall.iptables-save', overall],
    ['two-clusterip.iptables-save', twoClusterIP],
  ] as const) {
    it(`${file}: same lines per table and chain`, () => {
      const { services, slices } = input();
      const got = syncProxyRules(TEST_CONFIG, services, slices);
      expect(asObject(ruleSets(got))).toEqual(asObject(ruleSets(fixture(file))));
    });

    it(`${file}: printed in upstream's test order, byte for byte`, () => {
      const { services, slices } = input();
      expect(syncProxyRules(TEST_CONFIG, services, slices)).toBe(fixture(file).replace(/\n*$/, '\n'));
    });

    it(`${file}: input order does not matter`, () => {
      const { services, slices } = input();
      expect(syncProxyRules(TEST_CONFIG, [...services].reverse(), [...slices].reverse())).toBe(syncProxyRules(TEST_CONFIG, services, slices));
    });
  }

  it('overall: warns about the service with no endpoints and the eTP Local one without local endpoints', () => {
    const { services, slices } = overall();
    expect(validateProxyInput(TEST_CONFIG, services, slices)).toEqual([
      'service port ns2/svc2:p80/TCP: externalTrafficPolicy Local and no local endpoints, external traffic from outside the node is dropped',
      'service port ns6/svc6:p80/TCP: no endpoints, traffic is rejected (filter KUBE-SERVICES / KUBE-EXTERNAL-SERVICES)',
    ]);
  });
});
