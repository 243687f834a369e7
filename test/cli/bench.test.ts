import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it("a file's underlay MTU too small for the sweep is an input error at the file's value (exit 2, not 3)", () => {
    // Valid for host-gw (MTU 68 and up), but flannel-vxlan's pods would get 50 bytes: refused as --mtu 100 is.
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-bench-'));
    try {
      const file = join(dir, 'small-mtu.yaml');
      writeFileSync(file, 'apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: small-mtu}\ncluster:\n  network: host-gw\n  underlay: {mtu: 100}\n  nodes: [{name: node1}, {name: node2}]\n');
      expect(run(['validate', file]).code).toBe(0);
      const r = run(['bench', 'encap', file]);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`${file}:6:19: cluster.underlay.mtu: bench encap needs an underlay MTU from 576 to 65535 (as --mtu), found 100; --mtu N overrides the file's\n`);
      // The flag replaces the file's MTU: then the file's is not in the way.
      expect(run(['bench', 'encap', file, '--mtu', '1500', '--json']).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
