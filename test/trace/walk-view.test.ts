import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { detectTerminal, fit, paint, PLAIN, visibleWidth, type Terminal } from '../../src/trace/view/terminal.js';

const root = join(import.meta.dirname, '..', '..');
const scenario = (name: string): string => join(root, 'scenarios', name);

function run(args: string[], term?: Terminal): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = cli(args, { out: (s) => (out += s), err: (s) => (err += s), ...(term ? { term } : {}) });
  return { code, out, err };
}

/** The report split into flows: each starts at a line that is not indented, after a blank line. */
function flowsOf(out: string): string[][] {
  const blocks = out.split('\n\n').map((b) => b.split('\n').filter((l) => l !== ''));
  return blocks.filter((b) => /^\S+: (TCP|UDP|ICMP)/.test(b[0] ?? ''));
}

describe('the walk view (podwalk run)', () => {
  it('shows each classic walk in at most 25 lines of at most 80 columns on an 80-column terminal', () => {
    const r = run(['run'], { width: 80, colour: false });
    expect(r.code).toBe(0);
    const flows = flowsOf(r.out);
    expect(flows.map((f) => f[0]!.split(':')[0])).toEqual(['same-node', 'across-nodes']);
    for (const f of flows) expect(f.length).toBeLessThanOrEqual(25);
    for (const l of r.out.split('\n')) expect(visibleWidth(l), l).toBeLessThanOrEqual(80);
  });

  it('reads hops off the trace: who talks to whom, the bridge, the tunnel, the socket, the answer', () => {
    const out = run(['run']).out;
    const [same, across] = flowsOf(out);
    expect(same![0]).toMatch(/^same-node: TCP, delivered, rtt \d+\.\d µs$/);
    expect(same![0]).not.toMatch(/rtt 0\.0 µs/);
    expect(same![1]).toMatch(/^ {2}pod1 10\.244\.1\.2:\d+ → pod2 10\.244\.1\.3:8080$/);
    expect(same!.join('\n')).toMatch(/\d {2}node1:cbr0 +bridged veth[0-9a-f]{8} → veth[0-9a-f]{8}/);
    expect(same!.join('\n')).toMatch(/pod2:eth0 +delivered to tcp 10\.244\.1\.3:8080/);
    expect(same!.join('\n')).toMatch(/ARP: 1 exchange: pod1:eth0 ↔ pod2:eth0 \(10\.244\.1\.3\)/);
    expect(same!.join('\n')).toMatch(/reply: TCP \[S\.\] from pod2, back through the same 5 devices in reverse/);
    const a = across!.join('\n');
    expect(a).toMatch(/node1:flannel\.1 +encapsulated VXLAN VNI 1 \+50 B: 192\.168\.56\.11:\d+ → 192\.168\.56\.12:8472/);
    expect(a).toMatch(/node2:flannel\.1 +decapsulated VNI 1 -50 B/);
    expect(a).toMatch(/node1 +routed 10\.244\.2\.2: 10\.244\.2\.0\/24 via 10\.244\.2\.0 dev flannel\.1 onlink \(in on cbr0\), ttl 63/);
    // No full rule dumps, no conntrack tuples, no arp-ignored drops at the default level.
    expect(out).not.toMatch(/-A KUBE-|conntrack|arp-ignored/);
  });

  it('names the Service, the endpoint DNAT chose and the rule that chose it', () => {
    const out = run(['run', scenario('netpol-service-denied.yaml'), '--flow', 'frontend-via-service']).out;
    expect(out).toMatch(/frontend 10\.244\.1\.2:\d+ → service\/default\/backend 10\.96\.0\.11:80 ⇒ backend 10\.244\.2\.2:9376/);
    expect(out).toMatch(/node1 +DNAT 10\.96\.0\.11:80 → 10\.244\.2\.2:9376 by KUBE-SEP-[A-Z2-7]{16}/);
    expect(out).toMatch(/policy ingress default\/backend: allowed by default\/backend-from-frontend ingress\[0\]/);
    expect(out).toMatch(/un-NATed at node1 \(source 10\.244\.2\.2:9376 → 10\.96\.0\.11:80\)/);
    expect(out).not.toContain('intruder-via-service');
  });

  it('through an Ingress the headline names the controller with its address, then the backend with its own', () => {
    const out = run(['run', scenario('ingress-host-fanout.yaml'), '--flow', 'shop-host']).out;
    expect(out).toMatch(/client 192\.168\.56\.100:\d+ → node\/node1 192\.168\.56\.11:30080 ⇒ ingress-nginx\/ingress-nginx-controller-[0-9a-z]+-[0-9a-z]+ 10\.244\.1\.124:80 → shop 10\.244\.2\.2:8080\n/);
    // Never the backend's name beside the controller's address.
    expect(out).not.toMatch(/⇒ shop 10\.244\.1\.124/);
    // --detail path: both connections, the controller's own after a ⇒.
    const path = run(['run', scenario('ingress-host-fanout.yaml'), '--flow', 'shop-host', '--detail', 'path']).out.replace(/\s+/g, ' ');
    expect(path).toMatch(/path: client:eth0 → .* → ingress-nginx\/ingress-nginx-controller-\S+:eth0 ⇒ ingress-nginx\/ingress-nginx-controller-\S+:eth0 → node1:veth[0-9a-f]{8} → .* → node2:eth0 → flannel\.1 → .* → shop:eth0 expectations/);
  });

  it("the DNS line names every rcode plainly, a lone CNAME as having no address, and a query dropped by a policy by that policy", () => {
    expect(run(['run', scenario('dns-lookup.yaml'), '--flow', 'unknown-name']).out).toMatch(/nope\.shop: A ServFail, AAAA ServFail, A ServFail, AAAA ServFail\n/);
    const cname = run(['run', scenario('dns-answers.yaml'), '--flow', 'cname-only']).out;
    expect(cname).toMatch(/ext\.default\.svc\.cluster\.local: A CNAME example\.com\. \(no address\), AAAA CNAME example\.com\. \(no address\)\n/);
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-dns-'));
    const file = join(dir, 'deny.yaml');
    writeFileSync(
      file,
      `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: deny}
cluster: {nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny-egress}, spec: {podSelector: {}, policyTypes: [Egress]}}
traffic:
  - {name: blocked, from: pod/client, to: kubernetes, port: 443}
`,
    );
    const out = run(['run', file, '--flow', 'blocked']).out;
    expect(out).toMatch(/kubernetes: A dropped, AAAA dropped, A dropped, AAAA dropped; dropped by NetworkPolicy \(egress of default\/client, isolated by default\/deny-egress\)\n/);
    // The last name's timeout is the lookup's reason (getaddrinfo's EAI_AGAIN), not a bare "does not resolve".
    expect(out).toMatch(/→ kubernetes \(kubernetes: no answer from 10\.96\.0\.10 after 2 tries of 5 s; tried /);
  });

  it('a drop names the reason and the rule; a DNS name shows its lookup', () => {
    const denied = run(['run', scenario('netpol-deny-all-allow-dns.yaml'), '--flow', 'lookup-then-connect']).out;
    expect(denied).toMatch(/lookup-then-connect: TCP, dropped: policy-denied/);
    expect(denied).toMatch(/dropped: policy-denied\n +-A NETPOL-EGR-[0-9A-F]+ .*-j DROP/);
    expect(denied).toMatch(/DNS: 4 queries to 10\.96\.0\.10:53, [\d.]+ µs: cart\.shop\.shop\.svc\.cluster\.local: A NXDomain, AAAA NXDomain; cart\.shop\.svc\.cluster\.local: A → 10\.96\.0\.11, AAAA NODATA/);
  });

  it('--detail path prints the devices crossed; --detail full (or -vv) the table of every event', () => {
    const path = run(['run', '--detail', 'path']).out;
    expect(path).toMatch(/path: pod1:eth0 → node1:veth[0-9a-f]{8} → cbr0 → veth[0-9a-f]{8} → pod2:eth0\n/);
    expect(path).not.toMatch(/reply:/);
    const full = run(['run', '-vv', '--flow', 'same-node']).out;
    expect(full).toMatch(/│ t \(µs\) │ pkt │ where/);
    expect(full).toMatch(/DROP arp-ignored/);
    expect(run(['run', '--detail', 'full']).out).toBe(run(['run', '-vv']).out);
  });

  it('--show and --hide choose the side categories; -v shows them all', () => {
    const shown = run(['run', '--flow', 'same-node', '--show', 'netfilter,conntrack']).out;
    expect(shown).toMatch(/br_netfilter iptables -t nat PREROUTING: ACCEPT \(policy\), 6 rules evaluated/);
    expect(shown).toMatch(/conntrack NEW original\n +src=10\.244\.1\.2/);
    const hidden = run(['run', '--flow', 'same-node', '--hide', 'arp']).out;
    expect(hidden).not.toMatch(/ARP/);
    const verbose = run(['run', '--flow', 'same-node', '-v']).out;
    expect(verbose).toMatch(/ARP resolving 10\.244\.1\.3 \[INCOMPLETE\]/);
    expect(verbose).toMatch(/ARP at 0\.0 µs: pod1:eth0 who-has 10\.244\.1\.3, broadcast to 3 bridge ports; pod2:eth0 10\.244\.1\.3 is-at [0-9a-f:]{17}/);
    expect(verbose).toMatch(/iptables -t filter FORWARD/);
  });

  it('rejects unknown flows, categories and levels with exit 2', () => {
    expect(run(['run', '--flow', 'nope']).err).toMatch(/--flow: no traffic item nope \(have: same-node, across-nodes\)/);
    expect(run(['run', '--flow', 'nope']).code).toBe(2);
    expect(run(['run', '--show', 'bogus']).err).toMatch(/--show: unknown category bogus/);
    expect(run(['run', '--detail', 'max']).code).toBe(2);
    expect(run(['run', '--show', 'arp', '--hide', 'arp']).err).toMatch(/both name arp/);
  });

  it('piped output is plain and the same whatever the terminal would have been', () => {
    const plain = run(['run']).out;
    expect(plain).not.toContain('\x1b[');
    expect(run(['run'], PLAIN).out).toBe(plain);
    expect(run(['run'], { colour: true }).out).toContain('\x1b[32mdelivered\x1b[39m');
  });

  it('--detail full fits the table into the terminal too', () => {
    const out = run(['run', '--detail', 'full', '--flow', 'same-node'], { width: 100, colour: false }).out;
    for (const l of out.split('\n')) expect(visibleWidth(l), l).toBeLessThanOrEqual(100);
  });
});

describe('the answer line', () => {
  it('lists a short exchange and counts a long one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-bulk-'));
    const file = join(dir, 'bulk.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: podwalk/v1alpha1',
        'kind: Scenario',
        'metadata: {name: bulk}',
        'cluster: {network: host-gw, nodes: [{name: node1}]}',
        'resources:',
        '  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}',
        '  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node1, containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}}',
        'traffic:',
        '  - {name: bulk, from: pod/a, to: pod/b, port: 80, payload: 20000}',
        '',
      ].join('\n'),
    );
    const out = run(['run', file]).out;
    expect(out).toMatch(/then: \d+ more packets \(\d+ →, \d+ ←\): all delivered/);
    expect(run(['run']).out).toMatch(/then: → \[\.\], → \[P\.\] len 64, ← \[\.\]: all delivered/);
  });
});

describe('terminal', () => {
  it('colour on a TTY unless NO_COLOR; FORCE_COLOR forces it either way; width only on a TTY', () => {
    expect(detectTerminal({ isTTY: true, columns: 80 }, {})).toEqual({ width: 80, colour: true });
    expect(detectTerminal({ isTTY: true, columns: 80 }, { NO_COLOR: '1' })).toEqual({ width: 80, colour: false });
    expect(detectTerminal({ isTTY: false }, { FORCE_COLOR: '1' })).toEqual({ colour: true });
    expect(detectTerminal({ isTTY: true, columns: 120 }, { FORCE_COLOR: '0' })).toEqual({ width: 120, colour: false });
    expect(detectTerminal({}, {})).toEqual({ colour: false });
    // A dumb terminal has no colour (Node's hasColors() agrees), unless forced.
    expect(detectTerminal({ isTTY: true, columns: 80 }, { TERM: 'dumb' })).toEqual({ width: 80, colour: false });
    expect(detectTerminal({ isTTY: true, columns: 80 }, { TERM: 'dumb', FORCE_COLOR: '1' })).toEqual({ width: 80, colour: true });
  });

  it('counts columns as a terminal does: wide characters two, combining marks none', () => {
    expect(visibleWidth('日本語')).toBe(6);
    expect(visibleWidth('ｗｉｄｅ')).toBe(8);
    expect(visibleWidth('cafe\u0301')).toBe(4);
    expect(visibleWidth('a\u200bb')).toBe(2);
    expect(visibleWidth('10.244.1.2 → µs')).toBe(15);
    const t: Terminal = { width: 20, colour: false };
    const lines = fit(`流量 ${'名'.repeat(30)} 通过`, t, 2);
    for (const l of lines) expect(visibleWidth(l), l).toBeLessThanOrEqual(20);
    expect(lines.join('').replace(/ /g, '')).toBe(`流量${'名'.repeat(30)}通过`);
    // A mark stays with its letter when a word is cut.
    expect(fit('e\u0301'.repeat(25), t).map(visibleWidth)).toEqual([20, 5]);
  });

  it('fit wraps at spaces with a hanging indent, cuts words longer than the line, and ignores colour codes', () => {
    const t: Terminal = { width: 20, colour: false };
    expect(fit('aaaa bbbb cccc dddd eeee ffff', t, 2)).toEqual(['aaaa bbbb cccc dddd', '  eeee ffff']);
    expect(fit('x'.repeat(45), t, 0)).toEqual(['x'.repeat(20), 'x'.repeat(20), 'x'.repeat(5)]);
    const coloured = paint({ colour: true }, 'bad', 'dropped here');
    expect(fit(`${coloured} ok`, t)).toEqual([`${coloured} ok`]);
    expect(fit('a'.repeat(30), PLAIN)).toEqual(['a'.repeat(30)]);
  });

  it('keeps a number and its unit on one line', () => {
    const t: Terminal = { width: 20, colour: false };
    expect(fit('reply came after 411.2 µs', t, 2)).toEqual(['reply came after', '  411.2 µs']);
    expect(fit('encapsulated +50 B: 192.168.56.11', t, 2)).toEqual(['encapsulated +50 B:', '  192.168.56.11']);
    expect(fit('seen by 3 sockets here', t, 2)).toEqual(['seen by 3 sockets', '  here']);
  });

  it('breaks before an arrow, not after it', () => {
    const t: Terminal = { width: 20, colour: false };
    expect(fit('client 10.0.0.1 ⇒ web-1 10.0.0.9', t, 4)).toEqual(['client 10.0.0.1', '    ⇒ web-1 10.0.0.9']);
    expect(fit('sent → 10.244.1.3:5353;', t, 2)).toEqual(['sent', '  → 10.244.1.3:5353;']);
  });
});
