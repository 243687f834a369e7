/**
 * The fuzz corpus: every scenario in scenarios/ and every scenario fixture
 * of the tests, copied with the files they include into a fresh temporary
 * directory, so that mutants written next to their original still find
 * their includes, and nothing a run writes can land in the repository.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const repo = join(import.meta.dirname, '..', '..');
/** Trees copied whole (scenarios and the files they include). */
const TREES = ['scenarios', 'test/scenario/fixtures', 'test/fast-path'];

export interface Corpus {
  /** The temporary copy of the trees; every mutant is written inside it. */
  root: string;
  /** Scenario and manifest files, relative to root, sorted (the order seeds depend on). */
  files: string[];
  text(file: string): string;
}

export function makeCorpus(): Corpus {
  const root = mkdtempSync(join(tmpdir(), 'podwalk-fuzz-'));
  for (const t of TREES) cpSync(join(repo, t), join(root, t), { recursive: true });
  const files = TREES.flatMap((t) => readdirSync(join(root, t), { recursive: true, encoding: 'utf8' }).map((f) => join(t, f)))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => relative(root, join(root, f)))
    .sort();
  return { root, files, text: (f) => readFileSync(join(root, f), 'utf8') };
}
