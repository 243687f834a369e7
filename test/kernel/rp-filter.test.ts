import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng.js';
import { Scheduler } from '../../src/engine/scheduler.js';
import { NetNs } from '../../src/kernel/netns.js';
import { rpFilterMode, validateSource } from '../../src/kernel/ipv4/rp-filter.js';
import { World } from '../../src/kernel/world.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { Tracer } from '../../src/trace/tracer.js';
import { parseCidr } from '../../src/wire/addr.js';

const ip = (s: string): number => parseCidr(`${s}/32`)!.address;

/** A router with eth0 (192.168.56.0/24, default route) and flannel.1 (10.244.1.0/24 behind it). */
function router(): { ns: NetNs; eth0: ReturnType<NetNs['addUplink']>; tun: ReturnType<NetNs['addUplink']> } {
  const ns = new NetNs(new World(new Scheduler(), new Rng(1), new Tracer(true)), 'node2');
  const eth0 = ns.addUplink('eth0');
  const tun = ns.addUplink('flannel.1');
  ns.addAddress(eth0, '192.168.56.12/24');
  ns.addAddress(tun, '10.244.2.0/32');
  ns.addRoute('default', { via: '192.168.56.1', dev: eth0 });
  ns.addRoute('10.244.1.0/24', { via: '10.244.1.0', dev: tun, onlink: true });
  return { ns, eth0, tun };
}

describe('rp_filter (fib_validate_source)', () => {
  it('uses the larger of all and the device value, default for devices without one', () => {
    const { ns, eth0, tun } = router();
    ns.sysctl.rpFilter = { all: 1, default: 2, dev: new Map([['flannel.1', 0]]) };
    expect(rpFilterMode(ns.sysctl.rpFilter, eth0)).toBe(2);
    expect(rpFilterMode(ns.sysctl.rpFilter, tun)).toBe(1);
  });

  it('strict drops a source whose route back leaves by another device; loose and off let it through', () => {
    const { ns, eth0 } = router();
    ns.sysctl.rpFilter = { all: 1, default: 1, dev: new Map() };
    expect(validateSource(ns, eth0, ip('10.244.1.2'))).toMatchObject({ ok: false, reason: 'rp-filter', reverse: '10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink' });
    expect(validateSource(ns, eth0, ip('192.168.56.100'))).toEqual({ ok: true });
    expect(validateSource(ns, eth0, ip('8.8.8.8'))).toEqual({ ok: true }); // the default route leaves by eth0
    ns.sysctl.rpFilter = { all: 2, default: 0, dev: new Map() };
    expect(validateSource(ns, eth0, ip('10.244.1.2'))).toMatchObject({ ok: true, asymmetric: {} });
    ns.sysctl.rpFilter = { all: 0, default: 0, dev: new Map() };
    expect(validateSource(ns, eth0, ip('10.244.1.2'))).toEqual({ ok: true });
  });

  it('loose mode drops only what has no route back at all', () => {
    const { ns, eth0 } = router();
    ns.fib.delete((r) => r.dst.prefix === 0);
    ns.sysctl.rpFilter = { all: 2, default: 2, dev: new Map() };
    expect(validateSource(ns, eth0, ip('8.8.8.8'))).toMatchObject({ ok: false, reason: 'rp-filter', reverse: 'none' });
  });

  it('a packet from one of our own addresses is a martian, rp_filter or not', () => {
    const { ns, eth0 } = router();
    expect(validateSource(ns, eth0, ip('192.168.56.12'))).toMatchObject({ ok: false, reason: 'martian' });
  });

  it('scenarios: strict drops the pod→other node NodePort packet; 0 lets it through without an event', () => {
    const strict = readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'rp-filter-strict.yaml'), 'utf8');
    const run = (text: string) => {
      const r = loadScenarioText(text);
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return simulate(r.scenario);
    };
    const s = run(strict);
    expect(s.flows.find((f) => f.flow === 'pod-to-other-nodes-nodeport')).toMatchObject({ verdict: 'dropped', dropReason: 'rp-filter' });
    const off = run(strict.replace('net.ipv4.conf.all.rp_filter: 1', 'net.ipv4.conf.all.rp_filter: 0').replace('net.ipv4.conf.default.rp_filter: 1', 'net.ipv4.conf.default.rp_filter: 0'));
    expect(off.flows.find((f) => f.flow === 'pod-to-other-nodes-nodeport')!.verdict).toBe('delivered');
    expect(off.events.some((e) => e.kind === 'rpfilter')).toBe(false);
    // all = 1 alone: the devices keep the default 2, and the kernel takes the larger.
    const allOnly = run(strict.replace('    net.ipv4.conf.default.rp_filter: 1\n', ''));
    expect(allOnly.flows.find((f) => f.flow === 'pod-to-other-nodes-nodeport')!.verdict).toBe('delivered');
    // The device's own value counts too: strict on eth0 only needs `all` below it (its default is 2).
    const eth0 = run(strict.replace('    net.ipv4.conf.all.rp_filter: 1\n    net.ipv4.conf.default.rp_filter: 1\n', '    net.ipv4.conf.all.rp_filter: 0\n    net.ipv4.conf.eth0.rp_filter: 1\n'));
    expect(eth0.flows.find((f) => f.flow === 'pod-to-other-nodes-nodeport')!.dropReason).toBe('rp-filter');
  });
});
