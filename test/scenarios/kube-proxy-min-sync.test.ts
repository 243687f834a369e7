import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const file = join(import.meta.dirname, '..', '..', 'scenarios', 'kube-proxy-min-sync-period.yaml');

function run(minSync?: string, mode: 'iptables' | 'ipvs' | 'nftables' = 'iptables') {
  let text = readFileSync(file, 'utf8');
  if (minSync !== undefined) text = text.replace('  nodes: [{name: node1}, {name: node2}]\n', `  nodes: [{name: node1}, {name: node2}]\n  kubeProxy: {minSyncPeriod: ${minSync}}\n`);
  const r = loadScenarioText(text, 'kube-proxy-min-sync-period.yaml', { proxyMode: mode });
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
});
