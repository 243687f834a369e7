import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { renderJsonLines } from '../../src/trace/jsonl.js';
import { ReportWriter } from '../../src/cli/report.js';
import { viewOptions } from '../../src/cli/view-flags.js';
import { WalkEvents } from '../../src/scenario/report/walk-events.js';
import { PLAIN } from '../../src/trace/view/terminal.js';

const root = join(import.meta.dirname, '..', '..');

/** The classic walk with `fields` added to its traffic items, written to a fresh temporary file. */
function classicWalkWith(...fields: string[]): string {
  const text = readFileSync(join(root, 'scenarios', 'classic-walk.yaml'), 'utf8').replace('    at: 1ms', ['    at: 1ms', ...fields.map((f) => `    ${f}`)].join('\n'));
  const file = join(mkdtempSync(join(tmpdir(), 'podwalk-stream-')), 's.yaml');
  writeFileSync(file, text);
  return file;
}

describe('run --json streams JSON Lines', () => {
  it('writes the trace in chunks while the run goes on, byte-identical to rendering it at the end', () => {
    const file = classicWalkWith('count: 60', 'interval: 10us');
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

describe('run (the human report) streams the walks', () => {
  /** The report of `file` rendered at the end from the whole trace. */
  function wholeReport(file: string, collapse: boolean): string {
    const loaded = loadScenarioFile(file);
    if (!loaded.ok) throw new Error('fixture');
    const result = simulate(loaded.scenario);
    const whole: string[] = [];
    const report = new ReportWriter((s) => whole.push(s), loaded.scenario, WalkEvents.fromTrace(result.events, result.flows), { view: viewOptions({}, (m) => {
      throw new Error(m);
    }), quiet: false, collapse, term: PLAIN });
    for (const f of result.flows) report.flow(f);
    report.end(result);
    return whole.join('');
  }

  it('writes each walk once its flow is over, byte-identical to the report rendered from the whole trace at the end', () => {
    const file = classicWalkWith('count: 30', 'interval: 10us', 'close: true');
    const chunks: string[] = [];
    expect(cli(['run', file, '--no-collapse'], { out: (s) => chunks.push(s), err: () => {} })).toBe(0);
    // The scenario line, one write per flow (1 + 30), the summary.
    expect(chunks).toHaveLength(33);
    expect(chunks[1]!.startsWith('\nsame-node: TCP, delivered')).toBe(true);
    expect(chunks.join('')).toBe(wholeReport(file, false));
  });

  it('folding repeated walks keeps it streamed: the walks that differ as their flows end, the count once the run of repeats is over', () => {
    const file = classicWalkWith('count: 30', 'interval: 10us', 'close: true');
    const chunks: string[] = [];
    expect(cli(['run', file], { out: (s) => chunks.push(s), err: () => {} })).toBe(0);
    expect(chunks.join('')).toBe(wholeReport(file, true));
    // The scenario line, same-node, across-nodes#1 (with its ARP), #2 (another source port and VXLAN
    // source port, the same walk), the count of #3–#30 once #30 is over, the summary.
    expect(chunks).toHaveLength(6);
    expect(chunks[3]!.startsWith('\nacross-nodes#2: TCP, delivered')).toBe(true);
    expect(chunks[4]).toMatch(/^ {2}… and 28 more identical walks \(across-nodes#3–across-nodes#30\): rtt [\d.]+–[\d.]+ µs\n$/);
  });
});

describe('a long report on a terminal', () => {
  it('says on stderr how many walks follow before printing them, and is otherwise the same report', () => {
    const file = classicWalkWith('count: 1001', 'interval: 1us', 'protocol: UDP');
    const err: string[] = [];
    const out: string[] = [];
    cli(['run', file, '--detail', 'path'], { out: (s) => out.push(s), err: (s) => err.push(s), term: { width: 80, colour: false } });
    expect(err).toEqual(['podwalk: up to 1,002 walks follow (repeats folded; --quiet: headlines only)\n']);
    expect(err[0]!.length).toBeLessThanOrEqual(81);
    // The scenario line, same-node, across-nodes#1, then #2–#1001 folded into one line (all 1001 fit in the
    // queue waiting for node2's underlay address: unres_qlen_bytes holds 256 such packets), the summary.
    expect(out.length).toBe(5);
    const every: string[] = [];
    cli(['run', file, '--detail', 'path', '--no-collapse'], { out: (s) => every.push(s), err: (s) => err.push(s), term: { width: 80, colour: false } });
    expect(err[1]).toBe('podwalk: 1,002 walks follow as flows end (--quiet: headlines only)\n');
    expect(every.length).toBe(1004);
  });
});
