import { basename, dirname } from 'node:path';
import { writeInside } from '../output-file.js';
import type { RunResult } from '../../scenario/run/simulate.js';
import { buildPageData } from './model.js';
import { renderWalkPage } from './page.js';

/** `--html FILE`: the walk page for this run (the flows `selected`, `--flow`'s); returns the path written. */
export function writeWalkPage(file: string, result: RunResult, selected: (flow: string) => boolean = () => true): string {
  // A path that cannot be written is a usage error (exit 2), not a crash.
  writeInside('--html', dirname(file), basename(file), renderWalkPage(buildPageData(result, selected)));
  return file;
}
