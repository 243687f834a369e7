import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

const scenarios = join(import.meta.dirname, '..', '..', 'scenarios');

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = cli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('podwalk compare: one scenario in each kube-proxy mode', () => {
  it('pairs every flow with its outcome and cost in each mode', () => {
    const r = run(['compare', join(scenarios, 'service-clusterip.yaml'), '--modes', 'iptables,ipvs']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^scenario service-clusterip \(seed 1\): kube-proxy iptables mode vs ipvs mode\n/);
    expect(r.out).toMatch(/== to-service\n {3}iptables: delivered to pod\/default\/web-a \(source 10\.244\.1\.2\) \| 5 hops, 3 hook traversals, \d+ rules evaluated, DNAT by the nat table\n {3}ipvs: {5}delivered to pod\/default\/web-a \(source 10\.244\.1\.2\) \| 5 hops, 4 hook traversals, \d+ rules evaluated, 1 IPVS lookup, DNAT by IPVS/);
    expect(r.out).toMatch(/4 flow\(s\): 4 with the same outcome, 0 different/);
  });

  it('names the fields that differ (the documented upstream differences)', () => {
    const r = run(['compare', join(scenarios, 'service-ipvs-idle.yaml'), '--json']);
    const j = JSON.parse(r.out) as { flows: { flow: string; differs: string[]; iptables: { verdict: string }; ipvs: { verdict: string; dropReason?: string; ipvsLookups: number } }[] };
    const late = j.flows.find((f) => f.flow === 'after-16-idle-minutes')!;
    expect(late.differs).toEqual(['verdict', 'deliveredTo', 'seenSource', 'dropReason']);
    expect(late.iptables.verdict).toBe('delivered');
    expect(late.ipvs).toMatchObject({ verdict: 'dropped', dropReason: 'tcp-reset', ipvsLookups: 0 });
    expect(j.flows.find((f) => f.flow === 'open')!.differs).toEqual([]);
  });

  it('compares the three modes by default; nftables counts map lookups and names nftables as the DNAT', () => {
    const r = run(['compare', join(scenarios, 'service-clusterip.yaml'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { modes: string[]; flows: { flow: string; nftables: { verdict: string; mapLookups: number; dnatBy: string; rulesEvaluated: number } }[] };
    expect(j.modes).toEqual(['iptables', 'ipvs', 'nftables']);
    const f = j.flows.find((x) => x.flow === 'same-node-endpoint')!;
    expect(f.nftables).toMatchObject({ verdict: 'delivered', dnatBy: 'nftables' });
    expect(f.nftables.mapLookups).toBeGreaterThan(0);
    const text = run(['compare', join(scenarios, 'service-clusterip.yaml')]).out;
    expect(text).toMatch(/^scenario service-clusterip \(seed 1\): kube-proxy iptables mode vs ipvs mode vs nftables mode\n/);
    expect(text).toMatch(/\n {3}nftables: delivered to pod\/default\/web-a \(source 10\.244\.1\.2\) \| 5 hops, \d+ hook traversals, \d+ rules evaluated, \d+ map lookups, DNAT by nftables\n/);
  });

  it('--modes must name at least two known modes (exit 2)', () => {
    expect(run(['compare', join(scenarios, 'service-clusterip.yaml'), '--modes', 'iptables']).code).toBe(2);
    expect(run(['compare', join(scenarios, 'service-clusterip.yaml'), '--modes', 'iptables,userspace']).err).toMatch(/--modes: expected/);
  });

  it('is deterministic: the same file and seed give the same text', () => {
    const file = join(scenarios, 'service-nodeport.yaml');
    expect(run(['compare', file]).out).toBe(run(['compare', file]).out);
  });
});
