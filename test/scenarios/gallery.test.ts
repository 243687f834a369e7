import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

/**
 * What the gallery's stories claim beyond their `expect:` blocks (those run in
 * scenarios.test.ts): the timings and events docs/gallery.md describes.
 */
const run = (file: string) => {
  const r = loadScenarioFile(join(import.meta.dirname, '..', '..', 'scenarios', 'gallery', file));
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return simulate(r.scenario);
};

describe('gallery', () => {
  it('conntrack-dns-race: the racing lookup loses a query (insert_failed) and waits 5 s; single-request-reopen does not', () => {
    const res = run('conntrack-dns-race.yaml');
    expect(res.events.some((e) => e.kind === 'drop' && e.reason === 'conntrack-insert-failed')).toBe(true);
    const sentAt = (flow: string): number => res.events.find((e) => e.kind === 'create' && e.pkt === res.flows.find((f) => f.flow === flow)!.pkt)!.t;
    expect(sentAt('lookup-races')).toBeGreaterThanOrEqual(5e9);
    expect(sentAt('lookup-reopen')).toBeLessThan(10e6);
  });

  it('stale-udp-conntrack: only the node whose kube-proxy cleans up deletes the entry', () => {
    const res = run('stale-udp-conntrack.yaml');
    const deletes = res.events.flatMap((e) => (e.kind === 'change' && e.change === 'conntrack-delete' ? [e] : []));
    expect(deletes.map((e) => e.at)).not.toContain('node1');
    expect(deletes.some((e) => e.at === 'node2' && e.detail.includes('--reply-src 10.244.1.48 --reply-port-src 53') && e.detail.includes('1 flow entry deleted'))).toBe(true);
  });

  it('vxlan-mtu-black-hole: full-sized segments vanish at layer 2 without any ICMP, and the client backs off', () => {
    const res = run('vxlan-mtu-black-hole.yaml');
    expect(res.events.some((e) => e.kind === 'drop' && e.reason === 'mtu-exceeded')).toBe(true);
    expect(res.events.some((e) => e.kind === 'icmp' && e.message.includes('fragmentation'))).toBe(false);
    const retries = res.events.flatMap((e) => (e.kind === 'tcp' && e.flow === 'bulk-upload' && e.action === 'retransmit' ? [e.t] : []));
    // Exponential backoff: each gap at least as long as the one before.
    for (let i = 2; i < retries.length; i++) expect(retries[i]! - retries[i - 1]!).toBeGreaterThanOrEqual(retries[i - 1]! - retries[i - 2]!);
  });

  it('conntrack-table-full: SYNs are dropped once TIME_WAIT entries fill nf_conntrack_max; the pooled connection and a larger table are fine', () => {
    const res = run('conntrack-table-full.yaml');
    const full = res.events.flatMap((e) => (e.kind === 'drop' && e.reason === 'conntrack-full' ? [e] : []));
    expect(full.length).toBeGreaterThan(37); // every first SYN and its retransmission
    expect(full.every((e) => e.at === 'node1' && e.detail === 'nf_conntrack: table full (64 entries), dropping packet')).toBe(true);
    expect(full.every((e) => e.t > 3e9 && e.t < 10e9)).toBe(true);
  });

  it('neighbour-table-overflow: node2 refuses neighbours 9 and up until entries go stale; raising gc_thresh3 ends it', () => {
    const res = run('neighbour-table-overflow.yaml');
    const overflow = res.events.flatMap((e) => (e.kind === 'drop' && e.reason === 'neigh-table-overflow' ? [e] : []));
    expect(new Set(overflow.map((e) => e.at))).toEqual(new Set(['node2:cbr0']));
    expect(Math.max(...overflow.map((e) => e.t))).toBeLessThan(31e9);
    const connected = res.events.find((e) => e.kind === 'tcp' && e.flow === 'scrape-7' && e.action === 'established')!;
    expect(connected.t).toBeGreaterThan(31e9);
  });

  it('snat-port-race: two pods NATed at once on two CPUs get the same port without --random-fully; the loser retransmits after 1 s', () => {
    const res = run('snat-port-race.yaml');
    const port = (flow: string): string => {
      const pkt = res.flows.find((f) => f.flow === flow)!.pkt;
      const nat = res.events.find((e) => e.kind === 'nat' && e.pkt === pkt && e.first);
      return nat?.kind === 'nat' ? nat.after.split(' ')[0]! : '';
    };
    const clashes = res.events.flatMap((e) => (e.kind === 'drop' && e.reason === 'conntrack-insert-failed' ? [e] : []));
    // Only node1 (no --random-fully), once per racing pair: same port kept, rover (4.19), same port kept again after the upgrade.
    expect(clashes.map((e) => e.at)).toEqual(['node1', 'node1', 'node1']);
    expect(clashes.every((e) => e.detail.includes('both NATs chose the same source port at once'))).toBe(true);
    expect(port('same-port-a1')).toBe(port('same-port-b1'));
    expect(port('rover-a1')).toBe(port('rover-b1'));
    expect(port('rover-a1')).not.toBe('192.168.56.11:41001'); // its own port was taken: the rover's
    expect(port('upgraded-rover-a1')).not.toBe(port('upgraded-rover-b1'));
    expect(port('same-port-a2')).not.toBe(port('same-port-b2'));
    const established = (flow: string): number => res.events.find((e) => e.kind === 'tcp' && e.flow === flow && e.action === 'established')!.t;
    expect(established('rover-b1') - established('rover-a1')).toBeGreaterThan(0.99e9); // the SYN retransmission (initial RTO 1 s)
    expect(established('rover-b2') - established('rover-a2')).toBeLessThan(1e6);
    expect(JSON.stringify(run('snat-port-race.yaml').events)).toBe(JSON.stringify(res.events));
  });

  it('a kernel step is a `kernel` change (the release changed, not a sysctl), as docs/trace.md lists it', () => {
    const changes = run('snat-port-race.yaml').events.flatMap((e) => (e.kind === 'change' && e.detail.includes('runs Linux') ? [[e.at, e.change, e.detail.split(':')[0]] as const] : []));
    expect(changes).toEqual([
      ['node1', 'kernel', 'node1 runs Linux 4.19.0-9-amd64'],
      ['node2', 'kernel', 'node2 runs Linux 4.19.0-9-amd64'],
      ['node1', 'kernel', 'node1 runs Linux 6.1.0-18-amd64'],
    ]);
  });

  it('snat-port-exhaustion: once every port of the range is held in TIME_WAIT, new SYNs fail at the confirm; a shorter TIME_WAIT ends it', () => {
    const res = run('snat-port-exhaustion.yaml');
    const failed = res.events.flatMap((e) => (e.kind === 'drop' && e.reason === 'conntrack-insert-failed' ? [e] : []));
    expect(failed.length).toBeGreaterThanOrEqual(40); // each of the 20 SYNs and its retransmissions
    expect(failed.every((e) => e.at === 'node1' && e.detail.includes('no free source port in 40000-40099'))).toBe(true);
    expect(failed.every((e) => e.t > 10e9 && e.t < 15e9)).toBe(true);
    const natPorts = res.events.flatMap((e) => (e.kind === 'nat' && e.type === 'MASQUERADE' && e.first ? [Number(e.after.split(' ')[0]!.split(':')[1])] : []));
    expect(natPorts.every((p) => p >= 40000 && p <= 40099)).toBe(true);
  });

  it('snat-port-exhaustion on Linux 6.5+: the last tries of the search evict a TIME_WAIT connection the new SYN is ahead of', () => {
    const r = loadScenarioFile(join(import.meta.dirname, '..', '..', 'scenarios', 'gallery', 'snat-port-exhaustion.yaml'));
    if (!r.ok) throw new Error('load');
    const step = r.scenario.steps.find((s) => s.action.kind === 'kernel')!;
    step.action = { kind: 'kernel', node: 'node1', release: '6.8.0-45-generic', major: 6, minor: 8 };
    const res = simulate(r.scenario);
    const failed = res.events.filter((e) => e.kind === 'drop' && e.reason === 'conntrack-insert-failed');
    // Evicting needs the new SYN's sequence number ahead of the old connection's: about one try in two.
    expect(failed.length).toBeLessThan(5);
    const established = res.events.filter((e) => e.kind === 'tcp' && e.flow?.startsWith('churn-exhausted') && e.action === 'established');
    expect(established.length).toBeGreaterThan(15);
  });

  it('etp-local-health-check-lag: node2 drops web connections from 11 s until the balancer leaves it at 32 s (3 failed probes, 8 s apart); the draining shop pod loses none', () => {
    const res = run('etp-local-health-check-lag.yaml');
    const lb = res.events.flatMap((e) => (e.kind === 'change' && e.change === 'lb-health' ? [e] : []));
    expect(lb.map((e) => [e.t, e.detail.includes("out of default/web's") || e.detail.includes("out of default/shop's")])).toEqual([
      [32e9, true],
      [32e9, true],
    ]);
    const drops = res.events.flatMap((e) => (e.kind === 'drop' && e.reason === 'netfilter-drop' ? [e] : []));
    expect(drops.length).toBeGreaterThan(0);
    expect(drops.every((e) => e.at === 'node2' && e.t >= 11e9 && e.t < 32e9 && e.detail.includes('default/web has no local endpoints'))).toBe(true);
    // A connection whose SYNs the hash kept sending to node2 completes only after the balancer moved on.
    const lag = res.flows.filter((f) => f.flow.startsWith('web-lag#'));
    expect(Math.max(...lag.map((f) => f.connection?.retransmits ?? 0))).toBeGreaterThanOrEqual(3);
    expect(res.flows.filter((f) => f.flow.startsWith('shop-during#')).every((f) => f.verdict === 'delivered' && (f.connection?.retransmits ?? 0) === 0)).toBe(true);
  });

  it('is deterministic: same file, same trace', () => {
    const a = JSON.stringify(run('rolling-update-resets.yaml').events);
    expect(JSON.stringify(run('rolling-update-resets.yaml').events)).toBe(a);
  });
});
