import { basename, dirname } from 'node:path';
import { writeInside } from '../output-file.js';
import type { RunResult } from '../../scenario/run/simulate.js';
import { buildPageData } from './model.js';
import { renderWalkPage } from './page.js';

/** `--html FILE`: the walk page for this run; returns the path written. */
export function writeWalkPage(file: string, result: RunResult): string {
  // A path that cannot be written is a usage error (exit 2), not a crash.
  writeInside('--html', dirname(file), basename(file), renderWalkPage(buildPageData(result)));
  return file;
}
