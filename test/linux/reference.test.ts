import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Runs the same topology on real Linux namespaces and checks the facts podwalk's
 * walk tests assert (test/scenarios/walks.test.ts) against what tcpdump saw.
 * Opt-in (root, iproute2, tcpdump): PODWALK_LINUX=1 npm test.
 */
describe.skipIf(process.env.PODWALK_LINUX !== '1')('reference walk on real Linux namespaces', () => {
  it('matches the modelled ARP counts, frame lengths and TTLs', () => {
    const out = execFileSync('bash', [join(import.meta.dirname, 'reference-walk.sh')], { encoding: 'utf8', timeout: 60_000 });
    const section = (name: string): string => out.split(`== ${name}\n`)[1]!.split('\n== ')[0]!;
    // Same node: one ARP request, seen twice by the sender (hairpin brings it back).
    expect(section('pod1-eth0').match(/Request who-has 10\.244\.1\.3/g)).toHaveLength(2);
    expect(section('pod2-eth0')).toMatch(/length 142: \(tos 0x0, ttl 64,/);
    // Cross node: node -> node ARP on the underlay, pod ARP on node2, TTL 62 on arrival.
    expect(section('node1-eth0').match(/Request who-has 192\.168\.56\.12/g)).toHaveLength(1);
    expect(section('pod4-eth0')).toMatch(/Request who-has 10\.244\.2\.2 tell 10\.244\.2\.1/);
    expect(section('pod4-eth0')).toMatch(/length 142: \(tos 0x0, ttl 62,/);
    for (const m of out.matchAll(/ARP \(0x0806\), length (\d+)/g)) expect(m[1]).toBe('42');
  });
});
