import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { legacyVirtualServers } from '../../src/cluster/kube-proxy/ipvs/ipvs-proxier.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const text = readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'ipvs-strict-arp.yaml'), 'utf8');

function run(strictARP: boolean) {
  const r = loadScenarioText(text.replace('strictARP: false', `strictARP: ${strictARP}`), 'ipvs-strict-arp.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return simulate(r.scenario);
}

describe('ipvs strictARP (arp_ignore = 1, arp_announce = 2)', () => {
  it('off (the default): every node answers ARP for the kube-ipvs0 address; the client keeps the first answer', () => {
    const res = run(false);
    const replies = res.events.filter((e) => e.kind === 'arp' && e.action === 'reply' && e.ip === '192.168.56.240');
    expect(replies.map((e) => e.at)).toEqual(['node1:eth0', 'node2:eth0']);
    const ignored = res.events.find((e) => e.kind === 'drop' && e.at === 'client:eth0' && e.reason === 'arp-ignored' && e.detail?.includes('within locktime'));
    expect(ignored).toBeDefined();
    expect(res.flows[0]).toMatchObject({ verdict: 'delivered', deliveredTo: 'pod/default/web' });
  });

  it('on: no node answers for an address that is on kube-ipvs0, not on eth0; the on-link client cannot resolve it', () => {
    const res = run(true);
    expect(res.events.some((e) => e.kind === 'arp' && e.action === 'reply' && e.ip === '192.168.56.240')).toBe(false);
    const refused = res.events.filter((e) => e.kind === 'drop' && e.reason === 'arp-ignored' && e.detail?.includes('arp_ignore = 1'));
    expect(refused.map((e) => e.at)).toContain('node1:eth0');
    expect(refused[0]?.kind === 'drop' && refused[0].detail).toBe('who-has 192.168.56.240: ours, but on kube-ipvs0, not eth0 (arp_ignore = 1)');
    expect(res.flows[0]).toMatchObject({ verdict: 'dropped', dropReason: 'neigh-failed' });
    // Node to node ARP (for the node IPs on eth0) is unaffected.
    expect(res.cluster.nodes.get('node1')!.sysctl).toMatchObject({ arpIgnore: 1, arpAnnounce: 2 });
  });
});

describe('ipvs excludeCIDRs: kube-proxy clean-up spares other programs\' virtual servers', () => {
  it('deletes virtual servers it did not create this sync, except those inside an excluded range', () => {
    const existing = [
      { protocol: 'TCP' as const, vip: '10.96.0.10', port: 53 },
      { protocol: 'TCP' as const, vip: '10.96.0.99', port: 80 },
      { protocol: 'UDP' as const, vip: '192.168.56.250', port: 514 },
    ];
    const planned = [{ protocol: 'TCP' as const, vip: '10.96.0.10', port: 53 }];
    expect(legacyVirtualServers(existing, planned, [])).toEqual(existing.slice(1));
    expect(legacyVirtualServers(existing, planned, ['192.168.56.248/29'])).toEqual([existing[1]]);
  });
});
