import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const res = (() => {
  const r = loadScenarioFile(join(import.meta.dirname, '..', '..', 'scenarios', 'dns-answers.yaml'));
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return simulate(r.scenario);
})();
/** The names the flow's resolver asked, in order (`A? name.`/`AAAA? name.` of every query it sent). */
const asked = (flow: string): string[] =>
  res.events.flatMap((e) => (e.kind === 'create' && e.flow === flow && e.frame.dport === 53 ? [...e.frame.info.matchAll(/ (A{1,4})\? (\S+)\. /g)].map((m) => `${m[1]} ${m[2]}`) : []));

describe("CoreDNS's answers as glibc's resolver takes them", () => {
  it('a pod name in a namespace without Services is answered (the namespace exists)', () => {
    expect(res.flows.find((f) => f.flow === 'pod-name-no-service')?.verdict).toBe('delivered');
  });

  it('names go out as typed: glibc folds no case', () => {
    expect(asked('upper-case').slice(0, 2)).toEqual(['A API.Default.default.svc.cluster.local', 'AAAA API.Default.default.svc.cluster.local']);
  });

  it('a lone CNAME (NOERROR with records, no address) ends the search list after its A and AAAA queries', () => {
    expect(asked('cname-only')).toEqual(['A ext.default.svc.cluster.local', 'AAAA ext.default.svc.cluster.local']);
    const f = res.flows.find((x) => x.flow === 'cname-only');
    expect(f?.verdict).toBe('dropped');
  });
});

describe('endpoint hostnames from the input', () => {
  it('an Endpoints address keeps its hostname when mirrored into a slice (CoreDNS names the endpoint by it)', async () => {
    const { loadScenarioText } = await import('../../src/scenario/load/parse.js');
    const r = loadScenarioText(
      `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: t}
cluster:
  nodes: [{name: node1}]
resources:
  - {apiVersion: v1, kind: Service, metadata: {name: old}, spec: {clusterIP: None, ports: [{port: 5432}]}}
  - {apiVersion: v1, kind: Endpoints, metadata: {name: old}, subsets: [{addresses: [{ip: 10.244.2.2, hostname: legacy}], ports: [{port: 5432}]}]}
`,
      't.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
    expect(r.scenario.endpointSlices.filter((s) => s.serviceName === 'old').flatMap((s) => s.endpoints.map((e) => e.hostname))).toEqual(['legacy']);
  });
});
