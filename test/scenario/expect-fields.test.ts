import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExpectations } from '../../src/scenario/run/expect.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const file = join(import.meta.dirname, '..', '..', 'scenarios', 'shop-policies.yaml');
const text = readFileSync(file, 'utf8');

function problems(yaml: string): string[] {
  const r = loadScenarioText(yaml, 'shop.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
}

function mismatches(yaml: string): string[] {
  const r = loadScenarioText(yaml, 'shop.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return checkExpectations(simulate(r.scenario).flows).map((m) => `${m.flow}: ${m.field}: expected ${m.expected}; actual ${m.actual}`);
}

describe('expect: notVia, natted, policy, hops, rtt', () => {
  it('the showcase scenario meets all of them', () => {
    expect(mismatches(text)).toEqual([]);
  });

  it('each unmet one is reported as expected vs actual', () => {
    const m = mismatches(
      text
        .replace('natted: {dst: 10.244.2.2:8080}', 'natted: {dst: 10.244.2.9}')
        .replace('hops: 13', 'hops: {min: 20}')
        .replace('rtt: {max: 1ms}', 'rtt: {max: 100us}')
        .replace('- {name: shop/frontend-egress, direction: egress, verdict: allow}', '- {name: shop/frontend-egress, direction: ingress}')
        .replace('notVia: [node1:eth0]', 'notVia: [shop/frontend:eth0]')
        .replace('natted: false', 'natted: true'),
    );
    expect(m).toEqual([
      expect.stringMatching(/^frontend-to-cart: natted: expected DNAT to 10\.244\.2\.9; actual DNAT dst 10\.244\.1\.2:\d+ > 10\.96\.0\.11:80 -> 10\.244\.1\.2:\d+ > 10\.244\.2\.2:8080 at node1$/),
      expect.stringMatching(/^frontend-to-cart: policy: expected shop\/frontend-egress ingress; actual egress shop\/frontend allow \(rule shop\/frontend-egress\); ingress shop\/cart allow \(rule shop\/cart-from-frontend\)$/),
      expect.stringMatching(/^frontend-to-cart: hops: expected at least 20; actual 13: shop\/frontend:eth0 -> /),
      'frontend-to-cart: rtt: expected at most 100.000 us; actual 211.331 us',
      'frontend-to-intruder: notVia: expected not shop/frontend:eth0; actual crossed shop/frontend:eth0: shop/frontend:eth0 -> node1:vethf250d5da -> node1:cbr0',
      'frontend-to-intruder: natted: expected some NAT; actual no NAT',
    ]);
  });

  it('bad values are input errors at file:line:col with the field path', () => {
    const bad = text
      .replace('natted: {dst: 10.244.2.2:8080}', 'natted: {dst: 10.244.2.2:99999, via: x}')
      .replace('hops: 13', 'hops: many')
      .replace('rtt: {max: 1ms}', 'rtt: {min: 2ms, max: 1ms}')
      .replace('policy: shop/frontend-egress', 'policy: frontend-egress')
      .replace('notVia: [node1:eth0]', 'notVia: [node7:eth0]')
      .replace('policy: {name: shop/cart-from-frontend, verdict: deny}', 'policy: {name: shop/cart-from-frontend, verdict: denied}');
    expect(problems(bad)).toEqual([
      'shop.yaml:60:21: traffic[0].expect.natted.dst: expected <ip> or <ip>:<port> (like 10.244.2.2:8080), found "10.244.2.2:99999"',
      'shop.yaml:60:39: traffic[0].expect.natted.via: unknown field via',
      'shop.yaml:65:13: traffic[0].expect.hops: expected an integer between 0 and 10000, found "many"',
      'shop.yaml:66:12: traffic[0].expect.rtt: min (2000.000 us) is greater than max (1000.000 us)',
      'shop.yaml:75:56: traffic[1].expect.policy.verdict: expected one of allow, deny, found denied',
      'shop.yaml:86:15: traffic[2].expect.policy: expected a NetworkPolicy as <namespace>/<name> (like shop/allow-frontend), found "frontend-egress"',
      'shop.yaml:87:16: traffic[2].expect.notVia[0]: expected <netns>:<device> where netns is a node, an external host, <namespace>/<pod>, underlay or gateway; found "node7:eth0"',
    ]);
  });

  it('a policy the scenario never has (in resources or applied by a step) is an input error, not a mismatch', () => {
    const typo = text.replace('policy: shop/frontend-egress', 'policy: shop/frontend-egres');
    expect(problems(typo)).toEqual([
      'shop.yaml:86:15: traffic[2].expect.policy: no NetworkPolicy shop/frontend-egres in resources or steps (policies in shop: cart-from-frontend, frontend-egress)',
    ]);
    // One a step applies later is known.
    const later = `${text.replace(/\ntraffic:/, `
steps:
  - at: 1ms
    apply:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: later, namespace: shop}
      spec: {podSelector: {}, policyTypes: [Ingress]}
traffic:`)}`.replace('policy: shop/frontend-egress', 'policy: shop/later');
    expect(problems(later)).toEqual([]);
  });
});
