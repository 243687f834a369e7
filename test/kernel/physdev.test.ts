import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/api/simulation.js';
import { Bridge } from '../../src/kernel/devices/bridge.js';
import type { Netfilter } from '../../src/kernel/netfilter/netfilter.js';
import { Veth } from '../../src/kernel/devices/veth.js';
import { env, load, udp } from './netfilter-fixtures.js';

const verdict = (rule: string, pkt: ReturnType<typeof udp>): string => load(`*filter\n:FORWARD DROP [0:0]\n-A FORWARD ${rule} -j ACCEPT\nCOMMIT\n`).traverse('filter', 'FORWARD', pkt, env()).verdict;

describe('-m physdev (xt_physdev)', () => {
  const routed = udp('10.244.1.2', '10.96.0.10', 53);
  const fromPort = udp('10.244.1.2', '10.96.0.10', 53, { physIn: 'veth1' });
  const bridged = udp('10.244.1.2', '10.244.1.3', 53, { physIn: 'veth1', physOut: 'veth2' });

  it('a packet that never entered a bridge port matches only all-negated options', () => {
    expect(verdict('-m physdev --physdev-is-bridged', routed)).toBe('DROP');
    expect(verdict('-m physdev ! --physdev-is-bridged', routed)).toBe('ACCEPT');
    expect(verdict('-m physdev --physdev-in veth1', routed)).toBe('DROP');
    expect(verdict('-m physdev ! --physdev-in veth1 ! --physdev-is-in', routed)).toBe('ACCEPT');
  });

  it('is-bridged wants an output port; a routed packet from a port has only an input port', () => {
    expect(verdict('-m physdev --physdev-is-bridged', bridged)).toBe('ACCEPT');
    expect(verdict('-m physdev --physdev-is-bridged', fromPort)).toBe('DROP');
    expect(verdict('-m physdev ! --physdev-is-bridged', fromPort)).toBe('ACCEPT');
    expect(verdict('-m physdev --physdev-is-in', fromPort)).toBe('ACCEPT');
    expect(verdict('-m physdev --physdev-is-out', fromPort)).toBe('DROP');
  });

  it('port names, wildcards and negation; --physdev-out holds while there is no output port', () => {
    expect(verdict('-m physdev --physdev-in veth1 --physdev-out veth2', bridged)).toBe('ACCEPT');
    expect(verdict('-m physdev --physdev-in veth+', bridged)).toBe('ACCEPT');
    expect(verdict('-m physdev ! --physdev-out veth2', bridged)).toBe('DROP');
    expect(verdict('-m physdev --physdev-out veth9', bridged)).toBe('DROP');
    expect(verdict('-m physdev --physdev-out veth9', fromPort)).toBe('ACCEPT');
  });

  it('a flooded bridged frame meets FORWARD once per egress port, each with that port as --physdev-out', () => {
    const sim = Simulation.fromFile(join(import.meta.dirname, '..', '..', 'scenarios', 'bridge-flood-br-netfilter.yaml'));
    const node = sim.cluster.netns.get('node1')!;
    const cbr0 = node.device('cbr0') as Bridge;
    const portOf = (pod: string): string => cbr0.portList().find((p) => p instanceof Veth && p.peer.ns.name === pod)!.name;
    // A rule only the copy bridged towards `other` can match.
    (node.nf!.engine as Netfilter).restore(`*filter\n-I FORWARD -m physdev --physdev-is-bridged --physdev-out ${portOf('default/other')} -j DROP\nCOMMIT\n`, { noflush: true });
    const res = sim.run();
    const late = res.events.filter((e) => e.t >= 400e9);
    expect(late.filter((e) => e.kind === 'netfilter' && e.chain === 'FORWARD' && e.bridged).length).toBe(3);
    const nfDrops = late.filter((e) => e.kind === 'drop' && e.reason === 'netfilter-drop');
    expect(nfDrops).toHaveLength(1); // only the copy for `other`; the one for client (hairpin) and b's pass
    expect(nfDrops[0]).toMatchObject({ detail: expect.stringContaining('--physdev-out') });
    expect(res.flow('after-fdb-ageing').verdict).toBe('delivered');
  });
});
