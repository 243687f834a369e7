import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPageData } from '../../src/cli/html/model.js';
import { cli } from '../../src/cli/main.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { visibleWidth } from '../../src/trace/view/terminal.js';

const race = join(import.meta.dirname, '..', '..', 'scenarios', 'gallery', 'snat-port-race.yaml');

function run(...args: string[]): string {
  let out = '';
  cli(['run', race, ...args], { out: (s) => (out += s), err: () => {} });
  return out;
}

describe('a first SYN dropped, its retransmission delivered', () => {
  it('headlines what happened in the end; the steps show the first copy dropped, one line the copy that got through', () => {
    const out = run('--flow', 'same-port-b1');
    const lines = out.split('\n');
    expect(lines[2]).toBe('same-port-b1: TCP, delivered after 1 retransmission (first SYN dropped: conntrack-insert-failed)');
    // Delivered to node3's namespace, named as every headline names a delivery there.
    expect(lines[3]).toBe('  b1 10.244.1.3:40000 → db 192.168.56.13:5432 ⇒ node/node3');
    expect(out).toMatch(/\n {2}4 {2}node1 {2}dropped: conntrack-insert-failed: /);
    // The copy that got through took another NAT port (the rover's), and the answer retraced its path.
    expect(out).toContain('     retransmitted 1.000 s later: delivered to node3:eth0 through 8 devices, MASQUERADE at node1 → 192.168.56.11:1024\n');
    expect(out).toContain('     reply: TCP [S.] from node3, back through the same 8 devices in reverse, un-NATed at node1 (destination 192.168.56.11:1024 → 10.244.1.3:40000), after 1.000 s\n');
    expect(out).toContain('     then: → [.], → [P.] len 64, ← [.]: all delivered\n');
    // A flow whose first SYN got through is headlined as before.
    expect(run('--flow', 'same-port-a1', '--quiet')).toContain('\nsame-port-a1: TCP, delivered, rtt ');
  });

  it('the JSON record says the same: the request dropped, the connection complete after 1 retransmission', () => {
    const records = run('--json').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const flow = (name: string) => records.find((r) => r['kind'] === 'flow' && r['flow'] === name);
    expect(flow('same-port-b1')).toMatchObject({ verdict: 'dropped', dropReason: 'conntrack-insert-failed', connection: 'complete', retransmits: 1 });
    expect(flow('same-port-a1')).toMatchObject({ verdict: 'delivered', connection: 'complete', retransmits: 0 });
  });

  it('fits an 80-column terminal', () => {
    let out = '';
    cli(['run', race, '--flow', 'same-port-b1'], { out: (s) => (out += s), err: () => {}, term: { width: 80, colour: true } });
    expect(out).toContain('delivered after 1 retransmission');
    for (const l of out.split('\n')) expect(visibleWidth(l), l).toBeLessThanOrEqual(80);
  });
});

describe("a SYN lost on a lossy uplink, to a node's address", () => {
  // A hostNetwork pod on node2 listens on node2's address; node1's uplink loses every frame from 100 ms to 500 ms, so
  // the SYN sent at 200 ms is lost and its retransmission (1 s later: TCP's initial RTO) gets through.
  const file = join(mkdtempSync(join(tmpdir(), 'podwalk-retx-')), 'lossy.yaml');
  writeFileSync(
    file,
    `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: lossy-to-node}
cluster: {network: host-gw, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: db}, spec: {nodeName: node2, hostNetwork: true, containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]}}
steps:
  - {at: 100ms, link: {machine: node1, loss: 100%}}
  - {at: 500ms, link: {machine: node1, loss: 0%}}
traffic:
  - {name: warm-up, from: pod/client, to: pod/db, port: 5432}
  - {name: lossy, from: pod/client, to: pod/db, port: 5432, at: 200ms, expect: {verdict: dropped, dropReason: link-fault, connection: complete, retransmits: 1}}
`,
  );

  it('headlines where the retransmission was delivered as every other headline names it (node/node2, not the namespace node2)', () => {
    let out = '';
    expect(cli(['run', file, '--quiet'], { out: (s) => (out += s), err: () => {} })).toBe(0);
    expect(out).toContain('\nwarm-up: TCP, delivered, rtt 406.6 µs\n  client 10.244.1.2:37346 → db 192.168.56.12:5432 ⇒ node/node2\n');
    expect(out).toContain('\nlossy: TCP, delivered after 1 retransmission (first SYN dropped: link-fault)\n  client 10.244.1.2:37347 → db 192.168.56.12:5432 ⇒ node/node2\n');
  });

  it('and so does the HTML page', () => {
    const loaded = loadScenarioFile(file);
    if (!loaded.ok) throw new Error('fixture');
    const page = buildPageData(simulate(loaded.scenario, { keepTrace: true }));
    expect(page.flows.find((f) => f.name === 'lossy')?.headline[1]).toBe('  client 10.244.1.2:37347 → db 192.168.56.12:5432 ⇒ node/node2');
  });
});
