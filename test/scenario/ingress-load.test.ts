import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';

/** A scenario with one Ingress whose spec is `spec` (line 6), and more objects after it. */
function doc(spec: string, extra: string[] = [], meta = '{name: ing}'): string {
  return [
    'apiVersion: podwalk/v1alpha1',
    'kind: Scenario',
    'metadata: {name: t}',
    'resources:',
    '  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {ports: [{name: http, port: 80}]}}',
    `  - {apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: ${meta}, spec: ${spec}}`,
    ...extra,
    'cluster:',
    '  network: host-gw',
    '  nodes: [{name: a}]',
    '',
  ].join('\n');
}

function problems(text: string): string[] {
  const r = loadScenarioText(text, 'x.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
}

const backend = '{service: {name: web, port: {number: 80}}}';

describe('Ingress validation, as the API server does it (exit 2, file:line:col and the field)', () => {
  const cases: [string, string, RegExp][] = [
    ['neither rules nor defaultBackend', '{}', /x\.yaml:6:\d+: resources\[1\]\.spec: either `defaultBackend` or `rules` must be specified/],
    ['pathType missing', `{rules: [{http: {paths: [{path: /, backend: ${backend}}]}}]}`, /paths\[0\]\.pathType: required: pathType must be specified/],
    ['relative path', `{rules: [{http: {paths: [{path: api, pathType: Prefix, backend: ${backend}}]}}]}`, /paths\[0\]\.path: must be an absolute path/],
    ['traversal', `{rules: [{http: {paths: [{path: /a/../b, pathType: Exact, backend: ${backend}}]}}]}`, /paths\[0\]\.path: must not contain '\/\.\.\/'/],
    ['dot suffix', `{rules: [{http: {paths: [{path: /a/., pathType: Prefix, backend: ${backend}}]}}]}`, /cannot end with '\/\.'/],
    ['empty paths', '{rules: [{host: a.example, http: {paths: []}}]}', /rules\[0\]\.http\.paths: required: at least one path/],
    ['IP host', `{rules: [{host: 10.0.0.1, http: {paths: [{path: /, pathType: Prefix, backend: ${backend}}]}}]}`, /rules\[0\]\.host: must be a DNS name, not an IP address/],
    ['bad wildcard', `{rules: [{host: "a.*.example", http: {paths: [{path: /, pathType: Prefix, backend: ${backend}}]}}]}`, /rules\[0\]\.host: a wildcard DNS-1123 subdomain must start with '\*\.'/],
    ['upper-case host', `{rules: [{host: Shop.Example, http: {paths: [{path: /, pathType: Prefix, backend: ${backend}}]}}]}`, /rules\[0\]\.host: expected a DNS-1123 subdomain/],
    ['port name and number', '{defaultBackend: {service: {name: web, port: {number: 80, name: http}}}}', /defaultBackend\.service\.port: cannot set both port name & port number/],
    ['no port', '{defaultBackend: {service: {name: web, port: {}}}}', /defaultBackend\.service\.port: port name or number is required/],
    ['both backends', '{defaultBackend: {service: {name: web, port: {number: 80}}, resource: {kind: Bucket, name: b}}}', /defaultBackend: cannot set both resource and service backends/],
    ['bad pathType', `{rules: [{http: {paths: [{path: /, pathType: Regex, backend: ${backend}}]}}]}`, /pathType: expected one of Exact, Prefix, ImplementationSpecific, found Regex/],
    ['unknown field', `{rules: [{hots: a.example}]}`, /rules\[0\]\.hots: unknown field hots \(did you mean host\?\)/],
  ];
  for (const [what, spec, re] of cases) {
    it(what, () => expect(problems(doc(spec)).join('\n')).toMatch(re));
  }

  it('ImplementationSpecific may have an empty path and any characters', () => {
    expect(problems(doc(`{rules: [{http: {paths: [{pathType: ImplementationSpecific, backend: ${backend}}, {path: "/a//b", pathType: ImplementationSpecific, backend: ${backend}}]}}]}`))).toEqual([]);
  });

  it('the class annotation must agree with ingressClassName', () => {
    expect(problems(doc(`{ingressClassName: nginx, defaultBackend: ${backend}}`, [], '{name: ing, annotations: {kubernetes.io/ingress.class: other}}')).join('\n')).toMatch(/metadata\.annotations: annotation kubernetes\.io\/ingress\.class "other" must match ingressClassName "nginx"/);
  });

  it('IngressClass: controller required and domain-prefixed; the default class is filled in by admission', () => {
    const cls = (name: string, ctrl: string, dflt = false): string => `  - {apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: ${name}${dflt ? ', annotations: {ingressclass.kubernetes.io/is-default-class: "true"}' : ''}}, spec: {controller: ${ctrl}}}`;
    expect(problems(doc(`{defaultBackend: ${backend}}`, [cls('x', 'nginx')])).join('\n')).toMatch(/x\.yaml:7:\d+: resources\[2\]\.spec\.controller: expected a domain-prefixed path/);
    const r = loadScenarioText(doc(`{defaultBackend: ${backend}}`, [cls('nginx', 'k8s.io/ingress-nginx', true)]), 'x.yaml');
    expect(r.ok && r.scenario.ingresses[0]!.ingressClassName).toBe('nginx');
  });

  it('two default IngressClasses: the newest (the last in the file) is chosen, with a warning, as since Kubernetes 1.25', () => {
    const cls = (name: string): string => `  - {apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: ${name}, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}, spec: {controller: k8s.io/ingress-nginx}}`;
    const r = loadScenarioText(doc(`{defaultBackend: ${backend}}`, [cls('b'), cls('a')]), 'x.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.ingresses[0]!.ingressClassName).toBe('a');
    expect(r.scenario.warnings.map(formatProblem).join('\n')).toMatch(/x\.yaml:8:\d+: .*2 default IngressClasses \(b, a\): the DefaultIngressClass admission plugin picks the newest, here the last in the file, a/);
  });
});

describe('Ingress annotations podwalk acts on', () => {
  it('ssl-redirect: default true, "false" turns it off, anything else warns and keeps the default', () => {
    const read = (annotations: string): { sslRedirect: boolean; warnings: string } => {
      const r = loadScenarioText(doc(`{defaultBackend: ${backend}}`, [], `{name: ing, annotations: ${annotations}}`), 'x.yaml');
      if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
      return { sslRedirect: r.scenario.ingresses[0]!.sslRedirect, warnings: r.scenario.warnings.map(formatProblem).join('\n') };
    };
    expect(read('{}').sslRedirect).toBe(true);
    expect(read('{nginx.ingress.kubernetes.io/ssl-redirect: "false"}').sslRedirect).toBe(false);
    const odd = read('{nginx.ingress.kubernetes.io/ssl-redirect: "no"}');
    expect(odd.sslRedirect).toBe(true);
    expect(odd.warnings).toMatch(/ssl-redirect is "no"; ingress-nginx reads only "true" or "false" \(taken as the default, true\)/);
  });
});

describe('Ingress warnings: valid for the API server, but nothing will work', () => {
  it('a missing backend Service, a missing port, a class nobody serves', () => {
    const r = loadScenarioText(doc('{ingressClassName: none, rules: [{http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: gone, port: {number: 80}}}}, {path: /b, pathType: Prefix, backend: {service: {name: web, port: {name: grpc}}}}]}}]}'), 'x.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const w = r.scenario.warnings.map(formatProblem).join('\n');
    // Each warning points at what it is about: the backend's service name, the class name.
    expect(w).toMatch(/x\.yaml:6:\d+: resources\[1\]\.spec\.rules\[0\]\.http\.paths\[0\]\.backend\.service\.name: backend Service default\/gone does not exist: ingress-nginx answers 503/);
    expect(w).toMatch(/paths\[1\]\.backend\.service\.name: Service default\/web has no port grpc/);
    expect(w).toMatch(/x\.yaml:6:\d+: resources\[1\]\.spec\.ingressClassName: IngressClass none does not exist: no controller serves this Ingress/);
  });

  it('a controller pod on the host network is not modelled: said, and not counted as a controller; a hostPort one is said', () => {
    const cls = '  - {apiVersion: networking.k8s.io/v1, kind: IngressClass, metadata: {name: nginx}, spec: {controller: k8s.io/ingress-nginx}}';
    const ctl = (extra: string): string =>
      `  - {apiVersion: v1, kind: Pod, metadata: {name: ctl}, spec: {nodeName: a, ${extra}containers: [{name: c, image: registry.k8s.io/ingress-nginx/controller:v1.11.2, args: [/nginx-ingress-controller], ports: [{containerPort: 80${extra === '' ? ', hostPort: 80' : ''}}]}]}}`;
    const load = (extra: string): string => {
      const r = loadScenarioText(doc(`{ingressClassName: nginx, defaultBackend: ${backend}}`, [cls, ctl(extra)]), 'x.yaml');
      if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
      return r.scenario.warnings.map(formatProblem).join('\n');
    };
    const host = load('hostNetwork: true, ');
    expect(host).toMatch(/hostNetwork: ingress controller pod default\/ctl runs with hostNetwork: not modelled .*no Ingress rule applies/);
    expect(host).toMatch(/no ingress controller pod runs with --controller-class=k8s\.io\/ingress-nginx/);
    const port = load('');
    expect(port).toMatch(/ingress controller pod default\/ctl publishes hostPort 80: not modelled/);
    expect(port).not.toMatch(/nothing serves this Ingress/);
  });
});
