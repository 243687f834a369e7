import { mkdirSync, writeFileSync } from 'node:fs';
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
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new OutputPathError(`${option}: cannot create directory ${printable(dir, 200)}: ${why(e)}`);
  }
  try {
    writeFileSync(file, data);
  } catch (e) {
    throw new OutputPathError(`${option}: cannot write ${printable(file, 200)}: ${why(e)}`);
  }
  return file;
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
};

export function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code ? (WHY[code] ?? code) : String(e);
}
