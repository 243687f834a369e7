import { basename } from 'node:path';
import { readInput } from '../scenario/load/read-input.js';
import { printable } from '../trace/safe-text.js';
import { fileInside, OutputPathError, writeInside } from './output-file.js';
import { goldenProxyMode, renderGolden } from '../scenario/report/golden.js';
import { compareGolden, diffSize } from '../scenario/report/golden-compare.js';
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
    if (stored === text) return { status: 'written', file, report: `golden: unchanged ${file}\n` };
    writeInside('--golden', dir, basename(file), text);
    if (stored === undefined) return { status: 'written', file, report: `golden: wrote ${file}\n` };
    // What the update changed, as jest's "1 snapshot updated" says it: the diff's size, and a mode the golden no longer holds.
    const c = diffSize(stored, text);
    const was = goldenProxyMode(stored);
    const now = goldenProxyMode(text);
    const mode = was !== undefined && was !== now ? `; it held proxy mode ${was}, now ${now ?? 'none'}` : '';
    return { status: 'written', file, report: `golden: wrote ${file} (-${c.removed} +${c.added} lines${mode})\n` };
  }
  if (stored === undefined) return { status: 'missing', file, report: `golden: no golden trace ${file} yet (run again with --update to write it)\n` };
  const c = compareGolden(stored, text, file, runLabel);
  return { status: c.status, file, report: c.report };
}

/** The stored golden text, or undefined when there is none yet; anything else in the way is a usage error. */
function readGolden(file: string): string | undefined {
  const input = readInput(file);
  if ('text' in input) return input.text;
  if (input.error === 'cannot read: no such file') return undefined;
  throw new OutputPathError(`--golden: ${printable(file, 200)}: ${input.error}`);
}
