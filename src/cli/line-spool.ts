import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** Kept in memory up to this many characters; beyond, written to a temporary file. */
const IN_MEMORY_CHARS = 4 * 1024 * 1024;
/** Written out in chunks of about this size (as the JSON Lines writer's). */
const CHUNK = 64 * 1024;

/**
 * Lines to write later, in order: `run --json` prints its flow records
 * after every event of the run, while flows end (and are forgotten) as it
 * goes. A few MB stay in memory; more go to a temporary file, read back in
 * chunks by `drain` and removed, so a run of any number of flows holds a
 * bounded amount. Where no temporary file can be made, the lines stay in
 * memory (as before there was a spool).
 */
export class LineSpool {
  private buf: string[] = [];
  private size = 0;
  private dir: string | undefined;
  private fd: number | undefined;
  /** Bytes of whole lines in the file (a write that failed half-way is not read back). */
  private written = 0;
  private failed = false;

  push(line: string): void {
    this.buf.push(line);
    this.size += line.length + 1;
    if (this.size >= IN_MEMORY_CHARS) this.spill();
  }

  /** Every line pushed, in order, each ending with a newline, written in chunks; the file is removed. */
  drain(write: (chunk: string) => void): void {
    try {
      if (this.fd !== undefined) {
        const decoder = new StringDecoder('utf8');
        const bytes = Buffer.alloc(CHUNK);
        for (let at = 0; at < this.written; ) {
          const n = readSync(this.fd, bytes, 0, Math.min(CHUNK, this.written - at), at);
          if (n === 0) break;
          at += n;
          const text = decoder.write(bytes.subarray(0, n));
          if (text.length > 0) write(text);
        }
        const rest = decoder.end();
        if (rest.length > 0) write(rest);
      }
      let chunk: string[] = [];
      let size = 0;
      for (const line of this.buf) {
        chunk.push(line);
        size += line.length + 1;
        if (size < CHUNK) continue;
        write(`${chunk.join('\n')}\n`);
        chunk = [];
        size = 0;
      }
      if (chunk.length > 0) write(`${chunk.join('\n')}\n`);
    } finally {
      this.discard();
    }
  }

  /** Forget every line and remove the file (the run ended in an error). */
  discard(): void {
    this.buf = [];
    this.size = 0;
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.fd = undefined;
    this.dir = undefined;
    this.written = 0;
  }

  private spill(): void {
    if (this.failed) return;
    try {
      if (this.fd === undefined) {
        this.dir = mkdtempSync(join(tmpdir(), 'podwalk-records-'));
        this.fd = openSync(join(this.dir, 'flows.jsonl'), 'w+');
      }
      const data = Buffer.from(`${this.buf.join('\n')}\n`, 'utf8');
      for (let off = 0; off < data.length; ) off += writeSync(this.fd, data, off, data.length - off, this.written + off);
      this.written += data.length;
    } catch {
      // No temporary file (read-only or full /tmp): keep the lines in memory.
      this.failed = true;
      return;
    }
    this.buf = [];
    this.size = 0;
  }
}
