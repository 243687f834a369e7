import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMatrixTable } from '../../src/cli/matrix-table.js';
import { cli } from '../../src/cli/main.js';
import { parseMatrix } from '../../src/scenario/run/matrix.js';
import { PLAIN } from '../../src/trace/view/terminal.js';

const root = join(import.meta.dirname, '..', '..');

describe('podwalk matrix layout', () => {
  it('aligns columns, labels from/to, explains the marks, and stays pasteable into matrix.expect', () => {
    let out = '';
    expect(cli(['matrix', join(root, 'scenarios', 'netpol-default-deny.yaml')], { out: (s) => (out += s), err: () => {} })).toBe(0);
    const lines = out.split('\n');
    expect(lines[1]).toBe('from ↓  to →');
    expect(lines[2]).toBe('-       x/a x/b y/a y/b');
    expect(lines[3]).toBe('x/a     .   X   .   .');
    expect(out).toContain('. allowed: the probe was delivered to the pod');
    expect(out).toContain('X blocked: dropped, or delivered elsewhere');
    expect(out).toMatch(/\? not probed/);
    const parsed = parseMatrix(lines.slice(2, 7).join('\n'));
    expect(typeof parsed === 'string' ? parsed : parsed.pods).toEqual(['x/a', 'x/b', 'y/a', 'y/b']);
  });

  it('--namespace probes only those namespaces\' pods (repeatable); an unknown one is an input error (reviewer hreview-user #6)', () => {
    let out = '';
    let err = '';
    const file = join(root, 'scenarios', 'netpol-default-deny.yaml');
    expect(cli(['matrix', file, '--namespace', 'x'], { out: (s) => (out += s), err: (s) => (err += s) })).toBe(0);
    expect(out.split('\n')[0]).toMatch(/\(2 pods, 4 probes\)$/);
    expect(out.split('\n')[2]).toBe('-       x/a x/b');
    expect(err).toBe('');
    out = '';
    expect(cli(['matrix', file, '--namespace', 'x', '--namespace', 'y'], { out: (s) => (out += s), err: () => {} })).toBe(0);
    expect(out.split('\n')[2]).toBe('-       x/a x/b y/a y/b');
    err = '';
    expect(cli(['matrix', file, '--namespace', 'z'], { out: () => {}, err: (s) => (err += s) })).toBe(2);
    expect(err).toMatch(/--namespace: no namespace z \(namespaces: .*\bx\b.*\)/);
  });

  it('numbers the columns of long pod names and says which number is which pod; explains every ?', () => {
    const cell = (from: string, to: string, allowed: boolean, skipped?: string) => ({ from, to, allowed, flow: undefined, ...(skipped ? { skipped } : {}) });
    const pods = ['default/web-55489cf447-8g6lj', 'default/client'];
    const lines = renderMatrixTable(
      { pods, cells: [[cell(pods[0]!, pods[0]!, true), cell(pods[0]!, pods[1]!, false)], [cell(pods[1]!, pods[0]!, true, 'not a pod with a Service'), cell(pods[1]!, pods[1]!, true)]] },
      PLAIN,
    );
    expect(lines.slice(0, 4)).toEqual([
      'from ↓                          to →',
      '-                               1 2',
      '1 default/web-55489cf447-8g6lj  . X',
      '2 default/client                ? .',
    ]);
    expect(lines).toContain('? not probed: not a pod with a Service');
  });
});

describe('podwalk matrix on a narrow terminal', () => {
  it('columns that do not fit come in even parts, each with the row labels again; piped output is one table', () => {
    const pods = Array.from({ length: 44 }, (_, i) => `default/workers-6b8459b96b-${String(i).padStart(5, '0')}`);
    const cells = pods.map((from, i) => pods.map((to, j) => ({ from, to, allowed: i === j, flow: undefined })));
    const lines = renderMatrixTable({ pods, cells }, { width: 80, colour: false });
    expect(lines.filter((l) => [...l].length > 80)).toEqual([]);
    expect(lines.filter((l) => l.startsWith('from ↓')).map((l) => l.replace(/^from ↓ +/, ''))).toEqual(['to → (columns 1-11 of 44)', 'to → (columns 12-22 of 44)', 'to → (columns 23-33 of 44)', 'to → (columns 34-44 of 44)']);
    // Every pod's row in every part, its own cell allowed in the part that has its column.
    const row44 = lines.filter((l) => l.startsWith('44 '));
    expect(row44).toHaveLength(4);
    expect(row44[3]!.replace(/ +/g, ' ')).toMatch(/( X){10} \.$/);
    const piped = renderMatrixTable({ pods, cells }, PLAIN);
    expect(piped.filter((l) => l.startsWith('from ↓'))).toEqual([expect.stringMatching(/ {2}to →$/)]);
    expect(piped.filter((l) => l.startsWith('44 '))).toHaveLength(1);
  });
});

describe('--json flow summary records', () => {
  it('ends with one "kind":"flow" record per flow: verdict, path, NAT, policies, rtt', () => {
    let out = '';
    expect(cli(['run', join(root, 'scenarios', 'netpol-service-denied.yaml'), '--json'], { out: (s) => (out += s), err: () => {} })).toBe(0);
    const records = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const flows = records.filter((r) => r['kind'] === 'flow');
    expect(flows.map((f) => f['flow'])).toEqual(['intruder-via-service', 'frontend-via-service']);
    expect(records.slice(-3, -1)).toEqual(flows);
    // Then the expectation check: both met, nothing unmet to list.
    expect(records.at(-1)).toEqual({ kind: 'expectations', checked: 2, failed: 0, mismatches: 0, notChecked: 0 });
    const ok = flows[1]!;
    expect(ok).toMatchObject({ from: 'pod/default/frontend', to: 'service/default/backend', protocol: 'TCP', port: 80, verdict: 'delivered', deliveredTo: 'pod/default/backend', seenSource: '10.244.1.2' });
    expect(ok['rttNs']).toBeGreaterThan(0);
    expect((ok['path'] as string[]).at(-1)).toBe('default/backend:eth0');
    expect(ok['nat']).toEqual([{ at: 'node1', type: 'DNAT', manip: 'dst', before: expect.stringMatching(/ > 10\.96\.0\.11:80$/), after: expect.stringMatching(/ > 10\.244\.2\.2:9376$/) }]);
    expect(ok['policies']).toEqual([{ at: 'node2', direction: 'ingress', pod: 'default/backend', verdict: 'allow', because: 'rule', policy: 'default/backend-from-frontend', rule: 0 }]);
    expect(flows[0]).toMatchObject({ verdict: 'dropped', dropReason: 'policy-denied' });
  });

  it('every unmet expectation is a "kind":"expectation" record, unfolded, then the counts; stderr says each too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-json-'));
    const file = join(dir, 'many.yaml');
    // Three requests of one item, all expecting the wrong verdict: the text summary folds them into one block, JSON does not.
    writeFileSync(file, readFileSync(join(root, 'scenarios', 'netpol-service-denied.yaml'), 'utf8').replace(/expect: \{verdict: dropped, dropReason: policy-denied/, 'count: 3\n    interval: 1ms\n    expect: {verdict: delivered'));
    let out = '';
    let err = '';
    expect(cli(['run', file, '--json'], { out: (s) => (out += s), err: (s) => (err += s) })).toBe(1);
    const records = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const unmet = records.filter((r) => r['kind'] === 'expectation');
    expect(unmet.map((r) => [r['flow'], r['item'], r['field'], r['expected'], r['actual']])).toEqual(
      [1, 2, 3].map((k) => [`intruder-via-service#${k}`, 'intruder-via-service', 'verdict', 'delivered', expect.stringMatching(/^dropped \(policy-denied: -A NETPOL-ING-/)]),
    );
    expect(unmet[0]).toMatchObject({ file, line: expect.any(Number), col: expect.any(Number) });
    expect(records.at(-1)).toEqual({ kind: 'expectations', checked: 4, failed: 3, mismatches: 3, notChecked: 0 });
    expect(err.match(/^expectation not met: intruder-via-service#\d: verdict: expected delivered, actual dropped \(policy-denied/gm)).toHaveLength(3);
  });

  it('--flow narrows the JSON as it narrows the walk: that flow\'s packets (and what they caused) and its record only', () => {
    let out = '';
    expect(cli(['run', join(root, 'scenarios', 'ingress-host-fanout.yaml'), '--json', '--flow', 'shop-host'], { out: (s) => (out += s), err: () => {} })).toBe(0);
    const records = out.trim().split('\n').slice(1).map((l) => JSON.parse(l) as { kind: string; pkt?: number; flow?: string });
    expect(records.filter((r) => r.kind === 'flow').map((r) => r.flow)).toEqual(['shop-host']);
    const created = records.filter((r) => r.kind === 'create');
    expect(new Set(created.map((r) => r.flow))).toEqual(new Set(['shop-host']));
    // Every packet told ends in exactly one deliver or drop, the controller's upstream connection included.
    for (const c of created) expect(records.filter((r) => r.pkt === c.pkt && (r.kind === 'deliver' || r.kind === 'drop')).length, `pkt ${c.pkt}`).toBe(1);
    expect(records.some((r) => r.kind === 'deliver' && (r as { at?: string }).at === 'default/shop:eth0')).toBe(true);
    let err = '';
    expect(cli(['run', join(root, 'scenarios', 'ingress-host-fanout.yaml'), '--json', '--flow', 'nope'], { out: () => {}, err: (s) => (err += s) })).toBe(2);
    expect(err).toMatch(/--flow: no traffic item nope/);
  });
});
