import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng.js';
import { join } from 'node:path';
import { defaultRange, NatPortAllocator, NatPortKernel, natPortSearchFor, type NatPortRequest } from '../../src/kernel/conntrack/nat-port.js';
import { Netfilter } from '../../src/kernel/netfilter/netfilter.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { checkExpectations } from '../../src/scenario/run/expect.js';

const cpu0 = { busyUntil: 0 };
const cpu1 = { busyUntil: 0 };
const TCP = 6;
/** A request to 10.0.0.9:5432 masqueraded to 192.168.56.11 (the fields a test does not give). */
const req = (r: Omit<NatPortRequest, 'reply'> & { reply?: NatPortRequest['reply'] }): NatPortRequest => ({ reply: { src: 0x0a000009, dst: 0xc0a8380b, sport: 5432 }, ...r });
/** A kernel before 5.0 (a `kernel` step sets this on a machine). */
const oldKernel = (): NatPortKernel => Object.assign(new NatPortKernel(), { search: 'rover' as const });

describe('nf_nat source-port selection', () => {
  it('keeps a free original port unless told to randomise; a taken one is searched for', () => {
    const a = new NatPortAllocator(new Rng(1));
    expect(a.choose(TCP, req({ origPort: 40000, range: undefined, random: false, taken: () => false }), { cpu: cpu0, atNs: 0 }).port).toBe(40000);
    const r = a.choose(TCP, req({ origPort: 40000, range: undefined, random: 'fully', taken: () => false }), { cpu: cpu0, atNs: 0 });
    expect(r.range).toEqual([1024, 65535]);
    const moved = a.choose(TCP, req({ origPort: 40000, range: undefined, random: false, taken: (p) => p === 40000 }), { cpu: cpu0, atNs: 0 });
    expect(moved.port).not.toBe(40000);
    expect(moved.free).toBe(true);
  });

  it('moves a port within its class, or within --to-ports', () => {
    expect(defaultRange(22)).toEqual([1, 511]);
    expect(defaultRange(700)).toEqual([600, 1023]);
    expect(defaultRange(33000)).toEqual([1024, 65535]);
    const a = new NatPortAllocator(new Rng(2));
    const c = a.choose(TCP, req({ origPort: 33000, range: [40000, 40009], random: false, taken: () => false }), { cpu: cpu0, atNs: 0 });
    expect(c.port).toBeGreaterThanOrEqual(40000);
    expect(c.port).toBeLessThanOrEqual(40009);
  });

  it('rover (Linux < 5.0): two CPUs searching at the same instant start at the same rover and pick the same port', () => {
    const a = new NatPortAllocator(new Rng(3), oldKernel());
    const taken = (p: number): boolean => p === 41001 || p === 41002;
    const first = a.choose(TCP, req({ origPort: 41001, range: undefined, random: false, taken }), { cpu: cpu0, atNs: 100 });
    const second = a.choose(TCP, req({ origPort: 41002, range: undefined, random: false, taken }), { cpu: cpu1, atNs: 100 });
    expect(second.port).toBe(first.port);
    // On the same CPU (or later) the rover's new value is seen; the port it points at is then taken and skipped.
    const later = a.choose(TCP, req({ origPort: 41002, range: undefined, random: false, taken: (p) => taken(p) || p === first.port }), { cpu: cpu1, atNs: 200 });
    expect(later.port).toBe(first.port + 1);
  });

  it("--random before 5.0: the search starts at a keyed hash of the NAT address and the destination, so two connections to one destination NATed at once still clash; the rover is left alone", () => {
    const a = new NatPortAllocator(new Rng(9), oldKernel());
    const taken = (p: number): boolean => p === 41001 || p === 41002;
    const first = a.choose(TCP, req({ origPort: 41001, range: undefined, random: 'hash', taken }), { cpu: cpu0, atNs: 100 });
    const second = a.choose(TCP, req({ origPort: 41002, range: undefined, random: 'hash', taken }), { cpu: cpu1, atNs: 100 });
    expect(second.port).toBe(first.port);
    // Later, with the first connection's port taken: the next one after the same start.
    const later = a.choose(TCP, req({ origPort: 41002, range: undefined, random: 'hash', taken: (p) => taken(p) || p === first.port }), { cpu: cpu1, atNs: 200 });
    expect(later).toMatchObject({ port: first.port + 1, tries: 2 });
    // Another destination port hashes elsewhere; the rover was never written (a plain search starts at 0).
    const elsewhere = a.choose(TCP, req({ origPort: 41001, range: undefined, random: 'hash', taken, reply: { src: 0x0a000009, dst: 0xc0a8380b, sport: 6379 } }), { cpu: cpu0, atNs: 300 });
    expect(elsewhere.port).not.toBe(first.port);
    expect(a.choose(TCP, req({ origPort: 41001, range: undefined, random: false, taken }), { cpu: cpu0, atNs: 400 }).port).toBe(1024);
    // --random-fully draws each start: the pair does not meet.
    const b = new NatPortAllocator(new Rng(9), oldKernel());
    const f1 = b.choose(TCP, req({ origPort: 41001, range: undefined, random: 'fully', taken }), { cpu: cpu0, atNs: 100 });
    const f2 = b.choose(TCP, req({ origPort: 41002, range: undefined, random: 'fully', taken }), { cpu: cpu1, atNs: 100 });
    expect(f2.port).not.toBe(f1.port);
  });

  it("--random from 5.0: a random start, as --random-fully's", () => {
    const a = new NatPortAllocator(new Rng(10));
    const ports = [0, 1, 2].map(() => a.choose(TCP, req({ origPort: 41001, range: undefined, random: 'hash', taken: () => false }), { cpu: cpu0, atNs: 0 }).port);
    expect(new Set(ports).size).toBe(3);
  });

  it('random (Linux >= 5.0): 128 tries, then 64, 32, 16 and 8 from new offsets; a small range is searched once, whole', () => {
    const a = new NatPortAllocator(new Rng(4));
    const full = a.choose(TCP, req({ origPort: 40000, range: undefined, random: false, taken: () => true }), { cpu: cpu0, atNs: 0 });
    expect(full).toMatchObject({ free: false, tries: 128 + 64 + 32 + 16 + 8 });
    const small = a.choose(TCP, req({ origPort: 33000, range: [40000, 40099], random: 'fully', taken: () => true }), { cpu: cpu0, atNs: 0 });
    expect(small).toMatchObject({ free: false, tries: 100 });
    expect(natPortSearchFor(4)).toBe('rover');
    expect(natPortSearchFor(5)).toBe('random');
  });
});

describe("nf_nat's rover is the kernel's (a static of the module), not a namespace's", () => {
  it('two namespaces of one kernel advance one rover: the second starts where the first stopped', () => {
    const kernel = oldKernel();
    const node = new NatPortAllocator(new Rng(5), kernel);
    const pod = new NatPortAllocator(new Rng(6), kernel);
    const taken = (p: number): boolean => p >= 1024 && p < 1030;
    const first = node.choose(TCP, req({ origPort: 1024, range: undefined, random: false, taken }), { cpu: cpu0, atNs: 0 });
    expect(first.port).toBe(1030);
    const next = pod.choose(TCP, req({ origPort: 1024, range: undefined, random: false, taken: (p) => taken(p) || p === 1030 }), { cpu: cpu0, atNs: 10 });
    expect(next).toMatchObject({ port: 1031, tries: 2 }); // from the shared rover, not from 0 as its own would
    // Another machine's kernel has its own rover.
    const other = new NatPortAllocator(new Rng(7), oldKernel());
    expect(other.choose(TCP, req({ origPort: 1024, range: undefined, random: false, taken }), { cpu: cpu0, atNs: 10 }).tries).toBe(7);
  });

  it("in a cluster a pod shares its node's kernel, so a kernel step reaches its namespace too; other nodes keep their own", () => {
    const r = loadScenarioFile(join(import.meta.dirname, '..', '..', 'scenarios', 'gallery', 'snat-port-race.yaml'));
    if (!r.ok) throw new Error('load');
    const cluster = simulate({ ...r.scenario, traffic: [], steps: r.scenario.steps.filter((s) => s.atNs === 0) }).cluster;
    const node1 = cluster.nodes.get('node1')!;
    const pod = cluster.pods.get('default/a1')!;
    expect(pod).not.toBe(node1);
    expect(pod.kernel).toBe(node1.kernel);
    expect(cluster.nodes.get('node3')!.kernel).not.toBe(node1.kernel);
    // Rules loaded in the pod's own namespace NAT with the node's kernel: Linux 4.19's rover, shared. The pod's
    // search starts where the node's stopped (its port is taken now, so one step further).
    const podNat = pod.enableNetfilter(new Netfilter()).natPorts;
    const first = node1.nf!.natPorts.choose(TCP, req({ origPort: 1024, range: undefined, random: false, taken: (p) => p === 1024 }), { cpu: cpu0, atNs: 0 });
    const next = podNat.choose(TCP, req({ origPort: 1024, range: undefined, random: false, taken: (p) => p === 1024 || p === first.port }), { cpu: cpu0, atNs: 10 });
    expect(next).toMatchObject({ port: first.port + 1, tries: 2 });
    // node3 had no kernel step: Linux >= 5.0's random search, 248 tries when everything is taken (a rover walks the whole range).
    const node3 = new NatPortAllocator(new Rng(8), cluster.nodes.get('node3')!.kernel.natPorts);
    expect(node3.choose(TCP, req({ origPort: 1024, range: undefined, random: false, taken: () => true }), { cpu: cpu0, atNs: 0 }).tries).toBe(128 + 64 + 32 + 16 + 8);
  });
});

describe('MASQUERADE --random in a cluster', () => {
  it('on Linux 4.19 two connections to one destination NATed at once on two CPUs clash, whatever their own ports; on 6.1 they do not', () => {
    const r = loadScenarioFile(join(import.meta.dirname, 'fixtures', 'snat-random', 'snat-random.yaml'));
    if (!r.ok) throw new Error('load');
    const res = simulate(r.scenario);
    expect(checkExpectations(res.flows)).toEqual([]);
    // The retransmission takes the port after the one both hashed to.
    const ports = res.events.flatMap((e) => (e.kind === 'nat' && e.type === 'MASQUERADE' && e.first && e.t < 5e9 ? [Number(e.after.split(' ')[0]!.split(':')[1])] : []));
    expect(ports).toHaveLength(3);
    expect(ports[1]).toBe(ports[0]);
    expect(ports[2]).toBe(ports[0]! + 1);
  });
});
