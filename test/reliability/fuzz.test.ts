/**
 * Seeded fuzzing of the loader and the CLI entry, in process: mutated
 * scenario files must end in exit 0, 1 or 2 (never an exception, which the
 * shim turns into exit 3), every exit-2 problem line must carry a position,
 * and nothing printed may hold a control character. The seed makes a failure
 * reproducible: the failing input is in the assertion message.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { hasControl } from '../../src/trace/safe-text.js';

// PODWALK_FUZZ_SEED explores other inputs (a failure names the input, so it reproduces without the seed too).
const SEED = Number(process.env.PODWALK_FUZZ_SEED ?? 20261205);
const VALIDATE_INPUTS = 150;
const RUN_INPUTS = 12;
/** Generous: only a hang (the bugs this guards against took 20 s to minutes) trips it, not a loaded machine. */
const PER_INPUT_MS = 15_000;

const root = join(import.meta.dirname, '..', '..', 'scenarios');
const CORPUS = ['classic-walk.yaml', 'service-clusterip.yaml', 'netpol-allow-frontend.yaml', 'cross-node-host-gw.yaml', 'dns-lookup.yaml'].map((f) => readFileSync(join(root, f), 'utf8'));

/** Values that broke podwalk once, or could: huge and odd numbers, escapes, YAML structure, path tricks. */
const NASTY = [
  '9'.repeat(400), `${'9'.repeat(400)}s`, '1e400', '-1', '0x10', '1.5', '.nan', '.inf', '4294967296', '""', "''", '~', 'null',
  '"\\e[2J\\e[31mred"', '"a\\nb"', '"\\u0007"', '../escaped', 'sub/dir', '/dev/zero', '&a x', '*a', '*nope', '<<: *a', '{', '}', '[', ']',
  '- ', ': ', '? ', '|', '>-', '!!binary AAAA', '!!js/function x', '%YAML 1.1', '---', '...', 'x'.repeat(5000), '\u202e', '😀',
  '65507', '100000', '0', '1ms', '999999s', '0bit',
];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: string, r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  let lines = text.split('\n');
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(r() * lines.length);
    const line = lines[i] ?? '';
    switch (Math.floor(r() * 8)) {
      case 0: // a value replaced
        lines[i] = line.includes(': ') ? `${line.slice(0, line.indexOf(': ') + 2)}${pick(NASTY)}` : `${line}${pick(NASTY)}`;
        break;
      case 1: // a token replaced anywhere in the line
        lines[i] = line.replace(/[A-Za-z0-9./-]+/, pick(NASTY));
        break;
      case 2:
        lines.splice(i, 1);
        break;
      case 3:
        lines.splice(i, 0, line);
        break;
      case 4: // indentation
        lines[i] = r() < 0.5 ? `  ${line}` : line.replace(/^ {1,2}/, '');
        break;
      case 5: // truncated file
        lines = lines.slice(0, i);
        break;
      case 6: // a random character, raw control characters included
        lines[i] = `${line.slice(0, Math.floor(r() * line.length))}${String.fromCharCode(Math.floor(r() * 0x250))}${line.slice(Math.floor(r() * line.length))}`;
        break;
      default: // an anchor on one mapping, reused elsewhere
        lines[i] = line.replace(/: \{/, ': &a {');
        lines.splice(Math.floor(r() * lines.length), 0, `  <<: *a`);
    }
  }
  return lines.join('\n');
}

function runCli(args: string[]): { code: number; out: string; err: string; ms: number } {
  let out = '';
  let err = '';
  const t0 = performance.now();
  const code = cli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err, ms: performance.now() - t0 };
}

function checkOutcome(what: string, input: string, r: ReturnType<typeof runCli>): void {
  const context = `${what} of ${JSON.stringify(input)}`;
  expect([0, 1, 2], context).toContain(r.code);
  expect(hasControl(r.out.replace(/\n/g, '')), `${context}: control character on stdout`).toBe(false);
  expect(hasControl(r.err.replace(/\n/g, '')), `${context}: control character on stderr`).toBe(false);
  if (r.code === 2) {
    for (const line of r.err.split('\n').filter((l) => l && !l.startsWith('warning: '))) expect(line, `${context}: exit-2 line without a position`).toMatch(/^[^\n]*:\d+:\d+: \S/);
  }
  expect(r.ms, `${context}: took ${Math.round(r.ms)} ms`).toBeLessThan(PER_INPUT_MS);
}

describe('fuzz: mutated scenario files through the loader and the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podwalk-fuzz-'));
  const r = rng(SEED);
  const inputs = Array.from({ length: VALIDATE_INPUTS }, () => mutate(CORPUS[Math.floor(r() * CORPUS.length)]!, r));

  it(`validate: ${VALIDATE_INPUTS} inputs end in exit 0 or 2, positioned and printable`, () => {
    inputs.forEach((text, i) => {
      const file = join(dir, `v${i}.yaml`);
      writeFileSync(file, text);
      const res = runCli(['validate', file]);
      expect([0, 2], JSON.stringify(text)).toContain(res.code);
      checkOutcome('validate', text, res);
    });
  });

  it(`run: ${RUN_INPUTS} valid mutants run to exit 0, 1 or 2`, () => {
    // Only small runs: a valid mutant may ask for 100,000 packets, which is allowed and slow, not a bug.
    const small = inputs.filter((text) => {
      const l = loadScenarioText(text, join(dir, 'x.yaml'));
      return l.ok && l.scenario.traffic.reduce((n, t) => n + t.count, 0) <= 20;
    });
    for (const [i, text] of small.slice(0, RUN_INPUTS).entries()) {
      const file = join(dir, `r${i}.yaml`);
      writeFileSync(file, text);
      checkOutcome('run', text, runCli(['run', file]));
      checkOutcome('run --json', text, runCli(['run', file, '--json']));
    }
  });
});
