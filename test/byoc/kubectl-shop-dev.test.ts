// Bring your own cluster, the whole way: `kubectl get ns,nodes,deploy,rs,sts,ds,pods,svc,
// endpointslices,netpol -n shop -o yaml --show-managed-fields` from a kind v1.30 cluster,
// checked in as printed (kubectl-get-shop.yaml). Deployments, their ReplicaSets (an old
// revision scaled to 0), a StatefulSet, a DaemonSet and every Pod they run are in it: the
// printed Pods are the workloads' replicas, nothing is made twice, and traffic naming
// workloads walks the cluster as it is.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExpectation } from '../../src/scenario/run/expect.js';
import { formatProblem, loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import type { Scenario } from '../../src/scenario/types.js';

const dir = import.meta.dirname;
const listText = readFileSync(join(dir, 'kubectl-get-shop.yaml'), 'utf8');

function load(text: string): { s: Scenario; warnings: string[] } {
  const r = loadScenarioText(text, 'kubectl-get-shop.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return { s: r.scenario, warnings: r.scenario.warnings.map(formatProblem) };
}
const shop = (s: Scenario) => s.pods.filter((p) => p.namespace === 'shop');
/** Scale a workload in the List: its first `replicas:` line after its name (the Deployment or StatefulSet comes before its ReplicaSets). */
const scale = (text: string, kind: string, name: string, from: number, to: number): string => {
  const at = text.indexOf(`  kind: ${kind}\n`, text.indexOf(`\n    name: ${name}\n    namespace: shop\n`) - 4000);
  const i = text.indexOf(`    replicas: ${from}\n`, at);
  return text.slice(0, i) + `    replicas: ${to}\n` + text.slice(i + `    replicas: ${from}\n`.length);
};

describe('kubectl get -o yaml of a kind cluster, as printed', () => {
  const { s, warnings } = load(listText);

  it('runs on the nodes it lists, with their addresses, podCIDRs, zones and the control plane taint', () => {
    expect(s.cluster.nodes.map((n) => [n.name, n.ip, n.podCIDR, n.labels['topology.kubernetes.io/zone'], n.taints.map((t) => t.key)])).toEqual([
      ['shop-dev-control-plane', '172.18.0.3', '10.244.0.0/24', 'zone-a', ['node-role.kubernetes.io/control-plane']],
      ['shop-dev-worker', '172.18.0.2', '10.244.1.0/24', 'zone-a', []],
      ['shop-dev-worker2', '172.18.0.4', '10.244.2.0/24', 'zone-b', []],
    ]);
  });

  it('the printed Pods are the workloads’ replicas: real names, nodes and IPs, owned by the workload, none made twice', () => {
    expect(shop(s).map((p) => [p.name, p.owner && `${p.owner.kind}/${p.owner.name}`, p.nodeName, p.ip])).toEqual([
      ['cart-84c7d9f5b6-bn4jq', 'Deployment/cart', 'shop-dev-worker2', '10.244.2.6'],
      ['cart-84c7d9f5b6-t2vkd', 'Deployment/cart', 'shop-dev-worker', '10.244.1.6'],
      ['db-0', 'StatefulSet/db', 'shop-dev-worker2', '10.244.2.3'],
      ['db-1', 'StatefulSet/db', 'shop-dev-worker', '10.244.1.3'],
      ['frontend-6d9c8b7f4d-h7x2v', 'Deployment/frontend', 'shop-dev-worker', '10.244.1.11'],
      ['frontend-6d9c8b7f4d-q9pzt', 'Deployment/frontend', 'shop-dev-worker2', '10.244.2.12'],
      ['frontend-6d9c8b7f4d-wl5mc', 'Deployment/frontend', 'shop-dev-worker', '10.244.1.12'],
      // hostNetwork: the node's address.
      ['node-exporter-7zqxs', 'DaemonSet/node-exporter', 'shop-dev-worker', '172.18.0.2'],
      ['node-exporter-9mdkc', 'DaemonSet/node-exporter', 'shop-dev-worker2', '172.18.0.4'],
    ]);
    // Everything printed was running: nothing to make, nothing to say about replicas.
    expect(warnings.filter((w) => /replicas|Pending/.test(w))).toEqual([]);
    // The controller's printed slices are replaced: one line for all of them.
    expect(warnings.filter((w) => /EndpointSlice/.test(w))).toEqual([expect.stringMatching(/: 3 EndpointSlices \(shop\/cart-9h2mc, \.\.\.\) replaced: the EndpointSlice controller manages them and derives their Services' endpoints from the pods podwalk runs$/)]);
    // The controller's printed slices are recomputed from these pods: the same endpoints.
    const eps = (svc: string) => s.endpointSlices.filter((x) => x.serviceName === svc && x.namespace === 'shop').flatMap((x) => x.endpoints.map((e) => `${e.ip} ${e.hostname ?? ''}`.trim())).sort();
    expect(eps('frontend')).toEqual(['10.244.1.11', '10.244.1.12', '10.244.2.12']);
    expect(eps('db')).toEqual(['10.244.1.3 db-1', '10.244.2.3 db-0']);
  });

  it('with a Scenario adding only traffic by workload names, every expectation is met and every packet ends once', () => {
    const r = loadScenarioFile(join(dir, 'shop-dev.yaml'));
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const result = simulate(r.scenario);
    expect(result.flows).toHaveLength(6);
    expect(result.flows.flatMap((f) => (f.traffic.expect ? checkExpectation(f, f.traffic.expect) : []))).toEqual([]);
    const created = result.events.filter((e) => e.kind === 'create').map((e) => e.pkt);
    const ended = result.events.filter((e) => e.kind === 'deliver' || e.kind === 'drop').map((e) => e.pkt);
    expect([...ended].sort((a, b) => a - b)).toEqual([...created].sort((a, b) => a - b));
    expect(r.scenario.traffic[0]!.from).toMatchObject({ kind: 'pod', namespace: 'shop', name: 'frontend-6d9c8b7f4d-h7x2v' });
  });

  it('scaling up: printed pods stay put; new replicas follow the template’s spread and anti-affinity, or stay Pending as on the cluster', () => {
    const where = (x: Scenario) => new Map(x.pods.map((p) => [`${p.namespace}/${p.name}`, `${p.nodeName} ${p.ip}`]));
    const before = where(s);
    // frontend 3 -> 4: zone-a has two, zone-b one; the ScheduleAnyway zone spread sends the 4th to zone-b, whatever the hash.
    const up = load(scale(listText, 'Deployment', 'frontend', 3, 4));
    const made = shop(up.s).filter((p) => p.owner?.name === 'frontend' && !before.has(`shop/${p.name}`));
    expect(made.map((p) => [p.name.replace(/[a-z0-9]{5}$/, '*'), p.nodeName, p.labels['pod-template-hash']])).toEqual([['frontend-6d9c8b7f4d-*', 'shop-dev-worker2', '6d9c8b7f4d']]);
    expect(up.warnings).toContainEqual(expect.stringMatching(/Deployment shop\/frontend: 3 of 4 replicas printed; podwalk makes frontend-6d9c8b7f4d-[a-z0-9]{5}$/));
    // db 2 -> 3: required anti-affinity per node, both workers taken, the control plane tainted.
    const db = load(scale(listText, 'StatefulSet', 'db', 2, 3));
    expect(db.warnings).toContainEqual(expect.stringMatching(/pod shop\/db-2 stays Pending and is not run \(FailedScheduling: 0\/3 nodes are available: 1 node\(s\) had untolerated taint \{node-role\.kubernetes\.io\/control-plane: \}, 2 node\(s\) didn't match pod anti-affinity rules\.\)$/));
    expect(db.s.pods.some((p) => p.name === 'db-2')).toBe(false);
    for (const [text, what] of [[scale(listText, 'Deployment', 'frontend', 3, 6), 'frontend 6'], [scale(listText, 'Deployment', 'cart', 2, 4), 'cart 4'], [scale(listText, 'StatefulSet', 'db', 2, 3), 'db 3']] as const) {
      const after = where(load(text).s);
      for (const [pod, place] of before) expect(after.get(pod), `${pod} with ${what}`).toBe(place);
    }
  });

  it('bad input inside the List is still file:line:col with the item path', () => {
    const bad = listText.replace('      topologyKey: kubernetes.io/hostname\n', '      topologyKey: ""\n');
    const r = loadScenarioText(bad, 'kubectl-get-shop.yaml');
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([expect.stringMatching(/^kubectl-get-shop\.yaml:\d+:\d+: doc 1\.items\[\d+\]\.spec\.template\.spec\.affinity\.podAntiAffinity\.preferredDuringSchedulingIgnoredDuringExecution\[0\]\.podAffinityTerm\.topologyKey: expected a non-empty topology key/)]);
  });
});
