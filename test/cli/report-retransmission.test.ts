import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
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
    expect(lines[3]).toBe('  b1 10.244.1.3:40000 → db 192.168.56.13:5432 ⇒ node3');
    expect(out).toMatch(/\n {2}4 {2}node1 {2}dropped: conntrack-insert-failed: /);
    // The copy that got through took another NAT port (the rover's), and the answer retraced its path.
    expect(out).toContain('     retransmitted 1000.000 ms later: delivered to node3:eth0 through 8 devices, MASQUERADE at node1 → 192.168.56.11:1024\n');
    expect(out).toContain('     reply: TCP [S.] from node3, back through the same 8 devices in reverse, un-NATed at node1 (destination 192.168.56.11:1024 → 10.244.1.3:40000), after 1000.203 ms\n');
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
