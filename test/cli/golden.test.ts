import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { renderGolden } from '../../src/scenario/report/golden.js';
import { diffLines, unifiedDiff } from '../../src/scenario/report/line-diff.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const root = join(import.meta.dirname, '..', '..');
const scenario = (name: string): string => join(root, 'scenarios', name);

function runCli(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = cli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function golden(file: string, seed?: number): string {
  const r = loadScenarioFile(scenario(file), seed === undefined ? {} : { seed });
  if (!r.ok) throw new Error('bad scenario');
  return renderGolden(simulate(r.scenario));
}

describe('golden traces', () => {
  it('round-trip: --update writes, the next run matches (exit 0), a missing file fails (exit 1)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-golden-'));
    expect(runCli(['run', scenario('cross-node-vxlan.yaml'), '--quiet', '--golden', dir]).code).toBe(1);
    const w = runCli(['run', scenario('cross-node-vxlan.yaml'), '--quiet', '--golden', dir, '--update']);
    expect(w.code).toBe(0);
    expect(w.out).toContain(`golden: wrote ${join(dir, 'cross-node-vxlan.trace')}`);
    const r = runCli(['run', scenario('cross-node-vxlan.yaml'), '--quiet', '--golden', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('matches');
    expect(runCli(['run', scenario('cross-node-vxlan.yaml'), '--quiet', '--update']).code).toBe(2);
  });

  it('a one-hop change is a one-line diff, with the flow named in the hunk header', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-golden-'));
    runCli(['run', scenario('cross-node-vxlan.yaml'), '--quiet', '--golden', dir, '--update']);
    const file = join(dir, 'cross-node-vxlan.trace');
    const lines = readFileSync(file, 'utf8').split('\n');
    // Pretend the stored walk went through cni0 where the model now says cbr0, in one hop of the TCP flow.
    const tcp = lines.indexOf(lines.find((l) => l.startsWith('== pod-to-pod-tcp'))!);
    const hop = lines.findIndex((l, i) => i > tcp && / node1:cbr0 fdb forward /.test(l));
    const old = lines[hop]!.replace(' node1:cbr0 ', ' node1:cni0 ');
    lines[hop] = old;
    writeFileSync(file, lines.join('\n'));
    const r = runCli(['run', scenario('cross-node-vxlan.yaml'), '--quiet', '--golden', dir]);
    expect(r.code).toBe(1);
    const diff = r.out.slice(r.out.indexOf('--- '));
    const changed = diff.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));
    expect(changed).toEqual([`-${old}`, `+${old.replace(' node1:cni0 ', ' node1:cbr0 ')}`]);
    expect(diff).toMatch(/^@@ -\d+,7 \+\d+,7 @@ == pod-to-pod-tcp: delivered to pod\/default\/pod4$/m);
    expect(r.out).toContain('golden: trace differs from');
  });

  it('is byte-stable: no wall-clock data, same text on every run, seed-sensitive', () => {
    const a = golden('service-clusterip.yaml');
    expect(golden('service-clusterip.yaml')).toBe(a);
    expect(a).not.toMatch(/│/); // no padded table columns: one hop, one line
    expect(a.split('\n')[0]).toBe('# podwalk golden trace (format 1): scenario service-clusterip, network flannel-vxlan, seed 1');
    expect(golden('service-clusterip.yaml', 7)).not.toBe(a);
  });

  it('numbers packets per flow, so a flow gaining a packet does not renumber the others', () => {
    const text = golden('cross-node-vxlan.yaml');
    const sections = text.split('\n== ').slice(1);
    for (const s of sections) expect(s.split('\n')[1]).toMatch(/^\d+\.\d{3} #1 /);
    expect(text).toMatch(/new arp packet \(because of #1\)/);
  });
});

describe('line diff', () => {
  it('finds the shortest edit script', () => {
    const ops = (a: string, b: string): string =>
      diffLines(a.split(''), b.split(''))
        .map((e) => `${e.op === ' ' ? '=' : e.op}${e.line}`)
        .join(' ');
    expect(ops('abc', 'abc')).toBe('=a =b =c');
    expect(ops('abcabba', 'cbabac').split(' ').filter((x) => x[0] !== '=').length).toBe(5); // Myers' example: D = 5
    expect(ops('ab', 'axb')).toBe('=a +x =b');
    expect(ops('axb', 'ab')).toBe('=a -x =b');
    expect(ops('', 'ab')).toBe('+a +b');
  });

  it('prints unified hunks with context and line numbers', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const b = [...a];
    b[9] = 'line ten';
    b.splice(18, 0, 'inserted');
    const d = unifiedDiff(a, b, { a: 'old', b: 'new' }, { context: 2 });
    expect(d).toBe(['--- old', '+++ new', '@@ -8,5 +8,5 @@', ' line 8', ' line 9', '-line 10', '+line ten', ' line 11', ' line 12', '@@ -17,4 +17,5 @@', ' line 17', ' line 18', '+inserted', ' line 19', ' line 20', ''].join('\n'));
    expect(unifiedDiff(a, a, { a: 'x', b: 'y' })).toBe('');
  });
});
