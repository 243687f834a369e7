// AWS's load balancers are DNS names: `status.loadBalancer.ingress: [{hostname: ...elb.amazonaws.com}]`.
// podwalk reaches a load balancer at an address, so a LoadBalancer with a hostname only is said
// (it was silently unreachable). A dual-stack Service's IPv6 load-balancer address goes with its IPv6 half.
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';

const svc = (name: string, extra: string, ingress: string): string =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, uid: u-${name}}\nspec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]${extra}}\nstatus: {loadBalancer: {ingress: ${ingress}}}\n`;

describe('load balancer addresses as clouds print them', () => {
  it('a hostname-only load balancer is a warning; an IP beside it is used', () => {
    const r = loadScenarioText(
      [svc('elb', '', '[{hostname: a1b2.us-east-1.elb.amazonaws.com}]'), svc('both', '', '[{ip: 192.168.56.200, hostname: lb.example.com}]')].join('---\n'),
      'lb.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const w = r.scenario.warnings.map(formatProblem).filter((x) => x.includes('hostname only'));
    expect(w).toEqual([
      "lb.yaml:5:46: doc 1.status.loadBalancer.ingress[0].hostname: Service default/elb: its load balancer has a hostname only (a1b2.us-east-1.elb.amazonaws.com, as AWS's ELB/NLB): podwalk reaches a load balancer at an IP, so this one is not reachable here; add status.loadBalancer.ingress[].ip (an address the underlay gateway routes) to walk it, or send to a NodePort",
    ]);
    expect(r.scenario.services.find((s) => s.name === 'both')!.loadBalancerIPs).toEqual(['192.168.56.200']);
  });

  it("a dual-stack Service's IPv6 load-balancer address is left with its IPv6 half", () => {
    const r = loadScenarioText(svc('dual', ', ipFamilies: [IPv4, IPv6], ipFamilyPolicy: PreferDualStack', '[{ip: 192.168.56.200}, {ip: "2001:db8::200"}]'), 'd.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.services.find((s) => s.name === 'dual')!.loadBalancerIPs).toEqual(['192.168.56.200']);
  });
});
