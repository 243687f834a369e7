import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { truesize } from '../../src/kernel/truesize.js';

// 400 datagrams, each from its own socket, to an on-link address nobody answers. Linux 6.18 (reviewer
// hreview-ip, unresolved_discards in /proc/net/stat/arp_cache): payload 10 -> 144 discarded, 256 queued;
// payload 1400 -> 308 discarded, 92 queued (unres_qlen_bytes 212992 counted in skb truesize).
const scenario = `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: q}
cluster:
  network: host-gw
  nodes: [{name: node1}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: lonely}, spec: {containers: [{name: c, image: busybox}]}}
traffic:
  - {name: small, from: pod/lonely, to: 10.244.1.99, protocol: UDP, port: 9, payload: 10, count: 400, interval: 10us}
  - {name: big, from: pod/lonely, to: 10.244.1.98, protocol: UDP, port: 9, payload: 1400, count: 400, interval: 10us}
`;

describe('the queue of packets waiting for ARP is limited in bytes (unres_qlen_bytes)', () => {
  it('truesize: 832 bytes for a small datagram, 2304 for a full-size one', () => {
    expect(truesize(38)).toBe(832);
    expect(truesize(1428)).toBe(2304);
  });

  it('256 small or 92 full-size datagrams wait; the older ones are discarded', () => {
    const r = loadScenarioText(scenario, 'q.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const res = simulate(r.scenario);
    const count = (name: string, reason: string) => res.flows.filter((f) => f.traffic.name === name && f.dropReason === reason).length;
    expect([count('small', 'neigh-queue-full'), count('small', 'neigh-failed')]).toEqual([144, 256]);
    expect([count('big', 'neigh-queue-full'), count('big', 'neigh-failed')]).toEqual([308, 92]);
    // The first ones go first: the last 256 sent are the ones that wait.
    expect(res.flows.filter((f) => f.traffic.name === 'small').findIndex((f) => f.dropReason === 'neigh-failed')).toBe(144);
  });
});
