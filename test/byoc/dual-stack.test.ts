// A dual-stack cluster prints dual-stack Services (ipFamilies [IPv4, IPv6] or [IPv6, IPv4], a
// cluster IP per family) and an IPv6 EndpointSlice beside each IPv4 one. podwalk models IPv4:
// such a dump loads, each Service as its IPv4 half (one warning for them all), the IPv6 slices
// unused. An IPv6-only Service stays an error, as does RequireDualStack without both families.
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';

const svc = (name: string, spec: string): string => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: default, uid: u-${name}}\nspec: {selector: {app: web}, ports: [{name: http, port: 80}], ${spec}}\n`;
const slice = (name: string, managedBy: string): string =>
  `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: ${name}, namespace: default, labels: {kubernetes.io/service-name: v4first, endpointslice.kubernetes.io/managed-by: ${managedBy}}}\naddressType: IPv6\nendpoints: [{addresses: ["fd00:10:244:1::5"], conditions: {ready: true}}]\nports: [{name: http, port: 80, protocol: TCP}]\n`;
const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {app: web}}\nspec: {nodeName: node1, containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}\nstatus: {podIPs: [{ip: 10.244.1.5}, {ip: "fd00:10:244:1::5"}], podIP: 10.244.1.5}\n';

describe('a dual-stack cluster', () => {
  it('loads: each dual-stack Service as its IPv4 half, IPv6 slices unused', () => {
    const text = [
      pod,
      svc('v4first', 'clusterIP: 10.96.0.50, clusterIPs: [10.96.0.50, "fd00:10:96::50"], ipFamilies: [IPv4, IPv6], ipFamilyPolicy: PreferDualStack'),
      svc('v6first', 'clusterIP: "fd00:10:96::51", clusterIPs: ["fd00:10:96::51", 10.96.0.51], ipFamilies: [IPv6, IPv4], ipFamilyPolicy: RequireDualStack'),
      slice('v4first-ipv6', 'endpointslice-controller.k8s.io'),
      slice('mirrored-ipv6', 'someone-else'),
    ].join('---\n');
    const r = loadScenarioText(text, 'd.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.services.filter((s) => !s.builtin && s.name !== 'kubernetes').map((s) => `${s.name} ${s.clusterIP}`)).toEqual(['v4first 10.96.0.50', 'v6first 10.96.0.51']);
    const warnings = r.scenario.warnings.map(formatProblem);
    expect(warnings).toContain('d.yaml:10:142: doc 2.spec.ipFamilies: 2 dual-stack Services (default/v4first, default/v6first): podwalk models their IPv4 family only (cluster IP, endpoints, node ports on IPv4 addresses); IPv6 is not modelled');
    // The controller's IPv6 slice goes unsaid (its IPv4 slices are derived again); another's is named.
    expect(warnings.filter((w) => w.includes('IPv6 endpoints'))).toEqual([
      "d.yaml:27:14: doc 5.addressType: EndpointSlice default/mirrored-ipv6 is read but not used: podwalk clusters are IPv4 only (a dual-stack Service's IPv6 endpoints are not modelled)",
    ]);
    const v4first = r.scenario.endpointSlices.filter((s) => s.serviceName === 'v4first');
    expect(v4first.flatMap((s) => s.endpoints.map((e) => e.ip))).toEqual(['10.244.1.5']);
  });

  it('an IPv6-only Service, or RequireDualStack without both families, is still an error', () => {
    const problems = (s: string): string[] => {
      const r = loadScenarioText(svc('s', s), 'e.yaml');
      return r.ok ? [] : r.problems.map(formatProblem);
    };
    expect(problems('ipFamilies: [IPv6]')).toEqual([expect.stringMatching(/spec\.ipFamilies\[0\]: IPv6: podwalk clusters are IPv4 only/)]);
    expect(problems('ipFamilyPolicy: RequireDualStack')).toEqual([expect.stringMatching(/spec\.ipFamilyPolicy: RequireDualStack needs IPv6: .*a printed dual-stack Service lists ipFamilies: \[IPv4, IPv6\]/)]);
    expect(problems('ipFamilies: [IPv4, IPv4]')).toEqual([expect.stringMatching(/spec\.ipFamilies: expected at most one IP family, or IPv4 and IPv6/)]);
  });
});
