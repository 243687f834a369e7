import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { cli } from '../../src/cli/main.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scenario with one NetworkPolicy whose spec is `spec` (line 6 holds the policy's spec). */
function doc(spec: string, extra: string[] = []): string {
  return [
    'apiVersion: podwalk/v1alpha1',
    'kind: Scenario',
    'metadata: {name: t}',
    'resources:',
    '  - {apiVersion: v1, kind: Pod, metadata: {name: p1, labels: {app: web}}, spec: {nodeName: a, containers: [{name: c, image: i, ports: [{containerPort: 80, name: http}]}]}}',
    `  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: np}, spec: ${spec}}`,
    ...extra,
    'cluster:',
    '  network: host-gw',
    '  nodes: [{name: a}, {name: b}]',
    '',
  ].join('\n');
}

function problems(text: string): string[] {
  const r = loadScenarioText(text, 'x.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('NetworkPolicy validation (exit 2, naming the field)', () => {
  const cases: [string, string, RegExp][] = [
    ['except outside cidr', '{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}}]}]}', /x\.yaml:6:\d+: resources\[1\]\.spec\.ingress\[0\]\.from\[0\]\.ipBlock\.except\[0\]: must be a strict subset of cidr 10\.0\.0\.0\/16/],
    ['except equal to cidr', '{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}}]}]}', /except\[0\]: must be a strict subset/],
    ['invalid cidr', '{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.300/16}}]}]}', /ipBlock\.cidr: expected an IPv4 CIDR/],
    ['endPort < port', '{podSelector: {}, ingress: [{ports: [{port: 90, endPort: 80}]}]}', /ports\[0\]\.endPort: endPort 80 must be greater than or equal to port 90/],
    ['endPort with a named port', '{podSelector: {}, ingress: [{ports: [{port: http, endPort: 90}]}]}', /ports\[0\]\.endPort: endPort cannot be used with a named port/],
    ['endPort without port', '{podSelector: {}, ingress: [{ports: [{endPort: 90}]}]}', /endPort requires port/],
    ['bad protocol', '{podSelector: {}, ingress: [{ports: [{protocol: ICMP, port: 1}]}]}', /ports\[0\]\.protocol: expected one of TCP, UDP, SCTP, found ICMP/],
    ['bad named port', '{podSelector: {}, ingress: [{ports: [{port: Not_A_Name}]}]}', /ports\[0\]\.port: expected a port number \(1-65535\) or a named port/],
    ['port out of range', '{podSelector: {}, ingress: [{ports: [{port: 70000}]}]}', /ports\[0\]\.port: expected an integer between 1 and 65535/],
    ['In without values', '{podSelector: {matchExpressions: [{key: app, operator: In}]}}', /podSelector\.matchExpressions\[0\]: operator In requires a non-empty values list/],
    ['Exists with values', '{podSelector: {matchExpressions: [{key: app, operator: Exists, values: [x]}]}}', /matchExpressions\[0\]\.values: operator Exists takes no values/],
    ['unknown operator', '{podSelector: {matchExpressions: [{key: app, operator: Equals, values: [x]}]}}', /matchExpressions\[0\]\.operator: expected one of In, NotIn, Exists, DoesNotExist, found Equals/],
    ['bad label value', '{podSelector: {matchLabels: {app: "-bad-"}}}', /podSelector\.matchLabels\.app: invalid label value "-bad-"/],
    ['bad label key', '{podSelector: {matchLabels: {"a/b/c": x}}}', /invalid label key "a\/b\/c"/],
    ['bad matchExpressions value (ValidateLabelSelectorRequirement)', '{podSelector: {matchExpressions: [{key: app, operator: In, values: [ok, "not a valid value!"]}]}}', /x\.yaml:6:\d+: resources\[1\]\.spec\.podSelector\.matchExpressions\[0\]\.values\[1\]: invalid label value "not a valid value!"/],
    ['bad value in a peer namespaceSelector', '{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: team, operator: NotIn, values: ["-x"]}]}}]}]}', /from\[0\]\.namespaceSelector\.matchExpressions\[0\]\.values\[0\]: invalid label value "-x"/],
    ['leading zeros in an ipBlock cidr', '{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 010.0.0.0/8}}]}]}', /ipBlock\.cidr: expected an IPv4 CIDR like 10\.0\.0\.0\/16, found "010\.0\.0\.0\/8" \(the API server accepts leading zeros with a warning.*"10\.0\.0\.0\/8"\)/],
    ['ipBlock with podSelector', '{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}', /from\[0\]\.ipBlock: may not specify more than 1 peer type/],
    ['empty peer', '{podSelector: {}, ingress: [{from: [{}]}]}', /from\[0\]: must specify a peer/],
    ['unknown policy type', '{podSelector: {}, policyTypes: [Ingres]}', /policyTypes\[0\]: expected one of Ingress, Egress, found Ingres \(did you mean Ingress\?\)/],
    ['three policy types', '{podSelector: {}, policyTypes: [Ingress, Egress, Ingress]}', /spec\.policyTypes: may not specify more than two policyTypes/],
    ['ports directly under spec (the slides)', '{podSelector: {}, ports: [{port: 80}]}', /spec\.ports: unknown field ports/],
  ];
  for (const [name, spec, want] of cases) {
    it(name, () => {
      const p = problems(doc(spec));
      expect(p.join('\n')).toMatch(want);
    });
  }

  it('a valid policy loads with the API defaults (policyTypes, protocol)', () => {
    const r = loadScenarioText(doc('{podSelector: {matchLabels: {app: web}}, egress: [{ports: [{port: 53, protocol: UDP}, {port: 80}]}]}'), 'x.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const np = r.scenario.networkPolicies[0]!;
    expect(np.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.egress[0]!.ports[1]).toEqual({ protocol: 'TCP', port: 80 });
  });

  it('policyTypes [] is defaulted like an absent list; a repeated type is accepted (upstream has no uniqueness check)', () => {
    const load = (spec: string) => {
      const r = loadScenarioText(doc(spec), 'x.yaml');
      if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
      return r.scenario.networkPolicies[0]!.policyTypes;
    };
    expect(load('{podSelector: {}, policyTypes: []}')).toEqual(['Ingress']);
    expect(load('{podSelector: {}, policyTypes: [], egress: [{}]}')).toEqual(['Ingress', 'Egress']);
    expect(load('{podSelector: {}, policyTypes: [Egress, Egress]}')).toEqual(['Egress']);
  });

  it('cluster.networkPolicy switches are checked', () => {
    const text = doc('{podSelector: {}}').replace('  network: host-gw', '  network: host-gw\n  networkPolicy: {denyAction: refuse}');
    expect(problems(text).join('\n')).toMatch(/cluster\.networkPolicy\.denyAction: expected one of drop, reject, found refuse/);
  });

  it('cluster.networkPolicy.agent: kube-router by default; none (flannel alone) makes expect.policy an input error', () => {
    const r = loadScenarioText(doc('{podSelector: {}}'), 'x.yaml');
    expect(r.ok && r.scenario.cluster.networkPolicy.agent).toBe('kube-router');
    const none = (traffic: string): string[] => problems(doc('{podSelector: {}}', ['traffic:', traffic]).replace('  network: host-gw', '  network: host-gw\n  networkPolicy: {agent: none}'));
    expect(none('  - {name: t, from: pod/p1, to: node/b, port: 10250}')).toEqual([]);
    expect(none('  - {name: t, from: pod/p1, to: node/b, port: 10250, expect: {policy: default/np}}').join('\n')).toMatch(/traffic\[0\]\.expect\.policy: no NetworkPolicy decides anything here: cluster\.networkPolicy\.agent is none/);
    expect(problems(doc('{podSelector: {}}').replace('  network: host-gw', '  network: host-gw\n  networkPolicy: {agent: calico}')).join('\n')).toMatch(/cluster\.networkPolicy\.agent: expected one of kube-router, none, found calico/);
  });

  it('run says once what enforces the policies: the agent beside flannel when one decided a packet, nothing with agent: none', () => {
    const root = join(import.meta.dirname, '..', '..', 'scenarios');
    const run = (f: string): string => {
      let out = '';
      expect(cli(['run', join(root, f), '--quiet'], { out: (s) => (out += s), err: () => {} })).toBe(0);
      return out;
    };
    const enforced = run('netpol-default-deny.yaml');
    expect(enforced.match(/^NetworkPolicy: .*$/gm)).toEqual(['NetworkPolicy: enforced by a kube-router-style policy agent podwalk runs on every node beside flannel (flannel-vxlan); flannel alone enforces none (cluster.networkPolicy.agent: none runs it so)']);
    expect(run('netpol-flannel-alone.yaml').match(/^NetworkPolicy: .*$/gm)).toEqual(['NetworkPolicy: stored, not enforced: cluster.networkPolicy.agent is none, and flannel (flannel-vxlan) implements no policy']);
    // No policy, no line.
    expect(run('classic-walk.yaml')).not.toMatch(/^NetworkPolicy:/m);
  });

  it('steps: bad references are named', () => {
    const text = doc('{podSelector: {}}', ['steps:', '  - {at: 1ms, label: {pod: default/nope, labels: {a: b}}}', '  - {at: 2ms, delete: policy/np}', '  - {at: 3ms, apply: {apiVersion: v1, kind: Pod, metadata: {name: q}}}']);
    const p = problems(text).join('\n');
    expect(p).toMatch(/steps\[0\]\.label\.pod: no pod default\/nope/);
    expect(p).toMatch(/steps\[1\]\.delete: expected networkpolicy\/<namespace>\/<name>/);
    expect(p).toMatch(/steps\[2\]\.apply\.kind: steps can apply NetworkPolicy and Service objects only/);
  });

  it('steps: deleting a NetworkPolicy that does not exist then is an error, as kubectl delete answers NotFound', () => {
    const steps = (...lines: string[]): string[] => problems(doc('{podSelector: {}}', ['steps:', ...lines]));
    expect(steps('  - {at: 2ms, delete: networkpolicy/default/n}').join('\n')).toMatch(/x\.yaml:\d+:\d+: steps\[0\]\.delete: no NetworkPolicy default\/n exists at 0\.002 s/);
    expect(steps('  - {at: 2ms, delete: networkpolicy/default/np}')).toEqual([]);
    // Twice: the second finds nothing. Applied by an earlier step (the file order does not matter, the time does): fine.
    expect(steps('  - {at: 2ms, delete: networkpolicy/default/np}', '  - {at: 3ms, delete: networkpolicy/default/np}').join('\n')).toMatch(/steps\[1\]\.delete: no NetworkPolicy default\/np exists at 0\.003 s/);
    const apply = '{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: later}, spec: {podSelector: {}}}';
    expect(steps('  - {at: 4ms, delete: networkpolicy/default/later}', `  - {at: 1ms, apply: ${apply}}`)).toEqual([]);
    expect(steps(`  - {at: 4ms, apply: ${apply}}`, '  - {at: 1ms, delete: networkpolicy/default/later}').join('\n')).toMatch(/steps\[1\]\.delete: no NetworkPolicy default\/later exists at 0\.001 s/);
  });

  it('an ipBlock CIDR with host bits set loads with the API server\'s warning at its position, and the block is its network', () => {
    const r = loadScenarioText(doc('{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.244.2.2/24, except: [10.244.2.128/25, 10.244.2.9/30]}}]}]}'), 'x.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const w = r.scenario.warnings.map(formatProblem).join('\n');
    expect(w).toMatch(/x\.yaml:6:\d+: resources\[1\]\.spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr: CIDR value "10\.244\.2\.2\/24" is ambiguous in this context \(should be "10\.244\.2\.0\/24" or "10\.244\.2\.2\/32"\?\)/);
    expect(w).toMatch(/ipBlock\.except\[1\]: CIDR value "10\.244\.2\.9\/30" is ambiguous/);
    expect(w).toMatch(/cidr: .*the block used is 10\.244\.2\.0\/24/);
    expect(w).not.toMatch(/except\[0\]/);
  });

  it('a port name repeated across containers is accepted with the API server\'s warning; within one container it is an error', () => {
    const pod = (ports: string): string => `  - {apiVersion: v1, kind: Pod, metadata: {name: p2}, spec: {nodeName: b, containers: ${ports}}}`;
    const r = loadScenarioText(doc('{podSelector: {}}', [pod('[{name: c, image: i, ports: [{containerPort: 80, name: http}]}, {name: d, image: i, ports: [{containerPort: 81, name: http}]}]')]), 'x.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.scenario.warnings.map(formatProblem).join('\n')).toMatch(/x\.yaml:7:\d+: resources\[2\]\.spec\.containers\[1\]\.ports\[0\]\.name: duplicate port name "http" with spec\.containers\[0\]\.ports\[0\], services and probes that select ports by name will use spec\.containers\[0\]\.ports\[0\]/);
    expect(problems(doc('{podSelector: {}}', [pod('[{name: c, image: i, ports: [{containerPort: 80, name: http}, {containerPort: 81, name: http}]}]')])).join('\n')).toMatch(/containers\[0\]\.ports\[1\]\.name: Duplicate value: "http"/);
  });

  it('matrix: an expected table naming an unknown pod is an error', () => {
    const text = doc('{podSelector: {}}', ['matrix:', '  expect: "- default/p1 default/zz\\ndefault/p1 . X\\n"']);
    expect(problems(text).join('\n')).toMatch(/matrix\.expect: pod default\/zz in the expected matrix does not exist/);
  });

  it('the CLI exits 2 with file:line:col for an invalid policy, and matrix exits 1 on a differing table', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-np-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, doc('{podSelector: {}, ingress: [{ports: [{port: 90, endPort: 80}]}]}'));
    let err = '';
    expect(cli(['validate', bad], { out: () => {}, err: (s) => (err += s) })).toBe(2);
    expect(err).toMatch(/bad\.yaml:6:\d+: .*endPort/);
    const wrong = join(dir, 'wrong.yaml');
    writeFileSync(wrong, doc('{podSelector: {}, policyTypes: [Ingress]}', ['  - {apiVersion: v1, kind: Pod, metadata: {name: p2}, spec: {nodeName: b, containers: [{name: c, image: i}]}}', 'matrix:', '  port: 80', '  expect: |', '    -  default/p1 default/p2', '    default/p1 . .', '    default/p2 . .']));
    let out = '';
    expect(cli(['matrix', wrong], { out: (s) => (out += s), err: () => {} })).toBe(1);
    expect(out).toMatch(/default\/p2 -> default\/p1: expected \., probed X \(policy-denied\)/);
  });
});
