import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import type { EndpointSliceInput, PodInput, ServiceInput } from '../../src/cluster/spec.js';
import type { Scenario } from '../../src/scenario/types.js';
import { Rng } from '../../src/engine/rng.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const GENERATED = '[bcdfghjklmnpqrstvwxz2456789]';

/**
 * A scenario whose lines are known: resources[0] (pod p1, app=web, port 80
 * named http, on node a) is line 5, resources[i] is line 5 + i when each
 * extra resource is one line; `cluster:` comes last so its extras shift nothing.
 */
function doc(resources: string[] = [], traffic: string[] = [], cluster: string[] = []): string {
  return [
    'apiVersion: podwalk/v1alpha1',
    'kind: Scenario',
    'metadata: {name: t}',
    'resources:',
    '  - {apiVersion: v1, kind: Pod, metadata: {name: p1, labels: {app: web}}, spec: {nodeName: a, containers: [{name: c, image: i, ports: [{containerPort: 80, name: http}]}]}}',
    ...resources.map((r) => `  - ${r}`),
    'traffic:',
    ...traffic.map((t) => `  - ${t}`),
    'cluster:',
    '  network: host-gw',
    '  nodes: [{name: a}, {name: b}]',
    ...cluster.map((c) => `  ${c}`),
    '',
  ].join('\n');
}

/** `x.yaml:<line>:<col>` of the first occurrence of `needle` on that line. */
function at(text: string, line: number, needle: string): string {
  const col = text.split('\n')[line - 1]!.indexOf(needle);
  if (col < 0) throw new Error(`"${needle}" not on line ${line}`);
  return `x.yaml:${line}:${col + 1}`;
}

function problems(text: string): string[] {
  const r = loadScenarioText(text, 'x.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
}

function load(text: string): Scenario {
  const r = loadScenarioText(text, 'x.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.scenario;
}

const svc = (name: string, spec: string, extra = ''): string => `{apiVersion: v1, kind: Service, metadata: {name: ${name}}, spec: {${spec}}${extra}}`;

describe('services of every type load with defaults and allocations', () => {
  const r = loadScenarioFile(join(fixtures, 'services.yaml'));
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const s = r.scenario;
  const service = (name: string) => s.services.find((x) => x.name === name)!;

  it('targetPort 0 or "" is defaulted to the port, as SetDefaults_Service does', () => {
    const s = load(doc([svc('zero', 'ports: [{name: a, port: 80, targetPort: 0}, {name: b, port: 81, targetPort: ""}]')]));
    expect(s.services.find((x) => x.name === 'zero')!.ports.map((p) => p.targetPort)).toEqual([80, 81]);
  });

  it('ClusterIP: lowest free address from .11, in file order; explicit addresses kept; named targetPorts kept', () => {
    expect(service('web')).toMatchObject({ type: 'ClusterIP', clusterIP: '10.96.0.11', headless: false, externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None', affinityTimeoutSeconds: 10800, builtin: false });
    expect(service('web').ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' },
      { name: 'https', protocol: 'TCP', port: 443, targetPort: 'https' },
    ]);
    expect(service('db')).toMatchObject({ clusterIP: '10.96.0.50', ports: [{ name: '', protocol: 'TCP', port: 5432, targetPort: 5432 }] });
    expect(service('db').selector).toBeUndefined();
    expect(service('lonely').clusterIP).toBe('10.96.0.14');
  });

  it('NodePort: node port allocated from the start of the range', () => {
    expect(service('web-np')).toMatchObject({ type: 'NodePort', clusterIP: '10.96.0.12', ports: [{ name: '', port: 80, targetPort: 8080, nodePort: 30000 }] });
  });

  it('LoadBalancer + Local: TCP and UDP of one port share a node port, health check port allocated, ranges trimmed, ingress IP', () => {
    const lb = service('web-lb');
    expect(lb).toMatchObject({ type: 'LoadBalancer', clusterIP: '10.96.0.13', externalTrafficPolicy: 'Local', healthCheckNodePort: 30002, sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 10800, allocateLoadBalancerNodePorts: true });
    expect(lb.ports.map((p) => [p.name, p.protocol, p.port, p.targetPort, p.nodePort])).toEqual([
      ['dns', 'UDP', 53, 53, 30001],
      ['dns-tcp', 'TCP', 53, 53, 30001],
    ]);
    expect(lb.loadBalancerSourceRanges).toEqual(['203.0.113.0/24', '198.51.100.7/32']);
    expect(lb.loadBalancerIPs).toEqual(['192.168.56.200']);
  });

  it('ExternalName and headless Services have no cluster IP', () => {
    expect(service('ext')).toMatchObject({ type: 'ExternalName', externalName: 'db.example.com', ports: [] });
    expect(service('ext').clusterIP).toBeUndefined();
    expect(service('peers')).toMatchObject({ headless: true, ports: [] });
    expect(service('peers').clusterIP).toBeUndefined();
  });

  it('cluster DNS is built in: kube-system/kube-dns at the 10th address, listed after the declared Services', () => {
    const dns = s.services[s.services.length - 1]!;
    expect(s.dns).toBe(true);
    expect(dns).toMatchObject({ namespace: 'kube-system', name: 'kube-dns', clusterIP: '10.96.0.10', builtin: true, selector: { 'k8s-app': 'kube-dns' } });
    expect(dns.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`)).toEqual(['dns 53/UDP', 'dns-tcp 53/TCP', 'metrics 9153/TCP']);
  });

  it('Deployment pods: named <deployment>-<hash>-<suffix>; placed round-robin after the Pods, addresses by a hash', () => {
    const user = s.pods.filter((p) => !p.builtin);
    expect(user.slice(0, 4).map((p) => [p.name, p.nodeName, p.ip])).toEqual([
      ['web-a', 'node1', '10.244.1.2'],
      ['web-b', 'node2', '10.244.2.2'],
      ['web-old', 'node2', '10.244.2.3'],
      ['web-sick', 'node1', '10.244.1.3'],
    ]);
    const api = user.slice(4);
    expect(api).toHaveLength(3);
    const hash = api[0]!.labels['pod-template-hash']!;
    expect(hash).toMatch(new RegExp(`^${GENERATED}{10}$`));
    for (const p of api) {
      expect(p.name).toMatch(new RegExp(`^api-${hash}-${GENERATED}{5}$`));
      expect(p).toMatchObject({ owner: { kind: 'Deployment', name: 'api' }, labels: { app: 'api' }, ports: [{ containerPort: 7000, protocol: 'TCP', name: 'grpc' }], builtin: false });
    }
    expect(new Set(api.map((p) => p.name)).size).toBe(3);
    // Round-robin over the nodes, continuing after the Pods; then a hashed address (cluster/scheduler/round-robin.ts, PodIpam.allocateFor).
    expect(api.map((p) => [p.nodeName, p.ip])).toEqual([
      ['node2', '10.244.2.29'],
      ['node1', '10.244.1.34'],
      ['node2', '10.244.2.195'],
    ]);
    // Deterministic: the same file gives the same names.
    const again = loadScenarioFile(join(fixtures, 'services.yaml'));
    expect(again.ok && again.scenario.pods.map((p) => p.name)).toEqual(s.pods.map((p) => p.name));
  });

  it('coredns pods come last, round-robin from the first node, marked built in', () => {
    const dns = s.pods.filter((p) => p.builtin && !p.hostNetwork);
    expect(s.pods.slice(-2)).toEqual(dns);
    expect(dns.map((p) => [p.namespace, p.nodeName, p.ip])).toEqual([
      ['kube-system', 'node1', '10.244.1.48'],
      ['kube-system', 'node2', '10.244.2.148'],
    ]);
    for (const p of dns) {
      expect(p.name).toMatch(new RegExp(`^coredns-${GENERATED}{10}-${GENERATED}{5}$`));
      expect(p).toMatchObject({ owner: { kind: 'Deployment', name: 'coredns' }, labels: { 'k8s-app': 'kube-dns' } });
      expect(p.ports).toEqual([
        { containerPort: 53, protocol: 'UDP', name: 'dns' },
        { containerPort: 53, protocol: 'TCP', name: 'dns-tcp' },
        { containerPort: 9153, protocol: 'TCP', name: 'metrics' },
      ]);
    }
  });

  it('hand-written EndpointSlice: unset conditions read as kube-proxy reads them (ready and serving true, terminating false)', () => {
    const db = s.endpointSlices.filter((x) => x.serviceName === 'db');
    expect(db).toHaveLength(1);
    expect(db[0]).toMatchObject({ name: 'db-1', derived: false, ports: [{ name: '', port: 5432, protocol: 'TCP' }] });
    expect(db[0]!.endpoints).toEqual([
      { ip: '192.168.56.100', ready: true, serving: true, terminating: false },
      // serving is not derived from ready (EndpointSliceCache: Serving == nil || *Serving).
      { ip: '192.168.56.101', ready: false, serving: true, terminating: false },
      { ip: '192.168.56.102', nodeName: 'node1', ready: false, serving: true, terminating: true },
    ]);
  });

  it('derived EndpointSlices: named targetPorts resolved per pod, pods lacking one grouped apart, terminating and not-ready pods', () => {
    const web = s.endpointSlices.filter((x) => x.serviceName === 'web');
    expect(web.every((x) => x.derived && x.namespace === 'default' && x.pos.line > 0)).toBe(true);
    expect(web.map((x) => x.name).every((n) => new RegExp(`^web-${GENERATED}{5}$`).test(n))).toBe(true);
    expect(web.map((x) => [x.ports.map((p) => `${p.name}:${p.port}`), x.endpoints.map((e) => e.targetRef)])).toEqual([
      [['http:8080', 'https:8443'], ['default/web-a', 'default/web-old', 'default/web-sick']],
      [['http:9090'], ['default/web-b']], // web-b has no container port named https: that port is skipped for it
    ]);
    const ep = (pod: string) => web.flatMap((x) => x.endpoints).find((e) => e.targetRef === `default/${pod}`)!;
    expect(ep('web-a')).toEqual({ ip: '10.244.1.2', nodeName: 'node1', targetRef: 'default/web-a', ready: true, serving: true, terminating: false });
    expect(ep('web-old')).toMatchObject({ ready: false, serving: true, terminating: true });
    expect(ep('web-sick')).toMatchObject({ ready: false, serving: false, terminating: false });
    const np = s.endpointSlices.filter((x) => x.serviceName === 'web-np');
    expect(np).toHaveLength(1);
    expect(np[0]!.ports).toEqual([{ name: '', port: 8080, protocol: 'TCP' }]);
    expect(np[0]!.endpoints).toHaveLength(4);
  });

  it('a selector matching nothing gives an empty slice and a warning at spec.selector', () => {
    const lonely = s.endpointSlices.filter((x) => x.serviceName === 'lonely');
    expect(lonely).toHaveLength(1);
    expect(lonely[0]).toMatchObject({ derived: true, endpoints: [], ports: [] });
    const text = readFileSync(join(fixtures, 'services.yaml'), 'utf8').split('\n');
    const line = text.findIndex((l) => l.includes('app: nobody')) + 1;
    const w = s.warnings.map(formatProblem).find((x) => x.includes('matches no pod'));
    expect(w).toBe(`${join(fixtures, 'services.yaml')}:${line}:${text[line - 1]!.indexOf('{app: nobody}') + 1}: resources[11].spec.selector: selector app=nobody matches no pod in namespace default: Service default/lonely has no endpoints`);
    expect(s.warnings.filter((x) => /is read but not acted on/.test(x.message))).toEqual([]);
  });

  it('no slices for ExternalName; headless and kube-dns get derived slices', () => {
    expect(s.endpointSlices.filter((x) => x.serviceName === 'ext')).toEqual([]);
    expect(s.endpointSlices.filter((x) => x.serviceName === 'peers').flatMap((x) => x.endpoints)).toHaveLength(4);
    const dns = s.endpointSlices.filter((x) => x.namespace === 'kube-system' && x.serviceName === 'kube-dns');
    expect(dns).toHaveLength(1);
    expect(dns[0]!.ports).toEqual([
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'metrics', port: 9153, protocol: 'TCP' },
    ]);
    expect(dns[0]!.endpoints.map((e) => e.ip)).toEqual(['10.244.1.48', '10.244.2.148']);
  });

  it('traffic to service/ refs, DNS names and node ports', () => {
    expect(s.traffic.map((t) => t.to)).toEqual([
      { kind: 'service', namespace: 'default', name: 'web' },
      { kind: 'service', namespace: 'default', name: 'web-lb' },
      { kind: 'dns', name: 'web' },
      { kind: 'dns', name: 'web.default' },
      { kind: 'dns', name: 'web.default.svc' },
      { kind: 'dns', name: 'web.default.svc.cluster.local' },
      { kind: 'dns', name: 'kube-dns.kube-system' },
      { kind: 'node', name: 'node1' },
    ]);
    expect(s.warnings.filter((w) => w.path.startsWith('traffic'))).toEqual([]);
  });
});

describe('the validated types fit the cluster layer as they are', () => {
  it('Services, EndpointSlices and pods are ServiceInput, EndpointSliceInput and PodInput', () => {
    const r = loadScenarioFile(join(fixtures, 'services.yaml'));
    if (!r.ok) throw new Error('fixture');
    // Compile-time checks: these assignments fail to type-check if the shapes drift apart.
    const services: ServiceInput[] = r.scenario.services;
    const slices: EndpointSliceInput[] = r.scenario.endpointSlices;
    const pods: PodInput[] = r.scenario.pods;
    expect(services.length + slices.length + pods.length).toBeGreaterThan(0);
  });
});

describe('existing scenarios keep their pods and addresses', () => {
  const before = JSON.parse(readFileSync(join(fixtures, 'pod-ips-before-services.json'), 'utf8')) as Record<string, string[]>;
  const dir = join(import.meta.dirname, '../../scenarios');
  // The scenarios that existed before Services were modelled (later ones are not in the fixture).
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml') && x in before)) {
    it(f, () => {
      const r = loadScenarioFile(join(dir, f));
      if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
      expect(r.scenario.pods.filter((p) => !p.builtin).map((p) => `${p.namespace}/${p.name} ${p.nodeName} ${p.ip}`)).toEqual(before[f]);
      // coredns's two pods, and the API server's static pod (hostNetwork) on the first node.
      expect(r.scenario.pods.filter((p) => p.builtin && !p.hostNetwork)).toHaveLength(2);
      expect(r.scenario.pods.filter((p) => p.builtin && p.hostNetwork).map((p) => `${p.namespace}/${p.name}`)).toEqual([`kube-system/kube-apiserver-${r.scenario.cluster.nodes[0]!.name}`]);
    });
  }
});

describe('cluster.dns: false', () => {
  it('has no coredns pods, no kube-dns, and frees the 10th address', () => {
    const s = load(doc([svc('ten', 'clusterIP: 10.96.0.10, ports: [{port: 80}]')], [], ['dns: false']));
    expect(s.dns).toBe(false);
    expect(s.cluster.dns).toBe(false);
    expect(s.pods.map((p) => p.name)).toEqual(['p1', 'kube-apiserver-a']);
    expect(s.services.map((x) => [x.name, x.clusterIP])).toEqual([['ten', '10.96.0.10'], ['kubernetes', '10.96.0.1']]);
  });

  it('DNS names need cluster DNS', () => {
    const text = doc([], ['{name: f, from: pod/p1, to: web.default, port: 80}'], ['dns: false']);
    expect(problems(text)).toEqual([`${at(text, 7, 'web.default')}: traffic[0].to: "web.default" is a DNS name, and DNS names need cluster DNS, which cluster.dns: false turns off; use an IP or a ref`]);
  });
});

describe('Endpoints (v1) are mirrored into EndpointSlices', () => {
  it('addresses ready, notReadyAddresses not; skipped when the Service has a selector', () => {
    const s = load(
      doc([
        svc('legacy', 'ports: [{port: 5432}]'),
        '{apiVersion: v1, kind: Endpoints, metadata: {name: legacy}, subsets: [{addresses: [{ip: 192.168.56.100, nodeName: a}], notReadyAddresses: [{ip: 192.168.56.101}], ports: [{port: 5432}]}]}',
        svc('web', 'selector: {app: web}, ports: [{port: 80}]'),
        '{apiVersion: v1, kind: Endpoints, metadata: {name: web}, subsets: [{addresses: [{ip: 192.168.56.100}]}]}',
      ]),
    );
    const legacy = s.endpointSlices.filter((x) => x.serviceName === 'legacy');
    expect(legacy).toHaveLength(1);
    expect(legacy[0]).toMatchObject({ derived: false, ports: [{ name: '', port: 5432, protocol: 'TCP' }] });
    expect(legacy[0]!.endpoints).toEqual([
      { ip: '192.168.56.100', nodeName: 'a', ready: true, serving: true, terminating: false },
      // addressToEndpoint sets Ready alone; kube-proxy reads the unset Serving as true.
      { ip: '192.168.56.101', ready: false, serving: true, terminating: false },
    ]);
    expect(s.endpointSlices.filter((x) => x.serviceName === 'web').every((x) => x.derived)).toBe(true);
    expect(s.warnings.map((w) => w.message).join('\n')).toMatch(/Endpoints default\/web ignored: the Service has a selector/);
  });
});

describe('ReplicaSet', () => {
  it('pods named <replicaset>-<suffix>, no pod-template-hash', () => {
    const s = load(doc(['{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: rs}, spec: {replicas: 2, selector: {matchExpressions: [{key: app, operator: In, values: [x]}]}, template: {metadata: {labels: {app: x}}, spec: {containers: [{name: c, image: i}]}}}}'], [], ['dns: false']));
    const rs = s.pods.filter((p) => p.owner);
    expect(rs.map((p) => p.name).every((n) => new RegExp(`^rs-${GENERATED}{5}$`).test(n))).toBe(true);
    expect(rs.map((p) => [p.nodeName, p.labels])).toEqual([
      ['a', { app: 'x' }],
      ['b', { app: 'x' }],
    ]);
  });
});

describe('bad input: file:line:col, field path, what was expected', () => {
  // Each case: resources after p1 (line 6 on), traffic, cluster extras; then [line, needle, "path: message" regex].
  const cases: [string, string[], string[], string[], number, string, RegExp][] = [
    ['clusterIP outside the serviceCIDR', [svc('s', 'clusterIP: 10.0.0.5, ports: [{port: 80}]')], [], [], 6, '10.0.0.5', /resources\[1\]\.spec\.clusterIP: clusterIP 10\.0\.0\.5 is not inside serviceCIDR 10\.96\.0\.0\/12 \(set cluster\.serviceCIDR/],
    ['clusterIP is the network address', [svc('s', 'clusterIP: 10.96.0.0, ports: [{port: 80}]')], [], [], 6, '10.96.0.0', /spec\.clusterIP: clusterIP 10\.96\.0\.0 is the network address of serviceCIDR/],
    ['clusterIP is the broadcast address', [svc('s', 'clusterIP: 10.111.255.255, ports: [{port: 80}]')], [], [], 6, '10.111', /spec\.clusterIP: clusterIP 10\.111\.255\.255 is the broadcast address of serviceCIDR/],
    ['clusterIP already used', [svc('s', 'clusterIP: 10.96.0.20, ports: [{port: 80}]'), svc('t', 'clusterIP: 10.96.0.20, ports: [{port: 80}]')], [], [], 7, '10.96.0.20', /resources\[2\]\.spec\.clusterIP: clusterIP 10\.96\.0\.20 is already used by Service default\/s$/],
    ['clusterIP of kube-dns', [svc('s', 'clusterIP: 10.96.0.10, ports: [{port: 80}]')], [], [], 6, '10.96.0.10', /already used by Service kube-system\/kube-dns \(built-in cluster DNS; set cluster\.dns: false to free it\)/],
    ['clusterIP of the kubernetes Service', [svc('s', 'clusterIP: 10.96.0.1, ports: [{port: 80}]')], [], [], 6, '10.96.0.1', /already used by the kubernetes Service/],
    ['clusterIP not an address', [svc('s', 'clusterIP: banana, ports: [{port: 80}]')], [], [], 6, 'banana', /spec\.clusterIP: expected an IPv4 address inside the serviceCIDR, "None" \(headless\) or nothing \(allocated\), found "banana"/],
    ['IPv6 clusterIP', [svc('s', 'clusterIP: "fd00::1", ports: [{port: 80}]')], [], [], 6, '"fd00', /spec\.clusterIP: IPv6 address: podwalk clusters are IPv4 only/],
    ['IPv6 family', [svc('s', 'ipFamilies: [IPv6], ports: [{port: 80}]')], [], [], 6, 'IPv6]', /spec\.ipFamilies\[0\]: IPv6: podwalk clusters are IPv4 only/],
    ['RequireDualStack', [svc('s', 'ipFamilyPolicy: RequireDualStack, ports: [{port: 80}]')], [], [], 6, 'RequireDualStack', /spec\.ipFamilyPolicy: RequireDualStack needs IPv6/],
    ['clusterIPs disagree', [svc('s', 'clusterIP: 10.96.0.20, clusterIPs: [10.96.0.21], ports: [{port: 80}]')], [], [], 6, '10.96.0.21', /spec\.clusterIPs\[0\]: clusterIPs\[0\] must be the same as clusterIP/],
    ['headless NodePort', [svc('s', 'type: NodePort, clusterIP: None, ports: [{port: 80}]')], [], [], 6, 'None', /spec\.clusterIP: may not be None \(headless\) for type NodePort/],
    ['no ports', [svc('s', 'selector: {app: web}')], [], [], 6, '{selector', /spec\.ports: expected at least one port/],
    ['unnamed ports', [svc('s', 'ports: [{port: 80}, {port: 81}]')], [], [], 6, '{port: 80}', /spec\.ports\[0\]\.name: required when the Service has more than one port/],
    ['duplicate port names', [svc('s', 'ports: [{name: a, port: 80}, {name: a, port: 81}]')], [], [], 6, 'a, port: 81', /spec\.ports\[1\]\.name: duplicate port name a$/],
    ['duplicate port and protocol', [svc('s', 'ports: [{name: a, port: 80}, {name: b, port: 80}]')], [], [], 6, '80}]', /spec\.ports\[1\]\.port: duplicate port 80\/TCP/],
    ['bad targetPort', [svc('s', 'ports: [{port: 80, targetPort: "8080"}]')], [], [], 6, '"8080"', /spec\.ports\[0\]\.targetPort: expected a port number \(1-65535\) or a container port name/],
    ['nodePort on ClusterIP', [svc('s', 'ports: [{port: 80, nodePort: 30080}]')], [], [], 6, '30080', /spec\.ports\[0\]\.nodePort: may not be used when type is ClusterIP/],
    ['nodePort outside the range', [svc('s', 'type: NodePort, ports: [{port: 80, nodePort: 8080}]')], [], [], 6, '8080', /spec\.ports\[0\]\.nodePort: nodePort 8080 is outside serviceNodePortRange 30000-32767$/],
    ['nodePort outside a custom range', [svc('s', 'type: NodePort, ports: [{port: 80, nodePort: 30080}]')], [], ['serviceNodePortRange: 20000-20100'], 6, '30080', /nodePort 30080 is outside serviceNodePortRange 20000-20100$/],
    ['nodePort used twice', [svc('s', 'type: NodePort, ports: [{port: 80, nodePort: 30080}]'), svc('t', 'type: LoadBalancer, ports: [{port: 81, protocol: UDP, nodePort: 30080}]')], [], [], 7, '30080', /resources\[2\]\.spec\.ports\[0\]\.nodePort: nodePort 30080 is already used by Service default\/s$/],
    ['externalTrafficPolicy on ClusterIP', [svc('s', 'externalTrafficPolicy: Local, ports: [{port: 80}]')], [], [], 6, 'Local', /spec\.externalTrafficPolicy: may only be set for externally-accessible Services/],
    ['bad externalTrafficPolicy', [svc('s', 'type: NodePort, externalTrafficPolicy: local, ports: [{port: 80}]')], [], [], 6, 'local', /spec\.externalTrafficPolicy: expected one of Cluster, Local, found local \(did you mean Local\?\)/],
    ['healthCheckNodePort on NodePort', [svc('s', 'type: NodePort, healthCheckNodePort: 30100, ports: [{port: 80}]')], [], [], 6, '30100', /spec\.healthCheckNodePort: may only be set when type is LoadBalancer/],
    ['affinity timeout too long', [svc('s', 'sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}}, ports: [{port: 80}]')], [], [], 6, '86401', /sessionAffinityConfig\.clientIP\.timeoutSeconds: expected an integer between 1 and 86400, found 86401/],
    ['affinity config without ClientIP', [svc('s', 'sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}, ports: [{port: 80}]')], [], [], 6, '{clientIP', /spec\.sessionAffinityConfig: may only be set when sessionAffinity is ClientIP/],
    ['bad source range', [svc('s', 'type: LoadBalancer, loadBalancerSourceRanges: ["10.0.0.0/33"], ports: [{port: 80}]')], [], [], 6, '"10.0.0.0/33"', /spec\.loadBalancerSourceRanges\[0\]: expected an IPv4 CIDR like 203\.0\.113\.0\/24, found "10\.0\.0\.0\/33"/],
    ['source ranges on ClusterIP', [svc('s', 'loadBalancerSourceRanges: [10.0.0.0/8], ports: [{port: 80}]')], [], [], 6, '[10.0', /spec\.loadBalancerSourceRanges: may only be used when type is LoadBalancer/],
    ['ExternalName without a name', [svc('s', 'type: ExternalName')], [], [], 6, '{type', /spec\.externalName: required for type ExternalName/],
    ['bad externalName', [svc('s', 'type: ExternalName, externalName: "Not_A.Name"')], [], [], 6, '"Not_A', /spec\.externalName: expected a DNS-1123 name/],
    ['unknown Service field', [svc('s', 'ports: [{port: 80}], selecter: {app: web}')], [], [], 6, 'selecter', /spec\.selecter: unknown field selecter \(did you mean selector\?\)/],
    ['kube-dns declared while cluster DNS is on', ['{apiVersion: v1, kind: Service, metadata: {name: kube-dns, namespace: kube-system}, spec: {ports: [{port: 53}]}}'], [], [], 6, 'kube-dns', /metadata\.name: Service kube-system\/kube-dns is built in \(cluster DNS\); set cluster\.dns: false to declare your own/],
    ['slice without service-name label', ['{apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, metadata: {name: e}, addressType: IPv4, endpoints: []}'], [], [], 6, '{name: e}', /resources\[1\]\.metadata\.labels\["kubernetes\.io\/service-name"\]: required: the label kubernetes\.io\/service-name/],
    ['dangling slice', ['{apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, metadata: {name: e, labels: {kubernetes.io/service-name: nope}}, addressType: IPv4, endpoints: []}'], [], [], 6, 'nope', /metadata\.labels\.kubernetes\.io\/service-name: no Service default\/nope for this EndpointSlice \(Services in default: kubernetes\)/],
    ['slice address not IPv4', [svc('s', 'ports: [{port: 80}]'), '{apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, metadata: {name: e, labels: {kubernetes.io/service-name: s}}, addressType: IPv4, endpoints: [{addresses: [10.0.0.300]}]}'], [], [], 7, '10.0.0.300', /resources\[2\]\.endpoints\[0\]\.addresses\[0\]: expected an IPv4 address, found "10\.0\.0\.300"/],
    ['deployment selector does not match', ['{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {selector: {matchLabels: {app: x}}, template: {metadata: {labels: {app: y}}, spec: {containers: [{name: c, image: i}]}}}}'], [], [], 6, '{app: x}', /spec\.selector\.matchLabels: selector does not match template labels: app=x is not among spec\.template\.metadata\.labels \(app=y\)/],
    ['deployment without selector', ['{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {metadata: {labels: {app: y}}, spec: {containers: [{name: c, image: i}]}}}}'], [], [], 6, '{template', /resources\[1\]\.spec\.selector: required: a selector/],
    ['deployment template problem', ['{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {replicas: 3, selector: {matchLabels: {app: y}}, template: {metadata: {labels: {app: y}}, spec: {containers: [{name: c, image: i, ports: [{containerPort: 0}]}]}}}}'], [], [], 6, '0}', /spec\.template\.spec\.containers\[0\]\.ports\[0\]\.containerPort: expected an integer between 1 and 65535, found 0/],
    ['service port not on the Service', [svc('s', 'ports: [{name: http, port: 80}, {name: https, port: 443}]')], ['{name: f, from: pod/p1, to: service/s, port: 8080}'], [], 8, '8080', /traffic\[0\]\.port: Service default\/s has no TCP port 8080; its TCP ports: 80 \(http\), 443 \(https\)$/],
    ['no port for the protocol', [svc('s', 'ports: [{port: 80}]')], ['{name: f, from: pod/p1, to: service/default/s, protocol: UDP, port: 80}'], [], 8, '80}', /traffic\[0\]\.port: Service default\/s has no UDP ports \(its ports: 80\/TCP\)$/],
    ['ExternalName target', [svc('s', 'type: ExternalName, externalName: db.example.com')], ['{name: f, from: pod/p1, to: service/s, port: 80}'], [], 8, 'service/s', /traffic\[0\]\.to: Service default\/s is type ExternalName: it is only a DNS alias \(CNAME\) for db\.example\.com/],
    ['headless target', [svc('s', 'clusterIP: None, selector: {app: web}')], ['{name: f, from: pod/p1, to: service/s, port: 80}'], [], 8, 'service/s', /traffic\[0\]\.to: Service default\/s is headless/],
    ['service as a sender', [svc('s', 'ports: [{port: 80}]')], ['{name: f, from: service/s, to: pod/p1, port: 80}'], [], 8, 'service/s', /traffic\[0\]\.from: expected pod, node, host here, found a service/],
    ['not a DNS name', [], ['{name: f, from: pod/p1, to: "web_app", port: 80}'], [], 7, '"web_app"', /traffic\[0\]\.to: expected pod\/<ns>\/<name>, pod\/<name>, .*deployment\/<ns>\/<name>, .*node\/<name>, host\/<name>, service\/<ns>\/<name>, service\/<name>, a DNS name/],
    ['bad IPv4 address', [], ['{name: f, from: pod/p1, to: 10.0.0.256, port: 80}'], [], 7, '10.0.0.256', /traffic\[0\]\.to: expected an IPv4 address like 10\.96\.0\.10, found "10\.0\.0\.256"/],
    ['serviceCIDR too small for kube-dns', [], [], ['serviceCIDR: 10.96.0.0/29'], 10, '10.96.0.0/29', /cluster\.serviceCIDR: serviceCIDR 10\.96\.0\.0\/29 has no 10th address for the kube-dns Service/],
  ];
  for (const [label, resources, traffic, cluster, line, needle, re] of cases) {
    it(label, () => {
      const text = doc(resources, traffic, cluster);
      const ps = problems(text);
      const hit = ps.find((p) => re.test(p));
      expect(hit, ps.join('\n')).toBeDefined();
      expect(hit!.startsWith(`${at(text, line, needle)}: `)).toBe(true);
    });
  }
});

describe('warnings, not errors', () => {
  it('a DNS name no Service answers (with a hint for a forgotten prefix)', () => {
    const text = doc([], ['{name: f, from: pod/p1, to: p1, port: 80}', '{name: g, from: pod/p1, to: example.com, port: 80}']);
    const r = loadScenarioText(text, 'x.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.scenario.traffic.map((t) => t.to)).toEqual([
      { kind: 'dns', name: 'p1' },
      { kind: 'dns', name: 'example.com' },
    ]);
    expect(r.scenario.warnings.map(formatProblem)).toEqual([
      // The search list's names are in the cluster zone (NXDOMAIN); the name as it is goes last, outside it: SERVFAIL ends it.
      `${at(text, 7, 'p1, port')}: traffic[0].to: DNS name p1 resolves to no Service from namespace default at load time: if CoreDNS answers, the lookup will fail with SERVFAIL at run time (NXDOMAIN for p1.default.svc.cluster.local, p1.svc.cluster.local, p1.cluster.local; SERVFAIL for p1, outside cluster.local: CoreDNS has no upstream here) (did you mean pod/p1?)`,
      `${at(text, 8, 'example.com')}: traffic[1].to: DNS name example.com resolves to no Service from namespace default at load time: if CoreDNS answers, the lookup will fail with SERVFAIL at run time (NXDOMAIN for example.com.default.svc.cluster.local, example.com.svc.cluster.local, example.com.cluster.local; SERVFAIL for example.com, outside cluster.local: CoreDNS has no upstream here)`,
    ]);
  });

  it('a name inside the cluster zone fails with NXDOMAIN; a pod asking another nameserver first is told so', () => {
    const text = doc(
      ['{apiVersion: v1, kind: Pod, metadata: {name: own}, spec: {nodeName: a, dnsPolicy: None, dnsConfig: {nameservers: [192.0.2.53]}, containers: [{name: c, image: i}]}}'],
      ['{name: f, from: pod/p1, to: nope.default.svc.cluster.local., port: 80}', '{name: g, from: pod/own, to: nope, port: 80}'],
    );
    const r = loadScenarioText(text, 'x.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.warnings.map((w) => w.message)).toEqual([
      'DNS name nope.default.svc.cluster.local. resolves to no Service from namespace default at load time: if CoreDNS answers, the lookup will fail with NXDOMAIN at run time (NXDOMAIN for nope.default.svc.cluster.local)',
      'DNS name nope resolves to no Service at load time: the lookup will fail at run time; it asks 192.0.2.53 first, not cluster DNS (the run says what answered)',
    ]);
  });

  it('kinds still not modelled are ignored with a warning', () => {
    const s = load(doc(['{apiVersion: v1, kind: ConfigMap, metadata: {name: cm}, data: {}}']));
    expect(s.ignored.map((x) => x.kind)).toEqual(['ConfigMap']);
    expect(s.warnings.map((w) => w.message)).toEqual(['1 ConfigMap object (v1) ignored: they do not change how packets go']);
  });
});

describe('robustness', () => {
  it('never throws on a mangled services scenario', () => {
    const good = readFileSync(join(fixtures, 'services.yaml'), 'utf8');
    const rng = new Rng(11);
    for (let i = 0; i < 300; i++) {
      const chars = good.split('');
      for (let k = 0; k < 6; k++) chars[rng.int(0, chars.length - 1)] = String.fromCharCode(rng.int(32, 126));
      expect(() => loadScenarioText(chars.slice(0, rng.int(chars.length / 2, chars.length)).join(''), 'g.yaml')).not.toThrow();
    }
  });
});
