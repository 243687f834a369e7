/**
 * Seeded fuzzing of every scenario and fixture, in process: each file is
 * mutated (test/fuzz/mutate.ts) and the mutants go through the CLI as a user
 * would give them: `validate` for all, then `run` (report, --json),
 * `show`, `matrix` and `compare` for the valid ones small enough to run
 * quickly. Every outcome must keep the contract of outcome.ts. A failure
 * names the seed, the file, the mutations and the outcome; the mutant is
 * kept in the temporary directory named there.
 *
 * PODWALK_FUZZ_SEED explores other inputs; PODWALK_FUZZ_SCALE multiplies the
 * number of mutants (a hunt: PODWALK_FUZZ_SCALE=20 npx vitest run test/fuzz).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { makeCorpus } from './corpus.js';
import { mutate, pick, rng } from './mutate.js';
import { runCli, violations, type Outcome } from './outcome.js';

const SEED = Number(process.env.PODWALK_FUZZ_SEED ?? 20261205);
const SCALE = Number(process.env.PODWALK_FUZZ_SCALE ?? 1);
/** Generous: the suite shares 2 cores with other runs; a hang is what this guards against. */
const TIMEOUT = 60_000 * Math.max(1, SCALE);
/** One small run taking more CPU than this is reported (CPU, not wall time: the machine may be loaded); the bugs it guards against took minutes. */
const SLOW_MS = 20_000;
/** Mutants validated per corpus file. */
const PER_FILE = Math.round(3 * SCALE);
/** Valid mutants run through run/show/matrix/compare, in all. */
const RUNS = Math.round(16 * SCALE);
/** A mutant runs only if it sends at most this many packets and has at most this many pods (a big valid run is slow, not a bug). */
const SMALL = { packets: 12, pods: 40, steps: 6 };

/** A stable number per file name: adding a file to the corpus does not change the other files' mutants. */
function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

describe('fuzz: mutants of every scenario and fixture', () => {
  const corpus = makeCorpus();
  let failures: string[] = [];
  const seen = new Set<string>();
  const valid: { file: string; text: string; what: string[] }[] = [];
  // The mutants stay (in the directory a failure names) only when something failed.
  afterAll(() => {
    if (seen.size === 0) rmSync(corpus.root, { recursive: true, force: true });
  });
  const record = (cmd: string[], file: string, what: string[], text: string, o: Outcome, extra: string[] = []): void => {
    const bad = [...violations(o, text), ...extra];
    // One report per kind of failure (numbers and paths aside): a hunt finds many mutants of one bug.
    const kind = bad.map((b) => b.replace(/\/[^\s:"]+/g, 'F').replace(/\d+/g, 'N')).join('; ');
    if (bad.length > 0 && !seen.has(kind) && seen.add(kind)) failures.push(`${bad.join('; ')}\n  podwalk ${cmd.join(' ')}  (seed ${SEED}; ${what.join(', ')})\n  ${o.err.split('\n').slice(0, 6).join('\n  ')}`);
  };

  it(`validate: ${PER_FILE} mutants of each file end in exit 0 or 2, positioned and printable`, () => {
    for (const base of corpus.files) {
      const r = rng(SEED ^ hash(base));
      const original = corpus.text(base);
      for (let k = 0; k < PER_FILE; k++) {
        const m = mutate(r, original, corpus.text(pick(r, corpus.files)));
        const file = join(corpus.root, base.replace(/(\.\w+)$/, `.fz${k}$1`));
        writeFileSync(file, m.text);
        const o = runCli(['validate', file]);
        record(['validate', file], base, m.what, m.text, o);
        if (o.code === 0) valid.push({ file, text: m.text, what: m.what });
      }
    }
    expect(failures.slice(0, 40).join('\n\n')).toBe('');
    // The mutations must reach the checks, not only the YAML reader: some mutants stay valid.
    expect(valid.length).toBeGreaterThan((corpus.files.length * PER_FILE) / 40);
  }, TIMEOUT);

  it(`run, show, matrix, compare: up to ${RUNS} small valid mutants end in exit 0, 1 or 2`, () => {
    failures = [];
    const r = rng(SEED);
    const small = valid.filter(({ file, text }) => {
      const l = loadScenarioText(text, file);
      return l.ok && l.scenario.traffic.reduce((n, t) => n + t.count, 0) <= SMALL.packets && l.scenario.pods.length <= SMALL.pods && l.scenario.steps.length <= SMALL.steps;
    });
    for (const { file, text, what } of small.slice(0, RUNS)) {
      const cmd = pick(r, [
        ['run', file, '--quiet'],
        ['run', file, '--json'],
        ['run', file, '--detail', 'full', '--no-collapse'],
        ['show', file, pick(r, ['routes', 'iptables', 'nft', 'conntrack', 'ipvs', 'neigh', 'ipset']), '--node', 'node1'],
        ['matrix', file, '--via', pick(r, ['pod', 'service'])],
        ['compare', file],
      ]);
      const t0 = process.cpuUsage();
      const o = runCli(cmd);
      const used = process.cpuUsage(t0);
      const ms = (used.user + used.system) / 1000;
      // A hang guard, not a speed test: these inputs are small, so only a runaway takes this long.
      record(cmd, file, what, text, o, ms > SLOW_MS ? [`took ${Math.round(ms / 1000)} s of CPU (more than ${SLOW_MS / 1000} s: a runaway?)`] : []);
    }
    expect(failures.slice(0, 40).join('\n\n')).toBe('');
  }, TIMEOUT);
});
