import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heapFlagFor } from '../../src/cli/heap.js';

describe('the CLI sizes its own heap', () => {
  it('keeps the default heap for ordinary inputs and arguments that are not files', () => {
    expect(heapFlagFor(['run', 'scenarios/classic-walk.yaml', '--json', 'no-such-file'])).toBeUndefined();
  });

  it('asks for a larger heap when a file argument is big', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-heap-'));
    const big = join(dir, 'big.json');
    writeFileSync(big, Buffer.alloc(9 * 2 ** 20, 32));
    const flag = heapFlagFor(['run', big]);
    // Undefined only when this process already has that much heap.
    if (flag !== undefined) expect(flag).toMatch(/^--max-old-space-size=\d+$/);
  });
});
