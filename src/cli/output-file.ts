import { mkdirSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { printable } from '../trace/safe-text.js';

/** An output path that cannot be used (`--pcap`, `--golden`): a usage error, exit 2. */
export class OutputPathError extends Error {}

/**
 * Write `name` into the directory the user gave, creating it. Names come from
 * the scenario (`metadata.name`), so the file must land in `dir` itself,
 * never beside or above it; and a path that cannot be created or written
 * (a component that is a file, no permission) is the user's to fix, so it is
 * reported as such rather than as a crash.
 */
export function writeInside(option: string, dir: string, name: string, data: string | Uint8Array): string {
  const file = fileInside(option, dir, name);
  makeOutputDirectory(option, dir);
  try {
    writeFileSync(file, data);
  } catch (e) {
    throw new OutputPathError(`${option}: cannot write ${printable(file, 200)}: ${why(e)}`);
  }
  return file;
}

/** Create `dir` (and its parents) for an option's output, or say why not as a usage error. */
export function makeOutputDirectory(option: string, dir: string): void {
  try {
    makeDirectory(dir);
  } catch (e) {
    throw new OutputPathError(`${option}: cannot create directory ${printable(dir, 200)}: ${why(e)}`);
  }
}

/**
 * `mkdir -p`, one component at a time. Not Node's recursive mkdirSync: where
 * the kernel answers ENOENT for a directory that can never exist (`/proc/x`)
 * it retries forever, and the run would hang instead of failing.
 */
function makeDirectory(dir: string): void {
  const abs = resolve(dir);
  let st: Stats | undefined;
  try {
    st = statSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (st) {
    if (st.isDirectory()) return;
    throw Object.assign(new Error(`${abs} is not a directory`), { code: 'EEXIST' });
  }
  const parent = dirname(abs);
  if (parent !== abs) {
    try {
      makeDirectory(parent);
    } catch (e) {
      // A parent that exists as a file: a component of the path is not a directory.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw Object.assign(new Error(`${parent} is not a directory`), { code: 'ENOTDIR' });
      throw e;
    }
  }
  try {
    mkdirSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(abs).isDirectory()) throw e;
  }
}

/** `dir/name`, refusing a name that would leave `dir` (`../x`, `a/b`, `..`). */
export function fileInside(option: string, dir: string, name: string): string {
  const file = resolve(dir, name);
  if (basename(name) !== name || name === '.' || name === '..' || dirname(file) !== resolve(dir)) throw new OutputPathError(`${option}: the file name ${printable(name)} would leave ${printable(dir, 200)}`);
  return join(dir, name);
}

const WHY: Record<string, string> = {
  ENOTDIR: 'a component of the path is a file, not a directory',
  EEXIST: 'exists and is not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ENAMETOOLONG: 'name too long',
  ENOENT: 'no such file or directory, and it cannot be created there',
};

export function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code ? (WHY[code] ?? code) : String(e);
}
