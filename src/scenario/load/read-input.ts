import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { MAX_YAML_CHARS } from './yaml-tree.js';

/** Largest scenario or included file read, in bytes (the YAML text limit; UTF-8 takes at least one byte a character). */
export const MAX_INPUT_BYTES = MAX_YAML_CHARS;

/**
 * The text of a scenario file or an included manifest, or why not. Only
 * regular files are read (`/dev/zero`, a FIFO or a directory would read
 * forever, block, or fail late) and only up to MAX_INPUT_BYTES; the check is
 * on the opened file itself, so what is checked is what is read.
 */
export function readInput(path: string): { text: string } | { error: string } {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    // kubectl's `-f -`: not read here, and "no such file" would leave the user wondering which file.
    if (path === '-' && (e as NodeJS.ErrnoException).code === 'ENOENT') return { error: 'cannot read: no file named -; podwalk reads files, not standard input (write the scenario to a file first)' };
    return { error: `cannot read: ${why(e)}` };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { error: 'cannot read: a directory, not a file' };
    if (!st.isFile()) return { error: 'cannot read: not a regular file (a device, FIFO or socket)' };
    if (st.size > MAX_INPUT_BYTES) return { error: `too large: ${st.size} bytes (at most ${MAX_INPUT_BYTES})` };
    // Read to the end, still bounded: the file may grow between fstat and read.
    const buf = Buffer.alloc(Math.min(st.size, MAX_INPUT_BYTES) + 1);
    let n = 0;
    for (let k = 1; k > 0 && n < buf.length; n += k) k = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_INPUT_BYTES) return { error: `too large: more than ${MAX_INPUT_BYTES} bytes` };
    return { text: decodeText(buf.subarray(0, n)) };
  } catch (e) {
    return { error: `cannot read: ${why(e)}` };
  } finally {
    closeSync(fd);
  }
}

/**
 * Bytes as text the way kubectl reads a manifest (cli-runtime's file visitor decodes through
 * BOMOverride(UTF-8)): UTF-16 with a byte order mark, which PowerShell's `>` writes, is read as
 * such; anything else as UTF-8 (a byte that is not UTF-8 becomes U+FFFD, as there).
 */
function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return bytes.toString('utf8');
}

const WHY: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'a directory, not a file', ENOTDIR: 'a path component is not a directory', ELOOP: 'too many symbolic links' };

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code ? (WHY[code] ?? code) : String(e);
}
