/**
 * A matcher judges its argument as scenario `expect:` does, before deciding
 * pass or fail: an argument the run cannot judge (malformed, unknown, or a
 * question a non-detailed run has no answer to) throws, with or without
 * `.not`, so a typo can never make an assertion pass.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation, UsageError } from '../../src/api/index.js';
import '../../src/vitest/index.js';

const scenarios = join(import.meta.dirname, '..', '..', 'scenarios');
const shop = Simulation.fromFile(join(scenarios, 'shop-policies.yaml')).run();
const f = shop.flow('frontend-to-cart');

/** The error an assertion throws, for both its forms. */
function bothThrow(assert: (negated: boolean) => void): string[] {
  return [false, true].map((negated) => {
    try {
      assert(negated);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error(`expected ${negated ? '.not' : 'the assertion'} to throw`);
  });
}

describe('matcher arguments are judged against the run, with or without .not', () => {
  const cases: [string, (n: boolean) => void, RegExp][] = [
    ['an unknown device', (n) => (n ? expect(f).not : expect(f)).toTraverse(['node1:cni0']), /toTraverse: via\[0\]: no device node1:cni0 \(devices of node1: lo, eth0, .*flannel\.1/],
    ['an unknown namespace in a hop', (n) => (n ? expect(f).not : expect(f)).toTraverse(['node7:eth0']), /toTraverse: via\[0\]: expected <netns>:<device> .* found "node7:eth0"/],
    ['an unknown pod', (n) => (n ? expect(f).not : expect(f)).toBeDeliveredTo('pod/shop/crat'), /toBeDeliveredTo: deliveredTo: no pod shop\/crat \(pods in shop: .*cart/],
    ['a malformed ref', (n) => (n ? expect(f).not : expect(f)).toBeDeliveredTo('shop/cart'), /toBeDeliveredTo: deliveredTo: /],
    ['an unknown policy', (n) => (n ? expect(f).not : expect(f)).toMatchPolicy('shop/cart-from-frontnd'), /toMatchPolicy: policy\.name: no NetworkPolicy shop\/cart-from-frontnd in resources or steps \(policies in shop: cart-from-frontend, frontend-egress\)/],
    ['a malformed policy name', (n) => (n ? expect(f).not : expect(f)).toMatchPolicy('cart-from-frontend'), /toMatchPolicy: policy\.name: expected a NetworkPolicy as <namespace>\/<name>/],
    ['an unknown policy option', (n) => (n ? expect(f).not : expect(f)).toMatchPolicy('shop/cart-from-frontend', { verdict: 'allowed' as never }), /toMatchPolicy: policy\.verdict: /],
    ['a malformed IP', (n) => (n ? expect(f).not : expect(f)).toBeSeenFrom('10.244.1'), /toBeSeenFrom: seenSource: expected an IPv4 address, found "10\.244\.1"/],
    ['a malformed NAT address', (n) => (n ? expect(f).not : expect(f)).toBeNatted({ dst: '10.96.0.300' }), /toBeNatted: natted\.dst: expected <ip> or <ip>:<port>/],
    ['a misspelt NAT field', (n) => (n ? expect(f).not : expect(f)).toBeNatted({ dts: '10.96.0.3' } as never), /toBeNatted: unknown option dts/],
    ['an unknown drop reason', (n) => (n ? expect(f).not : expect(f)).toBeDropped({ reason: 'policy-deny' as never }), /toBeDropped: dropReason: unknown drop reason policy-deny; expected one of .*policy-denied/],
  ];
  for (const [what, assert, message] of cases) {
    it(`${what} throws`, () => {
      for (const m of bothThrow(assert)) expect(m).toMatch(message);
    });
  }

  it('well-formed, known arguments still pass and fail as before', () => {
    expect(f).toTraverse(['node1:flannel.1']);
    expect(f).not.toTraverse(['node1:eth0', 'node1:flannel.1']);
    expect(f).toMatchPolicy('shop/cart-from-frontend');
    expect(f).not.toMatchPolicy('shop/frontend-egress', { direction: 'ingress' });
    expect(f).not.toBeDeliveredTo('pod/shop/intruder');
    expect(f).not.toBeDropped({ reason: 'policy-denied' });
  });
});

describe('toBeDeliveredTo takes what expect.deliveredTo takes', () => {
  const svc = Simulation.fromFile(join(scenarios, 'service-clusterip.yaml')).run().flow('to-service');

  it('a workload or selector (any of its pods) and a list (any of them)', () => {
    expect(svc).toBeDeliveredTo('pod/default?app=web');
    expect(svc).toBeDeliveredTo(['pod/default/web-a', 'pod/default/web-b']);
    expect(svc).not.toBeDeliveredTo('pod/default/client');
    expect(svc).not.toBeDeliveredTo(['pod/client', 'node/node1']);
  });

  it('a Deployment: its pods, whose names the test cannot know', () => {
    const sim = Simulation.fromYaml(
      `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: deploy}
cluster: {nodes: [{name: node1}, {name: node2}]}
resources:
  - apiVersion: v1
    kind: Pod
    metadata: {name: client}
    spec: {nodeName: node1, containers: [{name: c, image: busybox}]}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 2
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}
  - apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`,
      { traffic: false },
    );
    sim.send({ name: 'svc', from: 'pod/client', to: 'service/web', port: 80, expect: { deliveredTo: 'deployment/web' } });
    const results = sim.run();
    expect(results.mismatches()).toEqual([]);
    expect(results.flow('svc')).toBeDeliveredTo('deployment/web');
    expect(results.flow('svc')).toBeDeliveredTo('deployment/default/web');
    expect(results.flow('svc')).not.toBeDeliveredTo('pod/client');
    expect(() => expect(results.flow('svc')).not.toBeDeliveredTo('deployment/wbe')).toThrow(/toBeDeliveredTo: deliveredTo: .*wbe/);
  });
});

describe('a run without detail refuses what it did not record', () => {
  const sim = Simulation.fromFile(join(scenarios, 'service-clusterip.yaml'), { detailed: false });
  const results = sim.run();
  const svc = results.flow('to-service');

  it('matchers on path, NAT and policy throw, negated or not; outcome matchers still answer', () => {
    for (const m of bothThrow((n) => (n ? expect(svc).not : expect(svc)).toBeNatted())) expect(m).toMatch(/toBeNatted: natted: this run kept only outcomes \(detailed: false\)/);
    for (const m of bothThrow((n) => (n ? expect(svc).not : expect(svc)).toTraverse(['node1:cbr0']))) expect(m).toMatch(/detailed: true/);
    for (const m of bothThrow((n) => (n ? expect(svc).not : expect(svc)).toBeNatted({ dst: '10.96.0.11:80' }))) expect(m).toMatch(/detailed/);
    expect(svc).toBeDelivered();
    expect(svc).toBeDeliveredTo('pod/default?app=web');
    expect(svc).not.toBeDropped();
  });

  it('the Flow getters that need detail throw instead of answering "none"', () => {
    expect(svc.detailed).toBe(false);
    for (const get of [() => svc.path, () => svc.nat, () => svc.natted, () => svc.policies, () => svc.rules, () => svc.hops()]) expect(get).toThrow(/this run kept only outcomes/);
  });

  it('a send whose expect needs detail is refused at send()', () => {
    const s = Simulation.fromFile(join(scenarios, 'service-clusterip.yaml'), { detailed: false, traffic: false });
    expect(() => s.send({ name: 'x', from: 'pod/client', to: 'service/web', port: 80, expect: { natted: false, hops: 0 } })).toThrow(/expect: natted, hops: this run kept only outcomes/);
    s.send({ name: 'y', from: 'pod/client', to: 'service/web', port: 80, expect: { verdict: 'delivered' } });
    expect(s.run().mismatches()).toEqual([]);
  });
});
