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
    expect(a.split('\n')[1]).toBe('# proxy-mode: iptables');
    expect(golden('service-clusterip.yaml', 7)).not.toBe(a);
  });

  it('numbers packets per flow, so a flow gaining a packet does not renumber the others', () => {
    const text = golden('cross-node-vxlan.yaml');
    const sections = text.split('\n== ').slice(1);
    for (const s of sections) expect(s.split('\n')[1]).toMatch(/^\d+\.\d{3} #1 /);
    expect(text).toMatch(/new arp packet \(because of #1\)/);
  });
});

describe('golden traces record the kube-proxy mode', () => {
  const updated = (dir: string, ...extra: string[]): string => runCli(['run', scenario('service-clusterip.yaml'), '--quiet', '--golden', dir, '--update', ...extra]).out;

  it('a golden of another mode: the first line says which each used, then the diff', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-golden-'));
    updated(dir);
    const r = runCli(['run', scenario('service-clusterip.yaml'), '--quiet', '--golden', dir, '--proxy-mode', 'ipvs']);
    expect(r.code).toBe(1);
    const report = r.out.slice(r.out.indexOf('golden: '));
    expect(report.split('\n')[0]).toBe('golden: recorded with proxy mode iptables, this run uses ipvs: the modes\' rules and NAT differ, so the trace does (compare in iptables mode with --proxy-mode iptables, or keep a golden directory per mode)');
    expect(report).toMatch(/^-# proxy-mode: iptables\n\+# proxy-mode: ipvs$/m);
    // The same mode: no word about modes.
    const same = runCli(['run', scenario('service-clusterip.yaml'), '--quiet', '--golden', dir, '--seed', '7']);
    expect(same.code).toBe(1);
    expect(same.out).not.toContain('proxy mode');
    // --update says what it changed, the mode too.
    expect(updated(dir, '--proxy-mode', 'nftables')).toMatch(/^golden: wrote \S+ \(-\d+ \+\d+ lines; it held proxy mode iptables, now nftables\)$/m);
    expect(updated(dir, '--proxy-mode', 'nftables')).toMatch(/^golden: unchanged /m);
  });

  it('a golden written before the mode line still compares, and --update adds the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-golden-'));
    updated(dir);
    const file = join(dir, 'service-clusterip.trace');
    const text = readFileSync(file, 'utf8');
    const old = text.replace('# proxy-mode: iptables\n', '');
    expect(old).not.toBe(text);
    writeFileSync(file, old);
    const r = runCli(['run', scenario('service-clusterip.yaml'), '--quiet', '--golden', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('matches (it was written before goldens named the proxy mode: --update adds "# proxy-mode: iptables")');
    // In another mode it cannot say which mode the golden holds, but says which this run uses; the diff has no header noise.
    const ipvs = runCli(['run', scenario('service-clusterip.yaml'), '--quiet', '--golden', dir, '--proxy-mode', 'ipvs']);
    expect(ipvs.code).toBe(1);
    expect(ipvs.out).toContain(`golden: ${file} does not say which proxy mode it was recorded with (written before goldens named it); this run uses ipvs`);
    expect(ipvs.out).not.toMatch(/^\+# proxy-mode/m);
    // A change in an old golden is still a diff.
    writeFileSync(file, old.replace(/ node1:cbr0 /, ' node1:cni0 '));
    expect(runCli(['run', scenario('service-clusterip.yaml'), '--quiet', '--golden', dir]).code).toBe(1);
    writeFileSync(file, old);
    expect(updated(dir)).toMatch(/^golden: wrote \S+ \(-0 \+1 lines\)$/m);
    expect(readFileSync(file, 'utf8')).toBe(text);
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
