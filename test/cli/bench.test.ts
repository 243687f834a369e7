import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = cli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('podwalk bench encap', () => {
  it('prints the sweep as JSON for the MTUs asked', () => {
    const r = run(['bench', 'encap', '--mtu', '1500', '--json']);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.out) as { topology: { mtu: number }; tcp: { backend: string; segmentData: number }[] }[];
    expect(results.map((x) => x.topology.mtu)).toEqual([1500]);
    expect(results[0]!.tcp.map((t) => [t.backend, t.segmentData])).toEqual([
      ['host-gw', 1448],
      ['flannel-vxlan', 1398],
      ['flannel-udp', 1420],
    ]);
  });

  it('takes the underlay from a scenario file and prints tables', () => {
    const r = run(['bench', 'encap', 'scenarios/mtu-mismatch.yaml']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('UDP datagrams, pod -> pod across nodes');
    expect(r.out).toContain('TCP bulk transfer');
  });

  it('a bad --mtu is an input error (exit 2)', () => {
    const r = run(['bench', 'encap', '--mtu', 'big']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--mtu');
  });
});
