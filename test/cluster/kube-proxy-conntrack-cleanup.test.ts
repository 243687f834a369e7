import { describe, expect, it } from 'vitest';
import { planProxyRules } from '../../src/cluster/kube-proxy/index.js';
import { staleUdpFilters, udpCleanup } from '../../src/cluster/kube-proxy/conntrack-cleanup.js';
import { ep, port, service, slice, TEST_CONFIG } from './kube-proxy-helpers.js';

const udp = (extra = {}) => service('ns1', 'dns', '172.30.0.10', [port('dns', 53, { protocol: 'UDP', nodePort: 30053, ...extra })], { type: 'NodePort', externalIPs: ['203.0.113.5'] });
const eps = (e: ReturnType<typeof ep>[], targetPort = 53) => slice('ns1', 'dns', [{ name: 'dns', port: targetPort, protocol: 'UDP' }], e);
const plan = (...e: ReturnType<typeof ep>[]) => planProxyRules(TEST_CONFIG, [udp()], [eps(e)]).ports;
const entry = (origDst: string, origDport: number, replySrc: string, replySport = 53) => ({ origDst, origDport, replySrc, replySport });
const short = (fs: ReturnType<typeof staleUdpFilters>) => fs.map((f) => [f.origDst, f.origDport, `${f.replySrc}:${f.replySport}`, f.none]);

describe('stale UDP conntrack clean-up (upstream pkg/proxy/conntrack CleanStaleEntries, current)', () => {
  it('keeps entries to a terminating endpoint that still serves; deletes those to an endpoint that does not', () => {
    const before = plan(ep('10.180.0.1'), ep('10.180.0.2'));
    const after = plan(ep('10.180.0.1', { ready: false, serving: true, terminating: true }), ep('10.180.0.2', { ready: false, serving: false, terminating: true }), ep('10.180.0.3'));
    const c = udpCleanup(before, after);
    expect(c.required).toBe(true);
    const entries = [
      entry('172.30.0.10', 53, '10.180.0.1'),
      entry('172.30.0.10', 53, '10.180.0.2'),
      entry('203.0.113.5', 53, '10.180.0.2'),
      entry('192.168.0.2', 30053, '10.180.0.2'),
      entry('192.168.0.2', 30053, '10.180.0.3'),
    ];
    expect(short(staleUdpFilters(entries, c.serving))).toEqual([
      ['172.30.0.10', 53, '10.180.0.2:53', undefined],
      ['203.0.113.5', 53, '10.180.0.2:53', undefined],
      [undefined, 30053, '10.180.0.2:53', undefined],
    ]);
  });

  it('deletes an entry whose reply source port is not a serving endpoint`s (targetPort changed on the same pod; kubernetes#130542)', () => {
    const before = plan(ep('10.180.0.1'));
    const after = planProxyRules(TEST_CONFIG, [udp({ targetPort: 5353 })], [eps([ep('10.180.0.1')], 5353)]).ports;
    const c = udpCleanup(before, after);
    expect(c.required).toBe(true);
    expect(short(staleUdpFilters([entry('172.30.0.10', 53, '10.180.0.1', 53), entry('172.30.0.10', 53, '10.180.0.1', 5353)], c.serving))).toEqual([['172.30.0.10', 53, '10.180.0.1:53', undefined]]);
  });

  it('deletes every entry of a port left with no serving endpoint (kubernetes#139629), and once it has one the entries not DNATed meanwhile', () => {
    const none = plan();
    const dnated = entry('172.30.0.10', 53, '10.180.0.1');
    const gone = udpCleanup(plan(ep('10.180.0.1')), none);
    expect(gone.required).toBe(true);
    expect(short(staleUdpFilters([dnated, entry('192.168.0.2', 30053, '10.180.0.1')], gone.serving))).toEqual([
      ['172.30.0.10', 53, '10.180.0.1:53', 'no-serving'],
      [undefined, 30053, '10.180.0.1:53', 'no-serving'],
    ]);
    const notDnated = entry('172.30.0.10', 53, '172.30.0.10');
    const back = udpCleanup(none, plan(ep('10.180.0.1')));
    expect(back.required).toBe(true);
    expect(short(staleUdpFilters([notDnated], back.serving))).toEqual([['172.30.0.10', 53, '172.30.0.10:53', undefined]]);
  });

  it('deletes the entries of a deleted UDP Service (kubernetes#141371)', () => {
    const before = plan(ep('10.180.0.1'));
    const after = planProxyRules(TEST_CONFIG, [], []).ports;
    const c = udpCleanup(before, after);
    expect(c.required).toBe(true);
    expect(short(staleUdpFilters([entry('172.30.0.10', 53, '10.180.0.1'), entry('10.0.0.9', 53, '10.180.0.1')], c.serving))).toEqual([['172.30.0.10', 53, '10.180.0.1:53', 'deleted']]);
  });

  it('runs only when a UDP port`s endpoints changed (ConntrackCleanupRequired)', () => {
    expect(udpCleanup(plan(ep('10.180.0.1')), plan(ep('10.180.0.1'))).required).toBe(false);
    expect(udpCleanup(plan(ep('10.180.0.1')), plan(ep('10.180.0.1', { ready: false, terminating: true }))).required).toBe(true);
  });
});
