import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { renderJsonLines } from '../../src/trace/jsonl.js';

const root = join(import.meta.dirname, '..', '..');

describe('run --json streams JSON Lines', () => {
  it('writes the trace in chunks while the run goes on, byte-identical to rendering it at the end', () => {
    const text = readFileSync(join(root, 'scenarios', 'classic-walk.yaml'), 'utf8').replace('    at: 1ms', '    at: 1ms\n    count: 60\n    interval: 10us');
    const file = join(mkdtempSync(join(tmpdir(), 'podwalk-stream-')), 's.yaml');
    writeFileSync(file, text);
    const chunks: string[] = [];
    const code = cli(['run', file, '--json'], { out: (s) => chunks.push(s), err: () => {} });
    expect(code).toBe(0);
    // Many writes of bounded size, none holding the whole trace.
    expect(chunks.length).toBeGreaterThan(3);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(80 * 1024);
    const loaded = loadScenarioFile(file);
    if (!loaded.ok) throw new Error('fixture');
    const result = simulate(loaded.scenario);
    const whole = renderJsonLines(result.events, { scenario: loaded.scenario.name, seed: loaded.scenario.cluster.seed });
    expect(chunks.join('').startsWith(whole)).toBe(true);
  });
});
