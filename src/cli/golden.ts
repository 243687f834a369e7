import { basename } from 'node:path';
import { readInput } from '../scenario/load/read-input.js';
import { printable } from '../trace/safe-text.js';
import { fileInside, OutputPathError, writeInside } from './output-file.js';
import { isGoldenHeading, renderGolden } from '../scenario/report/golden.js';
import { unifiedDiff } from '../scenario/report/line-diff.js';
import type { RunResult } from '../scenario/run/simulate.js';

export interface GoldenOutcome {
  /** `match`: same as the stored file; `differ`: printed a diff; `missing`: no golden file yet; `written`: --update wrote it. */
  status: 'match' | 'differ' | 'missing' | 'written';
  file: string;
  /** What to tell the user (a diff when they differ). */
  report: string;
}

/** The golden file of a scenario: `<dir>/<metadata.name>.trace`. */
export function goldenPath(dir: string, result: RunResult): string {
  return fileInside('--golden', dir, `${result.scenario.name}.trace`);
}

/**
 * `podwalk run FILE --golden DIR [--update]`: compare the run's golden text
 * with the stored one (a unified diff when they differ), or store it.
 */
export function checkGolden(dir: string, result: RunResult, update: boolean, runLabel: string): GoldenOutcome {
  const file = goldenPath(dir, result);
  const text = renderGolden(result);
  const stored = readGolden(file);
  if (update) {
    const same = stored === text;
    if (!same) writeInside('--golden', dir, basename(file), text);
    return { status: 'written', file, report: `golden: ${same ? 'unchanged' : 'wrote'} ${file}\n` };
  }
  if (stored === undefined) return { status: 'missing', file, report: `golden: no golden trace ${file} yet (run again with --update to write it)\n` };
  if (stored === text) return { status: 'match', file, report: `golden: ${file} matches\n` };
  const diff = unifiedDiff(lines(stored), lines(text), { a: file, b: runLabel }, { heading: isGoldenHeading });
  const body = diff.split('\n').slice(2);
  const removed = body.filter((l) => l.startsWith('-')).length;
  const added = body.filter((l) => l.startsWith('+')).length;
  return { status: 'differ', file, report: `golden: trace differs from ${file} (-${removed} +${added} lines; --update accepts it)\n${diff}` };
}

/** The stored golden text, or undefined when there is none yet; anything else in the way is a usage error. */
function readGolden(file: string): string | undefined {
  const input = readInput(file);
  if ('text' in input) return input.text;
  if (input.error === 'cannot read: no such file') return undefined;
  throw new OutputPathError(`--golden: ${printable(file, 200)}: ${input.error}`);
}

function lines(text: string): string[] {
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}
