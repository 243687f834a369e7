// Bring your own cluster: `kubectl get ... -o yaml` output as printed (a List with
// Namespaces, Nodes, Deployments, a StatefulSet, DaemonSets, Services and
// NetworkPolicies, with status, uid, managedFields...), walked with nothing added
// but traffic that names workloads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExpectations } from '../../src/scenario/run/expect.js';
import { formatProblem, loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import type { Scenario } from '../../src/scenario/types.js';

const dir = import.meta.dirname;
const listFile = join(dir, 'kubectl-get-all.yaml');
const listText = readFileSync(listFile, 'utf8');

function load(text: string, file = 'kubectl-get-all.yaml'): Scenario {
  const r = loadScenarioText(text, file);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.scenario;
}

describe('kubectl get -o yaml output, as printed', () => {
  const s = load(listText);
  const pods = (owner: string) => s.pods.filter((p) => p.owner?.name === owner && !p.builtin);

  it('runs on the nodes it lists, with their addresses', () => {
    expect(s.cluster.nodes.map((n) => [n.name, n.ip, n.podCIDR])).toEqual([
      ['kind-control-plane', '172.18.0.2', '10.244.0.0/24'],
      ['kind-worker', '172.18.0.3', '10.244.1.0/24'],
      ['kind-worker2', '172.18.0.4', '10.244.2.0/24'],
    ]);
    expect(s.cluster.underlay.cidr).toBe('172.18.0.0/24');
    expect(s.warnings.map(formatProblem).join('\n')).toMatch(/no Scenario document: running the manifests on the default cluster \(the 3 Node objects/);
  });

  it('a StatefulSet has ordinal pods with per-pod DNS names through its headless Service', () => {
    expect(pods('db').map((p) => [p.name, p.hostname, p.subdomain])).toEqual([
      ['db-0', 'db-0', 'db'],
      ['db-1', 'db-1', 'db'],
      ['db-2', 'db-2', 'db'],
    ]);
    const eps = s.endpointSlices.filter((x) => x.serviceName === 'db').flatMap((x) => x.endpoints);
    expect(eps.map((e) => e.hostname).sort()).toEqual(['db-0', 'db-1', 'db-2']);
  });

  it('a DaemonSet runs one pod per eligible node: tolerations, taints, nodeSelector', () => {
    // kube-proxy tolerates everything (operator: Exists) and is hostNetwork: on all three, with the node's IP.
    expect(pods('kube-proxy').map((p) => [p.nodeName, p.ip])).toEqual([
      ['kind-control-plane', '172.18.0.2'],
      ['kind-worker', '172.18.0.3'],
      ['kind-worker2', '172.18.0.4'],
    ]);
    // node-exporter has no toleration for the control plane's NoSchedule taint.
    expect(pods('node-exporter').map((p) => p.nodeName)).toEqual(['kind-worker', 'kind-worker2']);
  });

  it('Deployment pods stay off the tainted control plane', () => {
    for (const p of [...pods('frontend'), ...pods('cart')]) expect(p.nodeName).not.toBe('kind-control-plane');
  });

  it('with a Scenario adding only traffic by workload names, every expectation is met and every packet ends once', () => {
    const r = loadScenarioFile(join(dir, 'shop.yaml'));
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.warnings.map(formatProblem).join('\n')).not.toMatch(/resolves to no Service/);
    const result = simulate(r.scenario);
    expect(checkExpectations(result.flows)).toEqual([]);
    const created = result.events.filter((e) => e.kind === 'create').map((e) => e.pkt);
    const ended = result.events.filter((e) => e.kind === 'deliver' || e.kind === 'drop').map((e) => e.pkt);
    expect([...ended].sort((a, b) => a - b)).toEqual([...created].sort((a, b) => a - b));
    // The replica chosen for deployment/shop/frontend is deterministic and is a frontend pod.
    expect(r.scenario.traffic[0]!.from).toMatchObject({ kind: 'pod', namespace: 'shop', name: expect.stringMatching(/^frontend-/) });
    expect(r.scenario.traffic[2]!.from).toMatchObject({ kind: 'pod', name: expect.stringMatching(/^node-exporter-/) });
  });

  it('bad input inside the List is still file:line:col with the item path', () => {
    const bad = listText.replace('replicas: 3\n', 'replicas: many\n');
    const r = loadScenarioText(bad, 'kubectl-get-all.yaml');
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([expect.stringMatching(/^kubectl-get-all\.yaml:\d+:\d+: doc 1\.items\[\d+\]\.spec\.replicas: expected an integer between 0 and 1000, found "many"$/)]);
  });
});

describe('stable placement', () => {
  const where = (s: Scenario) => new Map(s.pods.map((p) => [`${p.namespace}/${p.name}`, `${p.nodeName} ${p.ip}`]));
  const scale = (text: string, deployment: string, from: number, to: number): string => {
    // The Deployment's replicas line is the first `replicas:` after its name in the List.
    const at = text.indexOf(`    name: ${deployment}\n    namespace: shop`);
    const i = text.indexOf(`replicas: ${from}\n`, at);
    return text.slice(0, i) + `replicas: ${to}\n` + text.slice(i + `replicas: ${from}\n`.length);
  };

  // Pods without a nodeName are placed round-robin (Pods, then workloads in file order): a replica more
  // or less of the last workload scheduled (the StatefulSet db; DaemonSet pods are bound, not scheduled)
  // moves no other pod.
  it('adding a replica to the last workload changes no other pod’s node or IP', () => {
    const before = where(load(listText));
    for (const to of [4, 6]) {
      const after = where(load(scale(listText, 'db', 3, to)));
      expect(after.size).toBe(before.size + (to - 3));
      for (const [pod, place] of before) expect(after.get(pod), `${pod} after scaling db to ${to}`).toBe(place);
    }
  });

  it('removing a replica of the last workload changes no other pod either', () => {
    const before = where(load(listText));
    const fewer = where(load(scale(listText, 'db', 3, 2)));
    expect(fewer.size).toBe(before.size - 1);
    for (const [pod, place] of fewer) expect(place, pod).toBe(before.get(pod));
  });
});
