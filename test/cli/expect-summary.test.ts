import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectationSummary, flowList, MAX_GROUPS_PER_ITEM } from '../../src/cli/expect-summary.js';
import { cli } from '../../src/cli/main.js';
import type { Mismatch } from '../../src/scenario/run/expect.js';
import { PLAIN } from '../../src/trace/view/terminal.js';

const root = join(import.meta.dirname, '..', '..');

/** cross-node-vxlan's cluster with these traffic items instead of its own. */
function scenario(traffic: string): string {
  const base = readFileSync(join(root, 'scenarios', 'cross-node-vxlan.yaml'), 'utf8');
  const file = join(mkdtempSync(join(tmpdir(), 'podwalk-expect-')), 'many.yaml');
  writeFileSync(file, `${base.slice(0, base.indexOf('traffic:'))}traffic:\n${traffic}`);
  return file;
}

function run(file: string, ...args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = cli(['run', file, '--quiet', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const summary = (out: string): string[] => out.slice(out.indexOf('\nexpectations: ') + 1).trimEnd().split('\n');

const many = `
  - name: many
    from: pod/pod1
    to: pod/pod4
    protocol: UDP
    port: 8080
    count: 200
    interval: 10us
    expect: {seenSource: 1.2.3.4, hops: 2}
  - name: one
    from: pod/pod1
    to: pod/pod4
    protocol: UDP
    port: 8080
    at: 20ms
    expect: {verdict: dropped}
  - name: fine
    from: pod/pod1
    to: pod/pod4
    protocol: UDP
    port: 8080
    at: 21ms
    expect: {verdict: delivered}
`;

describe('the expectation summary', () => {
  it('folds the mismatches of a count: 200 item that read alike into one block each', () => {
    const { code, out } = run(scenario(many));
    expect(code).toBe(1);
    const lines = summary(out);
    expect(lines[0]).toBe('expectations: 401 not met, in 201 of 202 flow(s) checked');
    expect(lines).toContain('  many#1–#200 (200 flows): seenSource');
    expect(lines).toContain('  many#1–#200 (200 flows): hops');
    expect(lines).toContain('  one: verdict');
    expect(lines.length).toBe(1 + 3 * 3); // not 1,204 lines
  });

  it('--flow checks only the flows it selects, and says how many others it did not', () => {
    const file = scenario(many);
    const fine = run(file, '--flow', 'fine');
    expect(fine.code).toBe(0); // many and one are not met, but not selected
    expect(summary(fine.out)).toEqual(['expectations: 1 flow(s) checked, all met (--flow: 201 other flow(s) with expectations not checked)']);
    const k = run(file, '--flow', 'many#3');
    expect(k.code).toBe(1);
    expect(summary(k.out)[0]).toBe('expectations: 2 not met, in 1 of 1 flow(s) checked (--flow: 201 other flow(s) with expectations not checked)');
    expect(summary(k.out)).toContain('  many#3: seenSource');
    // --json: the same flows decide, the others counted on stderr.
    const json = run(file, '--flow', 'fine', '--json');
    expect(json.code).toBe(0);
    expect(json.err).toContain('expectations: --flow: 201 other flow(s) with expectations not checked');
  });

  it('mismatches that each read differently are listed up to a bound, then counted', () => {
    const mismatches: Mismatch[] = Array.from({ length: 30 }, (_, i) => ({ flow: `slow#${i + 1}`, field: 'rtt', expected: 'at most 1 µs', actual: `${i + 2} µs` }));
    const lines = expectationSummary(mismatches, { checked: 30, skipped: 0 }, (f) => f.replace(/#\d+$/, ''), PLAIN);
    expect(lines.filter((l) => l.startsWith('  slow#'))).toHaveLength(MAX_GROUPS_PER_ITEM);
    expect(lines.at(-1)).toBe(`  … and ${30 - MAX_GROUPS_PER_ITEM} more of slow, in ${30 - MAX_GROUPS_PER_ITEM} flow(s), each reading differently (--flow slow#<k> shows one flow; --json lists every mismatch)`);
  });

  it('names flows as runs of numbers', () => {
    expect(flowList('svc', ['svc#1', 'svc#2', 'svc#3', 'svc#5', 'svc#7', 'svc#8', 'svc#10'])).toBe('svc#1–#3, #5, #7–#8, #10 (7 flows)');
    expect(flowList('svc', ['svc#1', 'svc#3', 'svc#5', 'svc#7', 'svc#9', 'svc#11', 'svc#13'])).toBe('svc#1, #3, #5, #7, #9, #11, … (7 flows)');
    expect(flowList('svc', ['svc#4'])).toBe('svc#4');
  });
});
