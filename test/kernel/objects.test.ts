import { describe, expect, it } from 'vitest';
import { Rng, Scheduler } from '../../src/engine/index.js';
import { FDB_AGEING_NS, formatRoute, NetNs, NEIGH_DEFAULTS, World } from '../../src/kernel/index.js';
import { Tracer } from '../../src/trace/tracer.js';
import { formatIpv4, parseIpv4 } from '../../src/wire/addr.js';

function world(): World {
  return new World(new Scheduler(), new Rng(1), new Tracer(true));
}

describe('FIB: longest prefix, local table first, ip route formatting', () => {
  const w = world();
  const ns = new NetNs(w, 'n');
  const eth0 = ns.addUplink('eth0');
  const br = ns.addBridge('cbr0');
  ns.addAddress(eth0, '192.168.56.11/24');
  ns.addAddress(br, '10.244.1.1/24');
  ns.addRoute('default', { via: '192.168.56.1', dev: eth0 });
  ns.addRoute('10.244.0.0/16', { via: '192.168.56.99', dev: eth0 });
  ns.addRoute('10.244.2.0/24', { via: '10.244.2.0', dev: br, onlink: true });
  const cases: [string, string][] = [
    ['10.244.1.7', '10.244.1.0/24 dev cbr0 proto kernel scope link src 10.244.1.1'],
    ['10.244.2.9', '10.244.2.0/24 via 10.244.2.0 dev cbr0 onlink'],
    ['10.244.3.9', '10.244.0.0/16 via 192.168.56.99 dev eth0'],
    ['8.8.8.8', 'default via 192.168.56.1 dev eth0'],
    ['192.168.56.11', 'local 192.168.56.11 dev eth0 proto kernel scope host src 192.168.56.11'],
    ['192.168.56.255', 'broadcast 192.168.56.255 dev eth0 proto kernel scope link src 192.168.56.11'],
    ['127.0.0.5', 'local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1'],
  ];
  for (const [dst, want] of cases) it(`${dst} -> ${want}`, () => expect(formatRoute(ns.fib.lookup(parseIpv4(dst)!)!)).toBe(want));

  it('refuses a gateway that is not on-link without onlink, as the kernel does', () => {
    expect(() => ns.addRoute('10.9.0.0/16', { via: '10.99.0.1', dev: eth0 })).toThrow(/Network is unreachable/);
  });
});

describe('FIB: the same address on two devices (fib_magic appends, as `ip addr add` on Linux)', () => {
  it('keeps both local routes, the first device`s found by lookups; `ip route add` of the same route still fails', () => {
    const ns = new NetNs(world(), 'n');
    const eth0 = ns.addUplink('eth0');
    const dummy = ns.addBridge('kube-ipvs0');
    ns.addAddress(eth0, '192.168.56.11/24');
    ns.addAddress(dummy, '192.168.56.11/32', { noPrefixRoute: true });
    expect(ns.fib.list('local').filter((r) => r.dst.network === parseIpv4('192.168.56.11')).map(formatRoute)).toEqual([
      'local 192.168.56.11 dev eth0 proto kernel scope host src 192.168.56.11',
      'local 192.168.56.11 dev kube-ipvs0 proto kernel scope host src 192.168.56.11',
    ]);
    expect(formatRoute(ns.fib.lookup(parseIpv4('192.168.56.11')!)!)).toContain('dev eth0');
    expect(() => ns.addAddress(dummy, '192.168.56.11/32', { noPrefixRoute: true })).toThrow(/File exists/);
    expect(() => ns.addRoute('192.168.56.0/24', { dev: dummy })).toThrow(/File exists/);
  });
});

describe('neighbour table and bridge on a small LAN', () => {
  /** h1 and h2 on one bridge (in netns sw), like pods on cbr0. */
  function lan(hairpin: boolean) {
    const w = world();
    const sw = new NetNs(w, 'sw');
    const br = sw.addBridge('br0');
    const hosts = ['h1', 'h2'].map((name, i) => {
      const h = new NetNs(w, name);
      const [port, eth0] = sw.addVethPair(`p${i + 1}`, h, 'eth0');
      br.addPort(port, hairpin);
      h.addAddress(eth0, `10.0.0.${i + 1}/24`);
      return h;
    });
    return { w, br, h1: hosts[0]!, h2: hosts[1]! };
  }

  it('resolves, learns, and ages bridge entries after 300 s', () => {
    const { w, br, h1, h2 } = lan(true);
    h2.sockets.listenUdp(9);
    w.sched.at(0, () => h1.sockets.send({ dst: parseIpv4('10.0.0.2')!, protocol: 'UDP', port: 9, payload: 1, flow: 'f' }));
    w.sched.run();
    const e1 = h1.neigh.list().find((e) => formatIpv4(e.ip) === '10.0.0.2')!;
    expect(e1.state).toBe('REACHABLE');
    const e2 = h2.neigh.list().find((e) => formatIpv4(e.ip) === '10.0.0.1')!;
    expect(e2.state).toBe('STALE'); // learned from the request only
    expect(br.fdbEntries().filter((e) => !e.local)).toHaveLength(2);
    w.sched.at(FDB_AGEING_NS + 1e9, () => {});
    w.sched.run();
    expect(br.fdbEntries().filter((e) => !e.local)).toHaveLength(0);
    expect(h1.neigh.list().find((e) => formatIpv4(e.ip) === '10.0.0.2')!.state).toBe('STALE'); // reachable_time passed
  });

  it('fails after mcast_solicit requests, retrans_time apart, and reports host unreachable to the sender', () => {
    const { w, h1 } = lan(false);
    w.sched.at(0, () => h1.sockets.send({ dst: parseIpv4('10.0.0.77')!, protocol: 'UDP', port: 9, payload: 1, flow: 'f' }));
    w.sched.run();
    const requests = w.tracer.events.filter((e) => e.kind === 'arp' && e.action === 'request').map((e) => e.t);
    expect(requests).toEqual([0, 1e9, 2e9].slice(0, NEIGH_DEFAULTS.mcastSolicit));
    const drop = w.tracer.events.find((e) => e.kind === 'drop' && e.reason === 'neigh-failed');
    expect(drop?.t).toBe(3e9);
    expect(w.tracer.events.some((e) => e.kind === 'icmp' && e.message === 'host unreachable')).toBe(true);
    expect(w.inFlight.size).toBe(0);
  });

  it('without hairpin the sender does not hear its own broadcast; with hairpin it does', () => {
    for (const hairpin of [false, true]) {
      const { w, h1 } = lan(hairpin);
      w.sched.at(0, () => h1.sockets.send({ dst: parseIpv4('10.0.0.2')!, protocol: 'UDP', port: 9, payload: 1, flow: 'f' }));
      w.sched.run();
      // Only the broadcast at t=0: later, h2 re-checks its STALE entry for h1 with a unicast probe.
      const back = w.tracer.events.filter((e) => e.kind === 'rx' && e.t === 0 && e.at === 'h1:eth0' && e.frame.info.startsWith('ARP who-has'));
      expect(back).toHaveLength(hairpin ? 1 : 0);
    }
  });

  it('drops with forwarding-disabled when a host without ip_forward gets a packet for someone else', () => {
    const { w, h1, h2 } = lan(false);
    h1.addRoute('10.9.9.0/24', { via: '10.0.0.2', dev: h1.device('eth0')! });
    void h2;
    w.sched.at(0, () => h1.sockets.send({ dst: parseIpv4('10.9.9.9')!, protocol: 'UDP', port: 9, payload: 1, flow: 'f' }));
    w.sched.run();
    expect(w.tracer.events.some((e) => e.kind === 'drop' && e.reason === 'forwarding-disabled' && e.at === 'h2')).toBe(true);
  });
});

describe('ip addr del', () => {
  it('takes the address and the kernel routes made for it on that device, and leaves another device`s copy', () => {
    const ns = new NetNs(world(), 'n');
    const eth0 = ns.addUplink('eth0');
    const dummy = ns.addBridge('kube-ipvs0');
    ns.addAddress(eth0, '192.168.56.11/24');
    ns.addAddress(dummy, '192.168.56.11/32', { noPrefixRoute: true });
    ns.addAddress(dummy, '10.96.0.10/32', { noPrefixRoute: true });
    expect(ns.removeAddress(dummy, parseIpv4('10.96.0.10')!)).toBe(true);
    expect(ns.removeAddress(dummy, parseIpv4('10.96.0.10')!)).toBe(false);
    expect(ns.isLocal(parseIpv4('10.96.0.10')!)).toBe(false);
    expect(ns.fib.lookup(parseIpv4('10.96.0.10')!)).toBeUndefined();
    ns.removeAddress(dummy, parseIpv4('192.168.56.11')!);
    expect(ns.fib.list('local').filter((r) => r.dst.network === parseIpv4('192.168.56.11')).map(formatRoute)).toEqual(['local 192.168.56.11 dev eth0 proto kernel scope host src 192.168.56.11']);
  });
});
