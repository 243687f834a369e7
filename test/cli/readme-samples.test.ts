import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

/** What `podwalk ARGS` prints on an 80-column terminal without colour, as the README shows it. */
function at80(argv: string[]): string {
  let out = '';
  cli(argv, { out: (s) => (out += s), err: () => {}, term: { width: 80, colour: false } });
  return out;
}

const readme = readFileSync('README.md', 'utf8');

describe('the README shows what podwalk prints', () => {
  it('"What npm start shows" is the built-in walk at 80 columns, byte for byte', () => {
    const section = readme.slice(readme.indexOf('### What `npm start` shows'));
    const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBeDefined();
    expect(at80(['run'])).toBe(block);
  });

  it('the line counts it gives for a long run with and without folding are current', () => {
    const m = /`scenarios\/ipvs-graceful-termination\.yaml`: ([\d,]+) lines at 80 columns\s+with every walk, ([\d,]+) folded/.exec(readme);
    expect(m).not.toBeNull();
    const lines = (s: string): number => s.split('\n').length - 1;
    const every = lines(at80(['run', 'scenarios/ipvs-graceful-termination.yaml', '--no-collapse']));
    const folded = lines(at80(['run', 'scenarios/ipvs-graceful-termination.yaml']));
    expect([every.toLocaleString('en'), folded.toLocaleString('en')]).toEqual([m![1], m![2]]);
  });
});
