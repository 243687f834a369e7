import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Simulation } from '../../src/api/index.js';
import { policyMatches } from '../../src/scenario/run/expect.js';
import type { PolicyEvent } from '../../src/trace/events.js';
import '../../src/vitest/index.js';
import { visibleWidth } from '../../src/trace/view/terminal.js';
import { failureWidth } from '../../src/vitest/width.js';

const scenarios = join(import.meta.dirname, '..', '..', 'scenarios');
const vxlan = Simulation.fromFile(join(scenarios, 'cross-node-vxlan.yaml')).run();
const services = Simulation.fromFile(join(scenarios, 'service-clusterip.yaml')).run();
const netpol = Simulation.fromFile(join(scenarios, 'netpol-allow-frontend.yaml')).run();

/** The message a failing assertion throws. */
function failure(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the assertion to fail');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('podwalk/vitest matchers', () => {
  const cross = vxlan.flows[0]!;
  // What a message says, on one line per row: a terminal wide enough for every table (folding is tested below).
  beforeEach(() => {
    vi.stubEnv('COLUMNS', '1000');
  });

  it('pass on what the trace shows', () => {
    expect(cross).toBeDelivered();
    expect(cross).toBeDeliveredTo(cross.deliveredTo!);
    expect(cross).toTraverse(['node1:cbr0', 'node1:flannel.1', 'node2:flannel.1']);
    expect(cross).not.toTraverse(['node2:flannel.1', 'node1:flannel.1']);
    expect(cross).not.toBeDropped();
    expect(cross).not.toBeNatted();
    expect(cross).toBeSeenFrom(cross.seenSource!);
    const svc = services.flow('to-service');
    expect(svc).toBeNatted();
    expect(svc).toBeNatted({ dst: svc.nat[0]!.after.split(' > ')[1]! });
    expect(svc).not.toBeNatted({ dst: '10.96.0.11:80' });
  });

  it('toTraverse names the expected and the actual hop and shows the trace there', () => {
    const msg = failure(() => expect(cross).toTraverse(['node1:cbr0', 'node1:lo', 'node2:flannel.1']));
    expect(msg).toContain('expected hop 2 of 3: node1:lo (after node1:cbr0)');
    expect(msg).toContain('actual hop after node1:cbr0: node1:flannel.1');
    expect(msg).toMatch(/trace around it \(request packet events; \d+ earlier, \d+ later not shown\):/);
    expect(msg).toMatch(/│ ▶ node1:flannel\.1 +│/); // the divergent hop's row is marked
    expect(msg).not.toContain('{"'); // a hop table, not a JSON dump
  });

  it('toBeDeliveredTo / toBeDropped show where the flow actually ended', () => {
    const other = vxlan.raw.scenario.pods.find((p) => `pod/${p.namespace}/${p.name}` !== cross.deliveredTo)!;
    const msg = failure(() => expect(cross).toBeDeliveredTo(`pod/${other.namespace}/${other.name}`));
    expect(msg).toContain(`expected hop: delivery to a socket in ${other.namespace}/${other.name}`);
    expect(msg).toMatch(/actual hop: {3}delivered at \S+ \(to pod\/default\/\S+, source seen /);
    expect(msg).toMatch(/▶ .*DELIVER to/);
    const denied = netpol.flow('other-same-node');
    expect(denied).toBeDropped({ reason: 'policy-denied' });
    const msg2 = failure(() => expect(denied).toBeDelivered());
    expect(msg2).toMatch(/actual: dropped at node1 \(policy-denied/);
    expect(msg2).toMatch(/▶ node1 .*DROP policy-denied/);
    expect(failure(() => expect(denied).toBeDropped({ reason: 'no-route' }))).toContain('to be dropped (no-route)');
  });

  it('toMatchPolicy reads the policy decisions of the request', () => {
    expect(netpol.flow('frontend-same-node')).toMatchPolicy('default/allow-frontend-to-backend');
    expect(netpol.flow('frontend-same-node')).toMatchPolicy('default/allow-frontend-to-backend', { direction: 'ingress', verdict: 'allow' });
    expect(netpol.flow('other-cross-node')).toMatchPolicy('default/allow-frontend-to-backend', { verdict: 'deny' });
    expect(netpol.flow('backend-to-frontend')).not.toMatchPolicy('default/allow-frontend-to-backend');
    const msg = failure(() => expect(netpol.flow('other-same-node')).toMatchPolicy('default/allow-frontend-to-backend', { verdict: 'allow' }));
    expect(msg).toContain('expected flow "other-same-node" to match NetworkPolicy default/allow-frontend-to-backend allow');
    expect(msg).toMatch(/actual: ingress default\/backend-1 deny \(no-rule isolated by default\/allow-frontend-to-backend\)/);
    expect(msg).toContain('NetworkPolicy decisions on the request:');
  });

  it('policy semantics on hand-made decisions: a deny matches every isolating policy', () => {
    const base = { t: 0, pkt: 1, at: 'node1', kind: 'policy' as const, pod: 'shop/cart', direction: 'ingress' as const };
    const deny: PolicyEvent = { ...base, verdict: 'deny', because: 'no-rule', isolatedBy: ['shop/a', 'shop/b'] };
    const allow: PolicyEvent = { ...base, verdict: 'allow', because: 'rule', policy: 'shop/b', rule: 0, isolatedBy: ['shop/a', 'shop/b'] };
    expect(policyMatches([deny], { name: 'shop/a' })).toBe(true);
    expect(policyMatches([deny], { name: 'shop/a', verdict: 'allow' })).toBe(false);
    expect(policyMatches([allow], { name: 'shop/a' })).toBe(false); // isolating, but b's rule decided
    expect(policyMatches([allow], { name: 'shop/b', direction: 'egress' })).toBe(false);
  });

  it('toBeNatted and toBeSeenFrom explain with the NAT steps', () => {
    const svc = services.flow('to-service');
    const msg = failure(() => expect(svc).toBeNatted({ dst: '10.244.9.9' }));
    expect(msg).toContain('to be natted: DNAT to 10.244.9.9');
    expect(msg).toMatch(/actual: DNAT dst \S+ > 10\.96\.0\.11:80 -> /);
    expect(msg).toContain('netfilter and NAT on the request:');
    const msg2 = failure(() => expect(svc).toBeSeenFrom('1.2.3.4'));
    expect(msg2).toMatch(/actual: seen from 10\.244\.1\.\d+/);
  });

  it('a name that did not resolve shows the DNS lookup where it failed', () => {
    const sim = Simulation.fromFile(join(scenarios, 'netpol-allow-frontend.yaml'), { traffic: false });
    sim.send({ name: 'no-such-name', from: 'pod/frontend', to: 'nosuch', port: 80 });
    const msg = failure(() => expect(sim.run().flow('no-such-name')).toBeDelivered());
    expect(msg).toMatch(/actual: dropped \(dns-unresolved: /);
    expect(msg).toMatch(/no request was sent; the DNS lookup \(lookup packet events, ARP left out/);
    expect(msg).toMatch(/▶ default\/frontend:eth0 +│ DELIVER to udp .* from 10\.96\.0\.10:53/); // the last answer (SERVFAIL) back at the sender
    expect(msg).toMatch(/NXDOMAIN/);
  });

  it('say so when given something that is not a flow', () => {
    expect(failure(() => expect({ verdict: 'delivered' }).toBeDelivered())).toMatch(/expected a podwalk Flow \(results\.flow\(name\)\), received an object with keys verdict/);
  });
});

describe('failure messages fit the terminal', () => {
  const cross = vxlan.flows[0]!;
  const widest = (msg: string): number => Math.max(...msg.split('\n').map(visibleWidth));
  const failures = (): string[] => [
    failure(() => expect(cross).toTraverse(['node1:cbr0', 'node1:lo', 'node2:flannel.1'])),
    failure(() => expect(cross).toBeDropped()),
    failure(() => expect(services.flow('to-service')).toBeNatted({ dst: '10.244.9.9' })),
    failure(() => expect(services.flow('to-service')).toBeSeenFrom('1.2.3.4')),
    failure(() => expect(netpol.flow('other-same-node')).toMatchPolicy('default/allow-frontend-to-backend', { verdict: 'allow' })),
    failure(() => expect(netpol.flow('other-same-node')).toBeDeliveredTo('pod/default/backend-1')),
  ];

  it('the width: COLUMNS when set, else the terminal, else 80 (vitest workers have no terminal)', () => {
    expect(failureWidth({}, {})).toBe(80);
    expect(failureWidth({}, { isTTY: false, columns: 120 })).toBe(80);
    expect(failureWidth({}, { isTTY: true, columns: 120 })).toBe(120);
    expect(failureWidth({ COLUMNS: '100' }, { isTTY: true, columns: 120 })).toBe(100);
    expect(failureWidth({ COLUMNS: 'wide' }, {})).toBe(80);
    expect(failureWidth({ COLUMNS: '20' }, {})).toBe(40); // the CLI's floor: a table needs room for its event column
  });

  it.each([80, 60, 120])('no line of a failure is wider than %i columns, and nothing is cut off', (w) => {
    vi.stubEnv('COLUMNS', String(w));
    for (const msg of failures()) {
      expect(widest(msg), msg).toBeLessThanOrEqual(w);
      expect(msg, msg).not.toContain('…'); // cli-table3's truncation: every word is there, wrapped
    }
  });

  it('the rows still read: the marked place whole, addresses whole, a rule continued under it', () => {
    vi.stubEnv('COLUMNS', '80');
    const msg = failure(() => expect(cross).toTraverse(['node1:cbr0', 'node1:lo', 'node2:flannel.1']));
    expect(msg).toMatch(/^│ [\d.]+ +│ #1 +│ ▶ node1:flannel\.1 +│ tx 142B /m);
    expect(msg).toMatch(/^│ +│ +│ +│ {3}-A FORWARD -m comment --comment +│$/m); // a rule, indented under its event
    expect(msg).toMatch(/^│ +│ +│ +│ {5}"kubernetes forwarding rules" -j/m); // and its continuation further in
    expect(msg).toMatch(/^ {2}path: default\/pod1:eth0 -> .*\n {4}-> /m); // a long path goes on, indented
    // The widest table the old messages had (some 200 columns) is now as wide as the terminal.
    expect(widest(msg)).toBe(80);
    const dns = Simulation.fromFile(join(scenarios, 'netpol-allow-frontend.yaml'), { traffic: false });
    dns.send({ name: 'no-such-name', from: 'pod/frontend', to: 'nosuch', port: 80 });
    const lookup = failure(() => expect(dns.run().flow('no-such-name')).toBeDelivered());
    // A place too long for its cell breaks before the device, not inside a name.
    expect(lookup).toMatch(/│ ▶ default\/frontend +│ DELIVER to udp [^\n]*\n│ +│ +│ {3}:eth0 +│/);
  });
});
