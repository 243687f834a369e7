import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PmtuCache } from '../../src/kernel/ipv4/pmtu.js';
import { showRouteCache } from '../../src/kernel/show.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

describe('path MTU learning (route exceptions)', () => {
  it('lowers only, clamps to min_pmtu 552, and expires after mtu_expires (600 s)', () => {
    const c = new PmtuCache();
    expect(c.learn(1, 1500, 1500, 0)).toBe(false); // not lower than the route
    expect(c.learn(1, 1450, 1500, 0)).toBe(true);
    expect(c.get(1, 0)).toBe(1450);
    expect(c.learn(1, 1460, 1500, 1)).toBe(false); // higher than what was learned
    expect(c.learn(2, 300, 1500, 0)).toBe(true);
    expect(c.get(2, 0)).toBe(552);
    expect(c.get(1, 600e9 - 1)).toBe(1450);
    expect(c.get(1, 600e9)).toBeUndefined();
  });

  it('a pod that got "fragmentation needed" fragments the next datagram itself; ip route show cache shows the entry', () => {
    const r = loadScenarioFile(join(import.meta.dirname, '..', '..', 'scenarios', 'mtu-pmtu-learning.yaml'));
    if (!r.ok) throw new Error('load');
    const res = simulate(r.scenario);
    const second = res.flows.find((f) => f.flow === 'after-learning')!;
    const sent = res.events.filter((e) => e.kind === 'tx' && e.at === 'default/sender:eth0' && e.frame.dst === '10.244.2.2' && e.t >= 1e6);
    expect(sent.length).toBe(2); // two fragments, both within the learned 1450
    for (const e of sent) if (e.kind === 'tx') expect(e.frame.len).toBeLessThanOrEqual(1450 + 14);
    expect(second.verdict).toBe('delivered');
    expect(showRouteCache(res.cluster.netns.get('default/sender')!)).toMatch(/^10\.244\.2\.2 via 10\.244\.1\.1 dev eth0\n {4}cache expires 5\d\dsec mtu 1450$/);
  });
});
