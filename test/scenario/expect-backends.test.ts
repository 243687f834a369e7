import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExpectations } from '../../src/scenario/run/expect.js';
import { ExpectationStream } from '../../src/scenario/run/expect-stream.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import type { ProxyMode } from '../../src/scenario/types.js';

const text = readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'service-affinity.yaml'), 'utf8');

function load(yaml: string, proxyMode?: ProxyMode) {
  return loadScenarioText(yaml, 'affinity.yaml', proxyMode ? { proxyMode } : {});
}

function mismatches(yaml: string, proxyMode?: ProxyMode): string[] {
  const r = load(yaml, proxyMode);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const flows = simulate(r.scenario).flows;
  const all = checkExpectations(flows);
  // Checked one flow at a time as flows end (podwalk run), the mismatches are the same, in the same order.
  const streamed = new ExpectationStream(r.scenario.traffic);
  for (const f of flows) streamed.add(f);
  expect(streamed.finish()).toEqual(all);
  expect(streamed.checked).toBe(flows.filter((f) => f.traffic.expect).length);
  return all.map((m) => `${m.flow}: ${m.field}: expected ${m.expected}; actual ${m.actual}`);
}

describe('expect.candidates and expect.sameBackendAs', () => {
  it('every mode chooses among the three replicas, and affinity keeps each client on its first backend', () => {
    for (const mode of ['iptables', 'ipvs', 'nftables'] as const) expect(mismatches(text, mode)).toEqual([]);
  });

  it('a wrong candidate set and a backend that moved are reported as expected vs actual', () => {
    const m = mismatches(
      text
        .replace("      sameBackendAs: sticky\n", '      sameBackendAs: spread#2\n')
        .replace('      candidates: [deployment/web]\n      sameBackendAs', '      candidates: [pod/default/web-55489cf447-wvq2c, 10.244.1.210:9090]\n      sameBackendAs'),
    );
    expect(m).toContain('sticky#1: candidates: expected pod/default/web-55489cf447-wvq2c (10.244.1.45), 10.244.1.210:9090; actual 10.244.1.210:8080, 10.244.1.45:8080, 10.244.2.148:8080');
    expect(m).toContain('sticky#1: sameBackendAs: expected 10.244.2.148:8080 (as spread#2); actual 10.244.1.210:8080');
  });

  it('names a traffic item that exists (with a request number in range)', () => {
    const bad = load(text.replace('sameBackendAs: sticky', 'sameBackendAs: stiky').replace('candidates: [deployment/web]\n      sameBackendAs', 'candidates: [pod/nobody, 10.0.0.1:0]\n      sameBackendAs'));
    expect(bad.ok ? [] : bad.problems.map(formatProblem)).toEqual([
      expect.stringMatching(/^affinity\.yaml:\d+:\d+: traffic\[0\]\.expect\.candidates\[0\]: no pod default\/nobody/),
      expect.stringMatching(/^affinity\.yaml:\d+:\d+: traffic\[0\]\.expect\.candidates\[1\]: expected <ip>:<port> like 10\.244\.1\.5:8080, found "10\.0\.0\.1:0"$/),
      expect.stringMatching(/^affinity\.yaml:\d+:\d+: traffic\[0\]\.expect\.sameBackendAs: expected the name of a traffic item \(or <name>#<k>\), found "stiky" \(did you mean sticky\?\)$/),
    ]);
    const range = load(text.replace('sameBackendAs: sticky', 'sameBackendAs: spread#5'));
    expect(range.ok ? [] : range.problems.map(formatProblem)).toEqual([expect.stringMatching(/traffic\[0\]\.expect\.sameBackendAs: spread sends 4 requests: expected spread#1 to spread#4, found "spread#5"$/)]);
  });
});

describe('expect per proxy mode (iptables: / ipvs: / nftables: blocks)', () => {
  it("the block of the run's mode replaces the fields it names; the others are checked but not used", () => {
    const r = load(text, 'nftables');
    const r2 = load(text, 'iptables');
    if (!r.ok || !r2.ok) throw new Error('does not load');
    expect(r.scenario.traffic[0]!.expect!.deliveredTo).toEqual([{ kind: 'pod', namespace: 'default', name: 'web-55489cf447-wvq2c' }]);
    expect(r2.scenario.traffic[0]!.expect!.deliveredTo).toEqual([{ kind: 'pod', namespace: 'default', name: 'web-55489cf447-j2j7n' }]);
    // Fields the block leaves out stay.
    expect(r.scenario.traffic[0]!.expect!.sameBackendAs).toBe('sticky');
  });

  it('a block is an expect mapping: unknown fields and bad values are errors even when the mode is not used', () => {
    const bad = load(text.replace('        deliveredTo: pod/default/web-55489cf447-wvq2c', '        deliveredTo: pod/default/web-55489cf447-wvq2c\n        verdict: maybe\n        ipvs: {}'));
    expect(bad.ok ? [] : bad.problems.map(formatProblem)).toEqual([
      expect.stringMatching(/traffic\[0\]\.expect\.nftables\.verdict: expected one of delivered, dropped, found maybe$/),
      expect.stringMatching(/traffic\[0\]\.expect\.nftables\.ipvs: unknown field ipvs/),
    ]);
  });
});
