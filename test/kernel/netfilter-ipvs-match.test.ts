import { describe, expect, it } from 'vitest';
import { Netfilter, NetfilterParseError } from '../../src/kernel/netfilter/netfilter.js';
import type { IpvsConnView, NfEnv, NfPacket } from '../../src/kernel/netfilter/types.js';
import { env, ip, load, tcp, udp } from './netfilter-fixtures.js';

const saved = (rule: string): string => load(`*filter\n-A OUTPUT ${rule} -j DROP\nCOMMIT\n`).list('filter', 'OUTPUT')[0]!.rules[0]!;

function refused(rule: string): string {
  try {
    new Netfilter().restore(`*filter\n-A OUTPUT ${rule} -j DROP\nCOMMIT\n`);
  } catch (e) {
    if (e instanceof NetfilterParseError) return e.reason;
    throw e;
  }
  return 'accepted';
}

/** The node's SYN to the VIP 203.0.113.10:80 after IPVS sent it to the real server 10.244.2.2:8080. */
const sent = (extra: Partial<NfPacket> = {}): NfPacket => tcp('203.0.113.10', '10.244.2.2', 8080, { sport: 33548, ipvs: 'original', ...extra });
const conn: IpvsConnView = { vip: ip('203.0.113.10'), vport: 80 };

/** An environment whose IPVS knows `c` as the connection of the client 203.0.113.10:33548 to 10.244.2.2:8080 (null: none). */
function ipvsEnv(c: IpvsConnView | null = conn): NfEnv {
  return { ...env(), ipvsConn: (p) => (c !== null && p.src === ip('203.0.113.10') && p.sport === 33548 && p.dst === ip('10.244.2.2') && p.dport === 8080 ? c : undefined) };
}

const verdict = (rule: string, p: NfPacket, e = ipvsEnv()): string => load(`*filter\n-A OUTPUT ${rule} -j DROP\nCOMMIT\n`).traverse('filter', 'OUTPUT', p, e).verdict;

describe('-m ipvs: parsed and saved as libxt_ipvs does (iptables 1.8.9)', () => {
  it('prints --vproto by number, then --vaddr (a /32 without its mask), --vport, --vdir, --vmethod, --vportctl', () => {
    // What kube-proxy writes in KUBE-IPVS-OUT-FILTER, and what iptables-save shows of it.
    expect(saved('-s 203.0.113.10 -m ipvs --vaddr 203.0.113.10 --vproto tcp --vport 80')).toBe('-A OUTPUT -s 203.0.113.10/32 -m ipvs --vproto 6 --vaddr 203.0.113.10 --vport 80 -j DROP');
    // libipt_ipvs.t's form round-trips as it is.
    expect(saved('-m ipvs --vproto 6 --vaddr 1.2.3.4/24 --vport 22 --vdir ORIGINAL --vmethod GATE')).toBe('-A OUTPUT -m ipvs --vproto 6 --vaddr 1.2.3.4/24 --vport 22 --vdir ORIGINAL --vmethod GATE -j DROP');
    expect(saved('-m ipvs ! --vaddr 10.0.0.0/8 --vdir reply --vmethod masq ! --vportctl 21')).toBe('-A OUTPUT -m ipvs ! --vaddr 10.0.0.0/8 --vdir REPLY --vmethod MASQ ! --vportctl 21 -j DROP');
    expect(saved('-m ipvs --vaddr 1.2.3.4/32 --vproto udp')).toBe('-A OUTPUT -m ipvs --vproto 17 --vaddr 1.2.3.4 -j DROP');
  });

  it('prints --ipvs only when it is alone (every other option implies it)', () => {
    expect(saved('-m ipvs --ipvs')).toBe('-A OUTPUT -m ipvs --ipvs -j DROP');
    expect(saved('-m ipvs ! --ipvs')).toBe('-A OUTPUT -m ipvs ! --ipvs -j DROP');
    expect(saved('-m ipvs --ipvs --vport 80')).toBe('-A OUTPUT -m ipvs --vport 80 -j DROP');
  });

  it('refuses what libxt_ipvs refuses', () => {
    expect(refused('-m ipvs')).toBe('IPVS: At least one option is required');
    expect(refused('-m ipvs ! --ipvs --vport 80')).toBe('! --ipvs cannot be together with other options');
    expect(refused('-m ipvs --vdir sideways')).toBe('ipvs: Bad value for "--vdir" option: "sideways"');
    expect(refused('-m ipvs ! --vdir REPLY')).toBe('ipvs: unexpected "!" with --vdir');
    expect(refused('-m ipvs --vmethod DR')).toBe('ipvs: Bad value for "--vmethod" option: "DR"');
    expect(refused('-m ipvs --vaddr 10.0.0.0/255.0.0.0')).toBe('ipvs: bad value for option "--vaddr", or out of range (0-32).');
    expect(refused('-m ipvs --vproto nosuch')).toBe('unknown protocol "nosuch" specified');
    expect(refused('-m ipvs --vport 70000')).toContain('does not resolve to anything');
  });
});

describe('-m ipvs: the kernel`s ipvs_mt', () => {
  it('--ipvs alone tests skb->ipvs_property and needs no connection', () => {
    expect(verdict('-m ipvs --ipvs', sent(), ipvsEnv(null))).toBe('DROP');
    expect(verdict('-m ipvs --ipvs', tcp('10.244.1.2', '10.244.2.2', 8080))).toBe('ACCEPT');
    expect(verdict('-m ipvs ! --ipvs', tcp('10.244.1.2', '10.244.2.2', 8080))).toBe('DROP');
  });

  it('any other option implies the property, even negated: a packet IPVS never touched matches none', () => {
    const plain = tcp('203.0.113.10', '10.244.2.2', 8080, { sport: 33548 });
    expect(verdict('-m ipvs --vaddr 203.0.113.10', plain)).toBe('ACCEPT');
    expect(verdict('-m ipvs ! --vaddr 198.51.100.1', plain)).toBe('ACCEPT');
    expect(verdict('-m ipvs ! --vaddr 198.51.100.1', sent())).toBe('DROP');
  });

  it('finds the connection by the client`s packet as IPVS sent it on; no connection, no match (even negated)', () => {
    expect(verdict('-s 203.0.113.10 -m ipvs --vaddr 203.0.113.10 --vproto tcp --vport 80', sent())).toBe('DROP');
    expect(verdict('-m ipvs --vaddr 203.0.113.0/24', sent())).toBe('DROP');
    expect(verdict('-m ipvs --vaddr 203.0.113.11', sent())).toBe('ACCEPT');
    expect(verdict('-m ipvs --vport 443', sent())).toBe('ACCEPT');
    expect(verdict('-m ipvs ! --vport 443', sent())).toBe('DROP');
    // A reply (real server -> client) is not found by the inverted lookup.
    expect(verdict('-m ipvs ! --vport 443', tcp('10.244.2.2', '203.0.113.10', 33548, { sport: 8080, ipvs: 'reply' }))).toBe('ACCEPT');
    expect(verdict('-m ipvs ! --vport 443', sent(), ipvsEnv(null))).toBe('ACCEPT');
  });

  it('--vproto tests the packet`s protocol; only TCP, UDP and SCTP have IPVS connections', () => {
    expect(verdict('-m ipvs --vproto udp', sent())).toBe('ACCEPT');
    expect(verdict('-m ipvs ! --vproto udp', sent())).toBe('DROP');
    expect(verdict('-m ipvs ! --vproto udp', { ...sent(), protocol: 1 })).toBe('ACCEPT');
    expect(verdict('-m ipvs --vport 80', udp('203.0.113.10', '10.244.2.2', 8080, { sport: 33548, ipvs: 'original' }))).toBe('DROP');
  });

  it('--vdir reads the conntrack direction; an untracked packet matches neither', () => {
    expect(verdict('-m ipvs --vdir ORIGINAL', sent())).toBe('DROP');
    expect(verdict('-m ipvs --vdir REPLY', sent())).toBe('ACCEPT');
    expect(verdict('-m ipvs --vdir REPLY', sent({ ipvs: 'reply' }))).toBe('DROP');
    expect(verdict('-m ipvs --vdir ORIGINAL', sent({ ipvs: 'untracked' }))).toBe('ACCEPT');
  });

  it('--vmethod: every connection is masq (kube-proxy`s real servers); --vportctl: the controlling template`s port', () => {
    expect(verdict('-m ipvs --vmethod MASQ', sent())).toBe('DROP');
    expect(verdict('-m ipvs --vmethod GATE', sent())).toBe('ACCEPT');
    expect(verdict('-m ipvs ! --vmethod IPIP', sent())).toBe('DROP');
    expect(verdict('-m ipvs --vportctl 80', sent())).toBe('ACCEPT');
    expect(verdict('-m ipvs ! --vportctl 80', sent())).toBe('DROP');
    expect(verdict('-m ipvs --vportctl 80', sent(), ipvsEnv({ ...conn, control: { vport: 80 } }))).toBe('DROP');
  });
});
