// EndpointSlices printed from a live cluster: for a Service with a selector, the slices the EndpointSlice
// controller manages are recomputed from the pods podwalk runs (as the controller reconciles them);
// slices another controller manages are used beside them, as kube-proxy does.
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';

const slice = (name: string, managedBy: string, ip: string): string => `
  - apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata:
      name: ${name}
      labels: {kubernetes.io/service-name: web, endpointslice.kubernetes.io/managed-by: ${managedBy}}
    addressType: IPv4
    endpoints: [{addresses: [${ip}], conditions: {ready: true}}]
    ports: [{name: http, port: 8080, protocol: TCP}]`;

const scenario = (slices: string): string => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: t}
cluster: {nodes: [{name: node1}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: web-1, labels: {app: web}}, spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}}${slices}
`;

function load(text: string) {
  const r = loadScenarioText(text, 'x.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.scenario;
}
const ipsOf = (s: ReturnType<typeof load>): string[] => s.endpointSlices.filter((e) => e.serviceName === 'web').flatMap((e) => e.endpoints.map((x) => x.ip)).sort();

describe('printed EndpointSlices of a Service with a selector', () => {
  it("the controller's own slice is replaced by the one derived from podwalk's pods, with a warning", () => {
    const s = load(scenario(slice('web-abcde', 'endpointslice-controller.k8s.io', '10.42.0.17')));
    const podIp = s.pods.find((p) => p.name === 'web-1')!.ip;
    expect(ipsOf(s)).toEqual([podIp]);
    expect(s.warnings.map(formatProblem).join('\n')).toMatch(/EndpointSlice default\/web-abcde replaced: the EndpointSlice controller manages it/);
  });

  it("another controller's slice is kept beside the derived one", () => {
    const s = load(scenario(slice('web-extra', 'my-controller.example.com', '10.42.0.99')));
    const podIp = s.pods.find((p) => p.name === 'web-1')!.ip;
    expect(ipsOf(s)).toEqual([podIp, '10.42.0.99'].sort());
  });
});
