import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

describe('TCP MSS after PMTU (tcp_v4_mtu_reduced)', () => {
  it('a fragmentation-needed lowers the MSS to the path MTU and the data goes again, cut to size, at once', () => {
    const r = loadScenarioFile(join(import.meta.dirname, '..', '..', 'scenarios', 'tcp-mss-after-pmtu.yaml'));
    if (!r.ok) throw new Error('load');
    const res = simulate(r.scenario);
    const f = res.flows.find((x) => x.flow === 'bulk')!;
    expect(f.connection).toMatchObject({ outcome: 'complete', retransmits: 0 });
    const mss = res.events.filter((e) => e.kind === 'tcp' && e.action === 'mss');
    expect(mss).toHaveLength(1); // the second ICMP finds the MSS already lowered
    expect(mss[0]).toMatchObject({ detail: expect.stringContaining('MSS 1460 -> 1410') });
    // Every data segment that reached the server fits the 1450-byte overlay.
    const atServer = res.events.filter((e) => e.kind === 'rx' && e.at === 'default/server:eth0' && e.frame.proto === 'tcp');
    expect(atServer.length).toBeGreaterThan(3);
    for (const e of atServer) if (e.kind === 'rx') expect(e.frame.len - 14).toBeLessThanOrEqual(1450);
    // All within a few milliseconds: no retransmission timer (1 s) was waited for.
    expect(res.events.find((e) => e.kind === 'tcp' && e.action === 'complete')!.t).toBeLessThan(5e6);
  });
});
