import { describe, expect, it } from 'vitest';
import { walkScenarioText } from '../../src/bench/walk.js';
import type { Cluster } from '../../src/cluster/build.js';
import { Conntrack, CtEntry } from '../../src/kernel/conntrack/conntrack.js';
import { showConntrack } from '../../src/kernel/show.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const UDP = 17;
const S = 1e9;

function entry(): CtEntry {
  return new CtEntry(1, { src: 1, dst: 2, protocol: UDP, sport: 1000, dport: 53 }, { src: 2, dst: 1, protocol: UDP, sport: 53, dport: 1000 });
}

describe('conntrack: a UDP stream is ASSURED only 2 s after its first packet (nf_conntrack_udp_packet, stream_ts)', () => {
  it('request, reply, request within 2 s: 30 s, not assured; a packet either way after 2 s: 120 s, assured (measured on Linux 6.18)', () => {
    const ct = new Conntrack();
    const e = entry();
    ct.update(e, 0, UDP, undefined, 0); // the first packet, not yet confirmed: stream_ts = 2 s
    e.confirmed = true;
    ct.update(e, 1, UDP, undefined, 0.001 * S); // the first reply: IPS_SEEN_REPLY only after it
    expect([e.assured, e.expiresNs]).toEqual([false, 30.001 * S]);
    ct.update(e, 0, UDP, undefined, 0.5 * S);
    expect([e.assured, e.expiresNs]).toEqual([false, 30.5 * S]);
    ct.update(e, 0, UDP, undefined, 2 * S); // not after stream_ts yet
    expect(e.assured).toBe(false);
    ct.update(e, 1, UDP, undefined, 2.2 * S); // a reply counts as well
    expect([e.assured, e.expiresNs]).toEqual([true, 122.2 * S]);
  });

  it('no reply: 30 s however long the originator sends', () => {
    const ct = new Conntrack();
    const e = entry();
    ct.update(e, 0, UDP, undefined, 0);
    e.confirmed = true;
    ct.update(e, 0, UDP, undefined, 5 * S);
    expect([e.assured, e.expiresNs]).toEqual([false, 35 * S]);
  });

  it('conntrack -L on a node: an answered train shows [ASSURED] only once it has lasted more than 2 s', () => {
    const show = (packets: number): string => {
      const text = walkScenarioText({ walk: 'cross-node', packets, intervalNs: 300_000_000, connected: true }).replace('reuseConnection: true}', 'reuseConnection: true, reply: 100}');
      const r = loadScenarioText(text);
      if (!r.ok) throw new Error('load');
      let cluster: Cluster | undefined;
      simulate(r.scenario, { onBuilt: (c) => (cluster = c) });
      return showConntrack(cluster!.nodes.get('node1')!).split('\n').find((l) => l.startsWith('udp') && l.includes('dport=53') && !l.includes('[UNREPLIED]'))!; // not the warm-up's
    };
    expect(show(3)).not.toContain('[ASSURED]'); // 0, 0.3, 0.6 s
    expect(show(9)).toContain('[ASSURED]'); // ... 2.4 s
  });
});
