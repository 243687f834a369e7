import { describe, expect, it } from 'vitest';
import { planProxyRules } from '../../src/cluster/kube-proxy/index.js';
import { staleUdpFilters, udpCleanup } from '../../src/cluster/kube-proxy/conntrack-cleanup.js';
import { ep, port, service, slice, TEST_CONFIG } from './kube-proxy-helpers.js';

const udp = (extra = {}) => service('ns1', 'dns', '172.30.0.10', [port('dns', 53, { protocol: 'UDP', nodePort: 30053, ...extra })], { type: 'NodePort', externalIPs: ['203.0.113.5'] });
const eps = (...e: ReturnType<typeof ep>[]) => slice('ns1', 'dns', [{ name: 'dns', port: 53, protocol: 'UDP' }], e);
const plan = (...e: ReturnType<typeof ep>[]) => planProxyRules(TEST_CONFIG, [udp()], [eps(...e)]).ports;

describe('stale UDP conntrack clean-up (upstream pkg/proxy/conntrack CleanStaleEntries)', () => {
  it('keeps entries to a terminating endpoint that still serves; deletes those to an endpoint that does not', () => {
    const before = plan(ep('10.180.0.1'), ep('10.180.0.2'));
    const after = plan(ep('10.180.0.1', { ready: false, serving: true, terminating: true }), ep('10.180.0.2', { ready: false, serving: false, terminating: true }), ep('10.180.0.3'));
    const c = udpCleanup(before, after);
    expect(c.required).toBe(true);
    const entries = [
      { origDst: '172.30.0.10', origDport: 53, replySrc: '10.180.0.1' },
      { origDst: '172.30.0.10', origDport: 53, replySrc: '10.180.0.2' },
      { origDst: '203.0.113.5', origDport: 53, replySrc: '10.180.0.2' },
      { origDst: '192.168.0.2', origDport: 30053, replySrc: '10.180.0.2' },
      { origDst: '192.168.0.2', origDport: 30053, replySrc: '10.180.0.3' },
    ];
    expect(staleUdpFilters(entries, c.serving).map((f) => [f.origDst, f.origDport, f.replySrc])).toEqual([
      ['172.30.0.10', 53, '10.180.0.2'],
      ['203.0.113.5', 53, '10.180.0.2'],
      [undefined, 30053, '10.180.0.2'],
    ]);
  });

  it('leaves a port without serving endpoints alone, and once it has one deletes the entries not DNATed meanwhile', () => {
    const none = plan();
    const entry = { origDst: '172.30.0.10', origDport: 53, replySrc: '172.30.0.10' };
    expect(staleUdpFilters([entry], udpCleanup(plan(ep('10.180.0.1')), none).serving)).toEqual([]);
    const back = udpCleanup(none, plan(ep('10.180.0.1')));
    expect(back.required).toBe(true);
    expect(staleUdpFilters([entry], back.serving)).toEqual([{ origDst: '172.30.0.10', origDport: 53, replySrc: '172.30.0.10', servicePort: 'ns1/dns:dns' }]);
  });

  it('runs only when a UDP port`s endpoints changed (ConntrackCleanupRequired)', () => {
    expect(udpCleanup(plan(ep('10.180.0.1')), plan(ep('10.180.0.1'))).required).toBe(false);
    expect(udpCleanup(plan(ep('10.180.0.1')), plan(ep('10.180.0.1', { ready: false, terminating: true }))).required).toBe(true);
  });
});
