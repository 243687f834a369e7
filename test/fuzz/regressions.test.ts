/**
 * Inputs the fuzzer (or a hunt by hand) found handled badly, each with the
 * message it must give now. One case per finding; the comment says what it
 * printed before.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './outcome.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { MAX_EXPANDED_NODES } from '../../src/scenario/load/yaml-tree.js';

const HEAD = 'apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n';
const NODES = 'cluster:\n  nodes: [{name: node1}]\n';

function problems(text: string): string[] {
  const r = loadScenarioText(text, 'f.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('a required field that is missing is reported missing, not as "found a mapping" about its parent', () => {
  // Before: the parent's node stood in for the missing field, so each read "expected a string, found a mapping"
  // (and an integer field said so as well as "required": two lines for one omission).
  it.each([
    ['a manifest without kind or apiVersion', 'a: 1\n', ['f.yaml:1:1: doc 1.kind: required, expected a string', 'f.yaml:1:1: doc 1.apiVersion: required, expected a string']],
    ['a node without a name', `${HEAD}cluster:\n  nodes: [{ip: 10.0.0.1}]\n`, ['f.yaml:5:11: cluster.nodes[0].name: required, expected a string']],
    ['an external host without a name', `${HEAD}${NODES}  externalHosts: [{ip: 1.2.3.4}]\n`, ['f.yaml:6:19: cluster.externalHosts[0].name: required, expected a string']],
    ['a taint without key and effect', `${HEAD}cluster:\n  nodes: [{name: node1, taints: [{value: x}]}]\n`, ['f.yaml:5:34: cluster.nodes[0].taints[0].key: required, expected a string', 'f.yaml:5:34: cluster.nodes[0].taints[0].effect: required, expected one of NoSchedule, PreferNoSchedule, NoExecute']],
    ['an mtu step without device and mtu', `${HEAD}${NODES}steps:\n- {at: 1s, mtu: {}}\n`, ['f.yaml:7:17: steps[0].mtu.device: required, expected a string', 'f.yaml:7:17: steps[0].mtu: mtu: required']],
    ['a scale step without deployment and replicas', `${HEAD}${NODES}steps:\n- {at: 1s, scale: {}}\n`, ['f.yaml:7:19: steps[0].scale.deployment: required, expected a string', 'f.yaml:7:19: steps[0].scale: replicas: required']],
    ['a Service port without port', `${HEAD}${NODES}resources:\n- {apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{}]}}\n`, ['f.yaml:7:71: resources[0].spec.ports[0].port: required, expected an integer between 1 and 65535']],
  ])('%s', (_, text, expected) => {
    const p = problems(text);
    for (const line of expected) expect(p).toContain(line);
    expect(p.join('\n')).not.toMatch(/found a mapping/);
  });
});

describe('an empty key', () => {
  // Before: 'f.yaml:5:1: : unknown field ' (an empty path and an empty name).
  it('is shown quoted, in the path and the message', () => {
    expect(problems(`${HEAD}${NODES}"": x\n`)).toEqual(['f.yaml:6:1: "": unknown field ""']);
  });
});

describe('podwalk init and include: of what is not a manifest file', () => {
  // Before: 'init: cannot read /x: ENOENT'; /dev/null became a problem at line 10 of a scenario never written
  // ('scenario.yaml:10:5: include[0]: included file ../../dev/null: cannot read: ...'); a Scenario file was
  // 'unknown kind Scenario; podwalk reads: Namespace, Pod, ...'.
  it('names the file and why, in words', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-init-'));
    expect(runCli(['init', join(dir, 'nope.yaml')])).toEqual({ code: 2, out: '', err: `init: ${join(dir, 'nope.yaml')}: cannot read: no such file\n` });
    expect(runCli(['init', '/dev/null'])).toEqual({ code: 2, out: '', err: 'init: /dev/null: cannot read: not a regular file (a device, FIFO or socket)\n' });
  });

  it('names an empty directory and an unreadable file in one, not a line of the scenario it did not write', () => {
    // Before: '/cwd/scenario.yaml:10:5: include[0]: directory ../x has no .yaml, .yml or .json files (looked at /x)'.
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-init-'));
    expect(runCli(['init', dir])).toEqual({ code: 2, out: '', err: `init: ${dir}: a directory with no .yaml, .yml or .json file in it\n` });
    symlinkSync(join(dir, 'nowhere'), join(dir, 'a.yaml'));
    expect(runCli(['init', dir])).toEqual({ code: 2, out: '', err: `init: ${join(dir, 'a.yaml')}: cannot read: no such file\n` });
  });

  it('says that - is not standard input', () => {
    // Before: '-:1:1: (file): cannot read: no such file', as kubectl's -f - reads standard input.
    expect(runCli(['validate', '-']).err).toBe('-:1:1: (file): cannot read: no file named -; podwalk reads files, not standard input (write the scenario to a file first)\n');
  });

  it('says a Scenario cannot be included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-init-'));
    writeFileSync(join(dir, 'other.yaml'), `${HEAD}${NODES}`);
    writeFileSync(join(dir, 's.yaml'), `${HEAD}${NODES}include: [other.yaml]\n`);
    expect(runCli(['validate', join(dir, 's.yaml')]).err).toBe('other.yaml:2:7: doc 1.kind: a Scenario cannot be a resource or an included file: resources:, include: and podwalk init take Kubernetes manifests (a scenario file holds one Scenario document)\n');
  });
});

describe('aliases over a whole file', () => {
  // Before: the cap was per document, so 30 documents each just under it (1.3 MB) took 2 minutes and 1.8 GB,
  // and printed a million duplicate-pod lines.
  it('are capped for the file, not each document', () => {
    const doc = (i: number): string => `a${i}: &a${i} [${Array(100).fill('x').join(', ')}]\nb${i}: &b${i} [${Array(100).fill(`*a${i}`).join(', ')}]\nc${i}: [${Array(60).fill(`*b${i}`).join(', ')}]\n`;
    expect(problems(`${doc(1)}---\n${doc(2)}`)).toEqual([`f.yaml:4:1: (yaml): aliases expand this file to more than ${MAX_EXPANDED_NODES} nodes beyond its text (an alias bomb?)`]);
    // One such document alone is fine as far as aliases go.
    expect(problems(doc(1)).join('\n')).not.toMatch(/alias/);
  });
});

describe('ipvs: an EndpointSlice that names a virtual address (a ClusterIP)', () => {
  // Before: exit 3, 'Maximum call stack size exceeded': IPVS sent the packet to the local real server, whose
  // address is a virtual service again, and scheduled it again without end. Now it is let by, as
  // skb->ipvs_property does: nothing listens on the ClusterIP itself, so the node resets the connection.
  it('ends: the packet reaches the local stack once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-ipvs-loop-'));
    const file = join(dir, 's.yaml');
    writeFileSync(
      file,
      `${HEAD}cluster:
  proxyMode: ipvs
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: curl}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: a}, spec: {clusterIP: 10.96.0.50, ports: [{name: http, port: 80}]}}
  - apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: a-1, labels: {kubernetes.io/service-name: a}}
    addressType: IPv4
    ports: [{name: http, port: 80, protocol: TCP}]
    endpoints: [{addresses: [10.96.0.50]}]
traffic:
  - {name: to-itself, from: pod/client, to: service/a, port: 80, expect: {verdict: dropped, dropReason: tcp-reset}}
  - {name: from-node, from: node/node1, to: service/a, port: 80, at: 1ms, expect: {verdict: dropped, dropReason: tcp-reset}}
`,
    );
    const r = runCli(['run', file, '--quiet']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('endpoint addresses the API server refuses', () => {
  // Before: accepted; an EndpointSlice naming 127.0.0.1 or 0.0.0.0 ran (ipvs mode: a reset from the node itself).
  const slice = (addr: string): string => `${HEAD}${NODES}resources:
  - {apiVersion: v1, kind: Service, metadata: {name: a}, spec: {ports: [{name: http, port: 80}]}}
  - {apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, metadata: {name: a-1, labels: {kubernetes.io/service-name: a}}, addressType: IPv4, endpoints: [{addresses: [${addr}]}]}
  - {apiVersion: v1, kind: Endpoints, metadata: {name: b}, subsets: [{addresses: [{ip: ${addr}}]}]}
`;
  it.each([
    ['0.0.0.0', 'may not be unspecified (0.0.0.0)'],
    ['127.0.0.1', 'may not be in the loopback range (127.0.0.0/8)'],
    ['169.254.169.254', 'may not be in the link-local range (169.254.0.0/16)'],
    ['224.0.0.1', 'may not be in the link-local multicast range (224.0.0.0/24)'],
  ])('%s: %s (ValidateNonSpecialIP)', (addr, why) => {
    const p = problems(slice(addr));
    expect(p).toContainEqual(expect.stringMatching(new RegExp(`^f\\.yaml:8:\\d+: resources\\[1\\]\\.endpoints\\[0\\]\\.addresses\\[0\\]: ${addr.replace(/\./g, '\\.')} ${why.replace(/[().]/g, '\\$&')}: the API server refuses`)));
    expect(p).toContainEqual(expect.stringMatching(/^f\.yaml:9:\d+: resources\[2\]\.subsets\[0\]\.addresses\[0\]\.ip: .* the API server refuses/));
  });

  it('accepts the addresses next to those ranges', () => {
    for (const addr of ['224.0.1.1', '126.255.255.255', '169.253.0.1']) expect(problems(slice(addr)).join('\n')).not.toMatch(/API server refuses/);
  });
});

describe('command-line values: empty, hexadecimal, exponent', () => {
  const classic = join(import.meta.dirname, '..', '..', 'scenarios', 'classic-walk.yaml');
  // Before: '--node: no namespace  (have: ...)' and '--flow: no traffic item  (have: ...)' (an empty name shown as
  // nothing), '--modes: ... got ' ; and matrix --port took 0x50 and 1e3 as ports 80 and 1000.
  it.each([
    [['show', classic, 'routes', '--node', ''], /^--node: no namespace "" \(have: /],
    [['run', classic, '--flow', ''], /^--flow: no traffic item "" \(have: /],
    [['compare', classic, '--modes', 'iptables,'], /^--modes: expected a comma-separated list of iptables, ipvs, nftables, got an empty name$/m],
    [['matrix', classic, '--port', '0x50'], /^--port: expected an integer between 1 and 65535, got 0x50$/m],
    [['matrix', classic, '--port', '1e3'], /^--port: expected an integer between 1 and 65535, got 1e3$/m],
    [['matrix', classic, '--port', ''], /^--port: expected an integer between 1 and 65535, got nothing$/m],
  ])('%j', (args, message) => {
    const r = runCli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

describe('include: globs and directories that are hostile or broken', () => {
  const scenario = (include: string): string => `${HEAD}${NODES}include: [${JSON.stringify(include)}]\n`;
  const dir = mkdtempSync(join(tmpdir(), 'podwalk-include-'));
  mkdirSync(join(dir, 'long'));
  writeFileSync(join(dir, 'long', `${'a'.repeat(200)}.yaml`), '');
  mkdirSync(join(dir, 'links'));
  symlinkSync(join(dir, 'nowhere'), join(dir, 'links', 'dangling.yaml'));
  const validate = (include: string): { code: number; err: string } => {
    writeFileSync(join(dir, 's.yaml'), scenario(include));
    return runCli(['validate', join(dir, 's.yaml')]);
  };

  it('a glob of many stars is matched without backtracking (before: a RegExp from it hung the loader)', () => {
    const r = validate(`long/${'*a'.repeat(20)}*b`);
    expect(r.err).toMatch(/^.*s\.yaml:6:\d+: include\[0\]: no file matches long\/\*a\*a.* \(looked under /);
    expect(r.code).toBe(2);
  });

  it('a class with a range written backwards is an input error (before: exit 3, "Invalid regular expression")', () => {
    const r = validate('[z-a].yaml');
    expect(r.err).toBe(`${join(dir, 's.yaml')}:6:11: include[0]: glob [z-a].yaml: the range z-a in [z-a] is backwards (write a-z)\n`);
    expect(r.code).toBe(2);
  });

  it('a dangling symlink in an included directory is named (before: exit 3, "ENOENT: no such file or directory, stat")', () => {
    const r = validate('links');
    expect(r.err).toBe(`${join(dir, 's.yaml')}:6:11: include[0]: included file links: cannot read: no such file (looked at ${join(dir, 'links', 'dangling.yaml')})\n`);
    expect(r.code).toBe(2);
  });
});

describe('--pcap-device: a pattern of many stars', () => {
  // Before: the pattern became a RegExp of '.*'s, and '***…*a' against every device name backtracked for minutes.
  it('is matched at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-pcap-stars-'));
    const r = runCli(['run', join(import.meta.dirname, '..', '..', 'scenarios', 'same-node.yaml'), '--quiet', '--pcap', dir, '--pcap-device', `${'*'.repeat(60)}a`, '--pcap-device', '*/*:*']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^pcap: wrote /m);
  });
});

describe('YAML text the parser took wrongly', () => {
  it('an alias with no anchor is named (before: "expected a string, found something else")', () => {
    expect(problems(`${HEAD}${NODES}traffic: [{name: *nope, from: node/node1, to: 10.0.0.1, port: 80}]\n`)).toEqual(['f.yaml:6:18: traffic[0].name: alias *nope names no anchor (&nope) before it in this document']);
  });

  it('a CR alone ends a line, as YAML and kubectl have it (before: "Nested mappings are not allowed in compact mappings")', () => {
    const text = `${HEAD}${NODES}traffic: [{name: x, from: node/node1, to: 10.0.0.1, port: 80}]\n`;
    expect(problems(text.replace(/\n/g, '\r'))).toEqual([]);
    // A last line that ends in a CR (a CRLF file cut short): the value was "80\r", a control character.
    expect(problems(text.replace(/\n/g, '\r\n').replace(/\r\n$/, '\r'))).toEqual([]);
    expect(problems(`${HEAD}\r${NODES}\rbogus: 1\r`)).toEqual(['f.yaml:8:1: bogus: unknown field bogus']);
  });

  it('UTF-16 with a byte order mark is read, as kubectl reads it (PowerShell writes it); without one it is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-utf16-'));
    const text = `${HEAD}${NODES}`;
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le.subarray(2)).swap16();
    writeFileSync(join(dir, 'le.yaml'), le);
    writeFileSync(join(dir, 'be.yaml'), Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
    writeFileSync(join(dir, 'none.yaml'), le.subarray(2));
    expect(runCli(['validate', join(dir, 'le.yaml')]).code).toBe(0);
    expect(runCli(['validate', join(dir, 'be.yaml')]).code).toBe(0);
    // Before: five lines of 'control character U+0000 is not allowed in YAML'.
    expect(runCli(['validate', join(dir, 'none.yaml')])).toEqual({ code: 2, out: '', err: `${join(dir, 'none.yaml')}:1:1: (file): NUL bytes between the characters: UTF-16 without a byte order mark? Save the file as UTF-8 (or as UTF-16 with its BOM)\n` });
  });
});

describe('TCP: a sourcePort whose connection is still there', () => {
  // Before: the second connect() made a second socket with the same four-tuple; the server's ACKs reached the
  // newest, whose answers the server's socket answered: an ACK storm of millions of events until the event budget.
  it('fails with EADDRNOTAVAIL, as connect() does: no SYN, the flow dropped with send-error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-sport-'));
    const file = join(dir, 's.yaml');
    writeFileSync(
      file,
      `${HEAD}cluster:
  nodes: [{name: node1}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: x}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node1, containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}}
traffic:
  - {name: x, from: pod/a, to: pod/b, port: 80, sourcePort: 5000, count: 3, interval: 1ms}
  - {name: after-close, from: pod/a, to: pod/b, port: 80, sourcePort: 5001, close: true}
  - {name: in-time-wait, from: pod/a, to: pod/b, port: 80, sourcePort: 5001, at: 10ms, expect: {verdict: dropped, dropReason: send-error}}
`,
    );
    const r = runCli(['run', file, '--quiet']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^x#1: TCP, delivered/m);
    expect(r.out).toMatch(/^x#2: TCP, dropped: send-error\n {2}→ b \(connect\(\) failed with EADDRNOTAVAIL: 10\.244\.1\.2:5000 → 10\.244\.1\.3:80 is still a connection \(ESTABLISHED\) of this namespace; no SYN sent\)$/m);
    expect(r.out).toMatch(/^in-time-wait: TCP, dropped: send-error\n.*\(TIME_WAIT\)/m);
  });
});

describe('cluster.bridge: a name the node already has', () => {
  // Before: exit 3, 'RTNETLINK answers: File exists (node1: eth0)' from building the node.
  it.each([
    ['eth0', '', 'the NIC on the underlay'],
    ['lo', '', 'the loopback device'],
    ['flannel.1', '', "flannel's VXLAN device"],
    ['kube-ipvs0', '  proxyMode: ipvs\n', "kube-proxy's dummy device for IPVS virtual addresses"],
  ])('%s is an input error', (name, extra, owner) => {
    expect(problems(`${HEAD}cluster:\n${extra}  bridge: ${name}\n  nodes: [{name: node1}]\n`)).toEqual([`f.yaml:${extra ? 6 : 5}:11: cluster.bridge: ${name} is taken on the nodes by ${owner}: expected another name, like cbr0 or cni0`]);
  });

  it('flannel.1 is free under host-gw, kube-ipvs0 outside ipvs mode', () => {
    expect(problems(`${HEAD}cluster:\n  network: host-gw\n  bridge: flannel.1\n  nodes: [{name: node1}]\n`)).toEqual([]);
    expect(problems(`${HEAD}cluster:\n  bridge: kube-ipvs0\n  nodes: [{name: node1}]\n`)).toEqual([]);
  });
});

describe('a scale step beyond what the podCIDRs hold', () => {
  // Before: exit 3, 'no free pod address on node1', from host-local IPAM in the middle of the run.
  it('starts the pods that fit and says the rest did not start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-scale-'));
    const file = join(dir, 's.yaml');
    writeFileSync(
      file,
      `${HEAD}cluster:
  nodes: [{name: node1, podCIDR: 10.244.1.0/29}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: x}]}}
  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {replicas: 1, selector: {matchLabels: {app: d}}, template: {metadata: {labels: {app: d}}, spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}}}}
  - {apiVersion: v1, kind: Service, metadata: {name: s}, spec: {selector: {app: d}, ports: [{port: 80}]}}
steps:
  - {at: 1ms, scale: {deployment: default/d, replicas: 10}}
  - {at: 2s, rollout: {deployment: default/d}}
traffic:
  - {name: x, from: pod/a, to: service/s, port: 80, at: 3s, expect: {verdict: delivered}}
`,
    );
    const r = runCli(['run', file, '--json']);
    expect(r.code).toBe(0);
    const pending = r.out.split('\n').filter((l) => l.includes('"change":"pod-pending"')).map((l) => (JSON.parse(l) as { detail: string }).detail);
    // The /29 holds 5 pods: a, the two coredns replicas, d's first pod and one more; the rollout finds no room for a surge pod.
    expect(pending[0]).toMatch(/^pod default\/d-\S+ not started: no node has a free pod address left in its podCIDR$/);
    expect(pending).toContain('7 more pod(s) of deployment default/d not started either');
    expect(pending.length).toBeGreaterThan(2);
  });
});

describe('labels the API server refuses', () => {
  // Before: only NetworkPolicy selectors checked label keys; a pod's, node's or Service selector's key with a space or
  // an escape sequence in it was accepted and matched by name.
  it.each([
    ['a pod label key', `resources:\n  - {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {"bad key": x}}, spec: {nodeName: node1, containers: [{name: c, image: x}]}}\n`, 'resources[0].metadata.labels.bad key: invalid label key "bad key"'],
    ['a pod label value', `resources:\n  - {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {app: "-x"}}, spec: {nodeName: node1, containers: [{name: c, image: x}]}}\n`, 'resources[0].metadata.labels.app: invalid label value "-x"'],
    ['a Service selector key', `resources:\n  - {apiVersion: v1, kind: Service, metadata: {name: s}, spec: {selector: {"\\e[31mapp": x}, ports: [{port: 80}]}}\n`, 'resources[0].spec.selector.\\e[31mapp: invalid label key "\\e[31mapp"'],
    ['a node label key', '', ''],
  ])('%s', (_, extra, message) => {
    const text = extra ? `${HEAD}${NODES}${extra}` : `${HEAD}cluster:\n  nodes: [{name: node1, labels: {"a/b/c": x}}]\n`;
    const p = problems(text);
    expect(p).toHaveLength(1);
    expect(p[0]).toContain(message || 'cluster.nodes[0].labels.a/b/c: invalid label key "a/b/c"');
  });

  it('accepts what kubectl prints: prefixes, dots, empty values', () => {
    expect(problems(`${HEAD}${NODES}resources:\n  - {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {app.kubernetes.io/name: web, pod-template-hash: 7d4b9c, empty: "", A_b.c-D: "1.2_x"}}, spec: {nodeName: node1, containers: [{name: c, image: x}]}}\n`)).toEqual([]);
  });
});

describe('traffic names the report and --flow could not tell apart', () => {
  const POD = 'resources:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}}\n';
  // Before: an empty name was valid and printed a headline ': TCP, delivered'; 'x#1' beside a count: 2 item x
  // made two flows named x#1.
  it('an empty name is an error', () => {
    expect(problems(`${HEAD}${NODES}${POD}traffic:\n- {name: "", from: pod/a, to: pod/a, port: 80}\n`)).toEqual([
      "f.yaml:9:10: traffic[0].name: expected a non-empty name (it names the item's flows in the report, --flow and sameBackendAs)",
    ]);
  });
  it('a name ending in #<number> is an error: it reads as another item’s flow', () => {
    const p = problems(`${HEAD}${NODES}${POD}traffic:\n- {name: x, from: pod/a, to: pod/a, port: 80, count: 2}\n- {name: "x#1", from: pod/a, to: pod/a, port: 80}\n`);
    expect(p).toEqual(['f.yaml:10:10: traffic[1].name: expected a name that does not end in #<number>, found "x#1": the flows of an item are named <name>#<k>']);
  });
});
