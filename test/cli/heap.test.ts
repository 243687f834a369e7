import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countedDatagrams, heapFlagsFor, MANY_DATAGRAMS, YOUNG_GENERATION_FROM_START } from '../../src/cli/heap.js';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'podwalk-heap-'));

describe('the CLI sizes its own heap', () => {
  it('keeps the default heap for ordinary inputs and arguments that are not files', () => {
    expect(heapFlagsFor(['run', 'scenarios/classic-walk.yaml', '--json', 'no-such-file'])).toEqual([]);
  });

  it('asks for a larger heap when a file argument is big', () => {
    const big = join(scratch(), 'big.json');
    writeFileSync(big, Buffer.alloc(9 * 2 ** 20, 32));
    const flags = heapFlagsFor(['run', big]);
    // Empty only when this process already has that much heap.
    if (flags.length > 0) expect(flags).toEqual([expect.stringMatching(/^--max-old-space-size=\d+$/), '--max-semi-space-size=64']);
  });

  it('gives a run of many datagrams a full young generation from the start', () => {
    const dir = scratch();
    const many = join(dir, 'many.yaml');
    writeFileSync(many, `traffic:\n  - {name: warm-up, from: pod/a, to: pod/b}\n  - {name: f, from: pod/a, to: pod/b, count: ${MANY_DATAGRAMS}, interval: 5us}\n`);
    const few = join(dir, 'few.json');
    writeFileSync(few, JSON.stringify({ traffic: [{ name: 'f', count: MANY_DATAGRAMS - 1 }, { name: 'g', from: 'pod/a' }] }));
    expect(heapFlagsFor(['run', many])).toEqual(process.execArgv.some((f) => f.startsWith('--min-semi-space-size')) ? [] : [YOUNG_GENERATION_FROM_START]);
    expect(heapFlagsFor(['run', few])).toEqual([]);
    // Only `run` sends traffic.
    expect(heapFlagsFor(['validate', many])).toEqual([]);
  });

  it('adds up the count: fields of YAML and JSON scenario texts', () => {
    expect(countedDatagrams('traffic:\n  - name: f\n    count: 30000\n  - {name: g, count: 5}\n')).toBe(30005);
    expect(countedDatagrams('{"traffic":[{"name":"f","count":7},{"name":"g","count" : 3}]}')).toBe(10);
    expect(countedDatagrams('metadata: {name: recount: 5, discount: 9}\n')).toBe(0);
  });
});
