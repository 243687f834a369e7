import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

/** What an 80-column terminal receives from a command. */
function at80(argv: string[]): string[] {
  let out = '';
  const code = cli(argv, { out: (s) => (out += s), err: () => {}, term: { width: 80, colour: false } });
  expect(code).toBeLessThan(2);
  return out.split('\n');
}

const scenario = (f: string): string => join(process.cwd(), 'scenarios', f);
const tooWide = (lines: string[]): string[] => lines.filter((l) => [...l].length > 80);

describe('every command fits an 80-column terminal, as run does', () => {
  it('compare: the cost goes under the outcome when the line is too long', () => {
    const lines = at80(['compare', scenario('netpol-service-denied.yaml')]);
    expect(tooWide(lines)).toEqual([]);
    expect(lines.some((l) => /^ {4,}\d+ hops, /.test(l))).toBe(true);
  });

  it('matrix: notes and differences wrap with an indent', () => {
    expect(tooWide(at80(['matrix', scenario('netpol-named-ports.yaml')]))).toEqual([]);
  });

  it('bench encap: a wide table is split into tables that repeat the row keys', () => {
    const lines = at80(['bench', 'encap', '--mtu', '1500']);
    expect(tooWide(lines)).toEqual([]);
    // Every column is still there, and each part starts with the backend.
    for (const head of ['UDP payload B', 'overhead %', 'kpps wire/cpu', 'goodput Gbit/s wire/cpu', 'efficiency', 'cpu vs host-gw']) expect(lines.some((l) => l.includes(head))).toBe(true);
    expect(lines.filter((l) => /^│ backend /.test(l)).length).toBeGreaterThan(2);
  });
});
