import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunResult } from '../../scenario/run/simulate.js';
import { buildPageData } from './model.js';
import { renderWalkPage } from './page.js';

/** `--html FILE`: the walk page for this run; returns the path written. */
export function writeWalkPage(file: string, result: RunResult): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderWalkPage(buildPageData(result)));
  return file;
}
