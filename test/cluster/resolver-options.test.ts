import { describe, expect, it } from 'vitest';
import { resolverLimits } from '../../src/cluster/dns/resolver.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

describe("a pod's resolv.conf options (dnsConfig.options, read as glibc's res_init reads them)", () => {
  it("ndots, timeout and attempts over glibc's defaults (kubelet writes ndots:5 for ClusterFirst), capped at 15, 30 and 5; a later option wins", () => {
    expect(resolverLimits([])).toEqual({ ndots: 1, timeoutS: 5, attempts: 2 });
    expect(resolverLimits(['ndots:5'])).toEqual({ ndots: 5, timeoutS: 5, attempts: 2 });
    expect(resolverLimits(['ndots:1', 'timeout:2', 'attempts:3', 'single-request-reopen'])).toEqual({ ndots: 1, timeoutS: 2, attempts: 3 });
    expect(resolverLimits(['ndots:99', 'timeout:99', 'attempts:99'])).toEqual({ ndots: 15, timeoutS: 30, attempts: 5 });
    expect(resolverLimits(['ndots:2', 'ndots:3x', 'timeout:x'])).toEqual({ ndots: 3, timeoutS: 0, attempts: 2 });
  });

  const scenario = (options: string, blockDns: boolean): string => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: resolver-options}
cluster: {network: flannel-vxlan, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Namespace, metadata: {name: shop}}
  - {apiVersion: v1, kind: Pod, metadata: {name: client, labels: {app: client}}, spec: {nodeName: node1, dnsConfig: {options: [${options}]}, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web, namespace: shop, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: w, image: nginx, ports: [{containerPort: 80}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop}, spec: {selector: {app: web}, ports: [{port: 80}]}}
${blockDns ? '  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: no-egress}, spec: {podSelector: {matchLabels: {app: client}}, policyTypes: [Egress]}}\n' : ''}traffic:
  - {name: lookup, from: pod/client, to: web.shop, port: 80}
`;
  const run = (options: string, blockDns = false) => {
    const r = loadScenarioText(scenario(options, blockDns), 'resolver-options.yaml');
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
    const res = simulate(r.scenario);
    const queries = res.events.flatMap((e) => (e.kind === 'create' && e.flow === 'lookup' && e.frame.info.includes(' A? ') ? [e.frame.info.replace(/.* A\? /, '').replace(/\. .*/, '')] : []));
    return { flow: res.flows[0]!, queries, events: res.events };
  };

  it('ndots:1 tries a dotted name as it is first; a server failure for it (SERVFAIL on every try) moves on to the search list, as res_search does', () => {
    const five = run('');
    expect(five.flow.verdict).toBe('delivered');
    const one = run('{name: ndots, value: "1"}');
    expect(one.flow.verdict).toBe('delivered');
    expect(one.flow.deliveredTo).toBe('pod/shop/web');
    expect(five.queries).toEqual(['web.shop.default.svc.cluster.local', 'web.shop.svc.cluster.local']);
    // CoreDNS answers SERVFAIL for web.shop (outside the zone, no upstream): glibc asks again (attempts:2) before moving on.
    expect(one.queries).toEqual(['web.shop', 'web.shop', 'web.shop.default.svc.cluster.local', 'web.shop.svc.cluster.local']);
  });

  it('timeout and attempts set how long an unanswered lookup takes: each name the search tries gets `attempts` tries of `timeout` s', () => {
    const fail = (options: string): number => {
      const r = run(options, true);
      expect(r.flow.dropReason).toBe('dns-unresolved');
      const sent = r.events.filter((e) => e.kind === 'create' && e.flow === 'lookup').map((e) => e.t);
      return (Math.max(...sent) - Math.min(...sent)) / 1e9;
    };
    // Default (ndots:5): web.shop.default.svc.cluster.local goes unanswered twice 5 s apart, then the search list stops
    // and the name is tried as is (twice more): the last query leaves 15 s after the first.
    expect(fail('')).toBeCloseTo(15, 3);
    // timeout:1 attempts:3: three tries a second apart for each of the two names.
    expect(fail('{name: timeout, value: "1"}, {name: attempts, value: "3"}')).toBeCloseTo(5, 3);
  });

  it('attempts:0 sends no query and fails the lookup (res_send tries zero times)', () => {
    const r = run('{name: attempts, value: "0"}');
    expect(r.queries).toEqual([]);
    expect(r.flow.dropReason).toBe('dns-unresolved');
  });
});
