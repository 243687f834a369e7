import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineSpool } from '../../src/cli/line-spool.js';

// A private $TMPDIR (os.tmpdir() reads it at each call): other runs sharing /tmp cannot change the count.
const ownTmp = mkdtempSync(join(tmpdir(), 'podwalk-spool-test-'));
const savedTmp = process.env.TMPDIR;
beforeAll(() => {
  process.env.TMPDIR = ownTmp;
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(ownTmp, { recursive: true, force: true });
});

const spools = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith('podwalk-records-'));

describe('the --json flow records wait in a spool', () => {
  it('gives every line back in order, in bounded chunks, past the in-memory part through a temporary file it then removes', () => {
    expect(tmpdir()).toBe(ownTmp);
    const before = spools().length;
    const s = new LineSpool();
    const lines = Array.from({ length: 6000 }, (_, i) => JSON.stringify({ kind: 'flow', flow: `many#${i + 1}`, detail: `→ ${'x'.repeat(i % 1500)}` }));
    for (const l of lines) s.push(l);
    expect(spools().length).toBe(before + 1);
    const chunks: string[] = [];
    s.drain((c) => chunks.push(c));
    expect(chunks.join('')).toBe(`${lines.join('\n')}\n`);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(80 * 1024);
    expect(spools().length).toBe(before);
  });

  it('a few lines stay in memory; discard forgets them', () => {
    const s = new LineSpool();
    s.push('{"a":1}');
    s.push('{"b":2}');
    const out: string[] = [];
    s.drain((c) => out.push(c));
    expect(out).toEqual(['{"a":1}\n{"b":2}\n']);
    const d = new LineSpool();
    d.push('x');
    d.discard();
    const none: string[] = [];
    d.drain((c) => none.push(c));
    expect(none).toEqual([]);
  });
});
