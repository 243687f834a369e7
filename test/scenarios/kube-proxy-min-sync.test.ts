import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { parseGoDuration } from '../../src/scenario/load/quantities.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const file = join(import.meta.dirname, '..', '..', 'scenarios', 'kube-proxy-min-sync-period.yaml');

function load(minSync?: string, mode: 'iptables' | 'ipvs' | 'nftables' = 'iptables') {
  let text = readFileSync(file, 'utf8');
  if (minSync !== undefined) text = text.replace('  nodes: [{name: node1}, {name: node2}]\n', `  nodes: [{name: node1}, {name: node2}]\n  kubeProxy: {minSyncPeriod: ${minSync}}\n`);
  return loadScenarioText(text, 'kube-proxy-min-sync-period.yaml', { proxyMode: mode });
}

function run(minSync?: string, mode: 'iptables' | 'ipvs' | 'nftables' = 'iptables') {
  const r = load(minSync, mode);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  const res = simulate(r.scenario);
  const syncs = res.events.flatMap((e) => (e.kind === 'change' && e.change === 'proxy-sync' && e.at === 'node1' && e.detail.startsWith('kube-proxy') ? [{ t: e.t, detail: e.detail }] : []));
  const targets = (flow: string): Set<string> => new Set(res.flows.filter((f) => f.flow.startsWith(`${flow}#`)).map((f) => f.deliveredTo ?? ''));
  return { syncs, targets, res };
}

describe('kube-proxy minSyncPeriod (BoundedFrequencyRunner)', () => {
  it('default 1 s in iptables mode: the Ready change of 5.3 s waits for 6 s and says why', () => {
    const { syncs } = run();
    expect(syncs.map((s) => s.t)).toEqual([5e9, 6e9]);
    expect(syncs[1]!.detail).toBe('kube-proxy on node1: iptables-restore --noflush (EndpointSlice change; held until minSyncPeriod 1 s after the sync at 5 s)');
  });

  it('0s: every change is synced when it arrives, and the new pod gets connections from 5.3 s', () => {
    const { syncs, targets } = run('0s');
    expect(syncs.map((s) => s.t)).toEqual([5e9, 5.3e9]);
    expect(targets('while-held').size).toBe(2);
  });

  it('3s: changes wait three seconds after the last sync; nftables mode has the same runner', () => {
    expect(run('3s').syncs.map((s) => s.t)).toEqual([5e9, 8e9]);
    expect(run(undefined, 'nftables').syncs.map((s) => s.t)).toEqual([5e9, 6e9]);
  });

  it('ipvs mode defaults to 0s (ipvs.minSyncPeriod has no default)', () => {
    expect(run(undefined, 'ipvs').syncs.map((s) => s.t)).toEqual([5e9, 5.3e9]);
  });

  it('same seed, same trace', () => {
    expect(JSON.stringify(run().res.events)).toBe(JSON.stringify(run().res.events));
  });

  it('is written as kube-proxy reads it, a Go duration: 1m, 1h30m, 500ms, 1.5s, 2m3.5s', () => {
    expect(run('1.5s').syncs.map((s) => s.t)).toEqual([5e9, 6.5e9]);
    expect(run('2500ms').syncs.map((s) => s.t)).toEqual([5e9, 7.5e9]);
    expect(run('1m').syncs.map((s) => s.t)).toEqual([5e9, 65e9]);
    const cases: [unknown, number][] = [['1m', 60e9], ['1h30m', 5400e9], ['500ms', 5e8], ['1.5s', 1.5e9], ['2m3.5s', 123.5e9], ['.5s', 5e8], ['1.s', 1e9], ['1h0m0s', 3600e9], ['300us', 3e5], ['300µs', 3e5], ['300μs', 3e5], ['1.0000000009s', 1e9], ['+2s', 2e9], ['0', 0], [0, 0], ['1 s', 1e9]];
    for (const [text, ns] of cases) expect([text, parseGoDuration(text)]).toEqual([text, ns]);
  });

  it('anything else is an exit-2 error at its file:line:col', () => {
    for (const bad of ['1', '1d', '1m30', 'h', '.s', '1.5.s', '-1s', "''", '1e3s', '2000000s']) {
      const r = load(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(formatProblem(r.problems[0]!), bad).toMatch(/^kube-proxy-min-sync-period\.yaml:16:\d+: cluster\.kubeProxy\.minSyncPeriod: expected a duration/);
    }
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-'));
    const f = join(dir, 'bad-min-sync.yaml');
    writeFileSync(f, readFileSync(file, 'utf8').replace('  nodes: [{name: node1}, {name: node2}]\n', '  nodes: [{name: node1}, {name: node2}]\n  kubeProxy: {minSyncPeriod: 1d}\n'));
    let err = '';
    expect(cli(['validate', f], { out: () => {}, err: (s) => (err += s) })).toBe(2);
    expect(err).toContain('bad-min-sync.yaml:16:30: cluster.kubeProxy.minSyncPeriod: expected a duration as kube-proxy reads it (Go syntax, like 1s, 500ms, 1.5s, 1m30s, 1h), found "1d"');
  });
});
