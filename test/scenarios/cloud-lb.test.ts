import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBalancerBackends } from '../../src/cluster/cloud-lb.js';
import { selectNexthop, type Route } from '../../src/kernel/fib.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const file = join(import.meta.dirname, '..', '..', 'scenarios', 'service-loadbalancer-spread.yaml');

/** The node each connection entered by: the nexthop the gateway's multipath route chose. */
function entryNodes(seed?: number): string[] {
  const r = loadScenarioFile(file, seed === undefined ? {} : { seed });
  if (!r.ok) throw new Error('does not load');
  const run = simulate(r.scenario);
  return run.flows
    .filter((f) => f.flow.startsWith('etp-cluster#'))
    .map((f) => run.events.find((e) => e.kind === 'route' && e.pkt === f.pkt && e.at === 'gateway'))
    .map((e) => (e?.kind === 'route' ? (e.nexthop ?? e.route) : 'none'));
}

describe('the cloud load balancer spreads connections over the eligible nodes', () => {
  it('externalTrafficPolicy Cluster: connections enter at every node, chosen per connection by the 5-tuple hash', () => {
    const nodes = entryNodes();
    expect(new Set(nodes)).toEqual(new Set(['via 192.168.56.11 dev eth0', 'via 192.168.56.12 dev eth0', 'via 192.168.56.13 dev eth0']));
    // Deterministic: the same seed, the same spread.
    expect(entryNodes()).toEqual(nodes);
    expect(entryNodes(2)).toHaveLength(6);
  });

  it('externalTrafficPolicy Local: only nodes with a ready endpoint pass the health check; none passing fails open to every node', () => {
    const r = loadScenarioFile(file);
    if (!r.ok) throw new Error('does not load');
    const { cluster, services, endpointSlices } = r.scenario;
    const spec = { ...cluster, nodes: cluster.nodes };
    expect(loadBalancerBackends(spec as never, services, endpointSlices)).toEqual(
      new Map([
        ['203.0.113.10', ['192.168.56.11', '192.168.56.12', '192.168.56.13']],
        ['203.0.113.11', ['192.168.56.13']],
      ]),
    );
    const notReady = endpointSlices.map((s) => ({ ...s, endpoints: s.endpoints.map((e) => ({ ...e, ready: false })) }));
    expect(loadBalancerBackends(spec as never, services, notReady).get('203.0.113.11')).toEqual(['192.168.56.11', '192.168.56.12', '192.168.56.13']);
  });

  it('fib_select_multipath: each nexthop owns a share of the 31-bit hash space by weight', () => {
    const dev = { name: 'eth0' } as never;
    const route = { nexthops: [{ via: 1, dev, weight: 1 }, { via: 2, dev, weight: 3 }] } as unknown as Route;
    expect(selectNexthop(route, 0).via).toBe(1);
    expect(selectNexthop(route, 2 ** 29 - 1).via).toBe(1);
    expect(selectNexthop(route, 2 ** 29).via).toBe(2);
    expect(selectNexthop(route, 2 ** 31 - 1).via).toBe(2);
  });
});
