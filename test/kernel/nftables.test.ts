import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng.js';
import { dumpRuleset, listRuleset, Nftables, NftError, walkBaseChain } from '../../src/kernel/nftables/index.js';
import type { NfEnv, NfPacket } from '../../src/kernel/netfilter/types.js';
import { parseIpv4 } from '../../src/wire/addr.js';

const env = (nowNs = 0, local: string[] = []): NfEnv => ({ nowNs, rng: new Rng(7), addrType: (a) => (local.map((x) => parseIpv4(x)).includes(a) ? 'LOCAL' : 'UNICAST') });
const pkt = (src: string, dst: string, dport = 80, protocol = 6): NfPacket => ({ src: parseIpv4(src)!, dst: parseIpv4(dst)!, protocol, sport: 40000, dport, mark: 0, ctstate: ['NEW'], length: 60 });

const RULESET = `
add table ip t { comment "test" ; }
add chain ip t pre { type nat hook prerouting priority dstnat ; }
add chain ip t fwd { type filter hook forward priority filter ; policy drop ; }
add chain ip t svc
add chain ip t ep-a
add chain ip t ep-b
add chain ip t mark
add map ip t dispatch { type ipv4_addr . inet_proto . inet_service : verdict ; }
add set ip t allowed { type ipv4_addr ; flags interval ; }
add rule ip t pre ip daddr . meta l4proto . th dport vmap @dispatch
add rule ip t svc jump mark
add rule ip t svc numgen random mod 2 vmap { 0 : goto ep-a , 1 : goto ep-b }
add rule ip t mark mark set mark or 0x4000
add rule ip t ep-a meta l4proto tcp dnat to 10.0.0.1:8080
add rule ip t ep-b meta l4proto tcp dnat to 10.0.0.2:8080
add rule ip t fwd ip saddr @allowed accept
add rule ip t fwd ct state new tcp dport { 22, 80-90 } counter accept
add element ip t dispatch { 10.96.0.1 . tcp . 80 : goto svc }
add element ip t allowed { 192.168.0.0/16, 10.1.2.3 }
`;

function hooked(nft: Nftables, hook: 'prerouting' | 'forward') {
  return nft.hooked(hook)[0]!;
}

describe('nftables: nft -f, evaluation, nft list ruleset', () => {
  it('dispatches through a verdict map with a concatenated key, numgen picks, the mark survives the jump', () => {
    const nft = new Nftables();
    nft.load(RULESET);
    const p = pkt('10.0.0.9', '10.96.0.1');
    const t = walkBaseChain(hooked(nft, 'prerouting'), p, env());
    expect(t.verdict).toBe('accept');
    expect(t.nat?.type).toBe('DNAT');
    expect(p.mark).toBe(0x4000);
    expect(t.elements[0]).toBe('@dispatch: 10.96.0.1 . tcp . 80 : goto svc');
    expect(t.lookups).toBe(2);
    expect(t.rules[0]).toBe('pre: ip daddr . meta l4proto . th dport vmap @dispatch');
    // A key that is not in the map: the rule does not match, the chain's policy applies.
    const miss = walkBaseChain(hooked(nft, 'prerouting'), pkt('10.0.0.9', '10.96.0.1', 81), env());
    expect(miss).toMatchObject({ verdict: 'accept', byPolicy: true });
    expect(miss.nat).toBeUndefined();
  });

  it('masquerade and snat carry random and fully-random to nf_nat, as iptables --random and --random-fully', () => {
    const nft = new Nftables();
    nft.load(`
add table ip m
add chain ip m post { type nat hook postrouting priority srcnat ; }
add rule ip m post ip daddr 1.1.1.1 masquerade random
add rule ip m post ip daddr 1.1.1.2 masquerade fully-random
add rule ip m post ip daddr 1.1.1.3 snat to 192.168.0.1 random,persistent
add rule ip m post ip daddr 1.1.1.4 masquerade
`);
    const post = nft.hooked('postrouting')[0]!;
    const nat = (dst: string) => walkBaseChain(post, pkt('10.0.0.9', dst), env()).nat;
    expect(nat('1.1.1.1')).toEqual({ type: 'MASQUERADE', random: true });
    expect(nat('1.1.1.2')).toEqual({ type: 'MASQUERADE', randomFully: true });
    expect(nat('1.1.1.3')).toEqual({ type: 'SNAT', toIp: parseIpv4('192.168.0.1'), random: true });
    expect(nat('1.1.1.4')).toEqual({ type: 'MASQUERADE' });
    // nft prints the flags as it reads them: comma-separated.
    expect(listRuleset(nft, 0)).toContain('snat to 192.168.0.1 random,persistent');
  });

  it('interval sets, anonymous sets with ranges, and a drop policy', () => {
    const nft = new Nftables();
    nft.load(RULESET);
    const fwd = hooked(nft, 'forward');
    expect(walkBaseChain(fwd, pkt('192.168.3.4', '1.1.1.1', 443), env()).verdict).toBe('accept');
    expect(walkBaseChain(fwd, pkt('10.1.2.3', '1.1.1.1', 443), env()).verdict).toBe('accept');
    expect(walkBaseChain(fwd, pkt('10.1.2.4', '1.1.1.1', 85), env()).verdict).toBe('accept');
    expect(walkBaseChain(fwd, pkt('10.1.2.4', '1.1.1.1', 443), env())).toMatchObject({ verdict: 'drop', byPolicy: true });
  });

  it('a transaction commits entirely or not at all, and errors point at line and column', () => {
    const nft = new Nftables();
    nft.load(RULESET);
    const before = dumpRuleset(nft);
    let err: unknown;
    try {
      nft.load('add element ip t allowed { 10.9.9.9 }\nadd rule ip t svc jump nowhere\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NftError);
    expect((err as NftError).line).toBe(2);
    expect((err as NftError).message).toMatch(/No such file or directory: chain nowhere/);
    expect(dumpRuleset(nft)).toBe(before);
    expect(() => nft.load('add rule ip t fwd ip daddr @dispatch accept')).toThrow(/is a map, not a set/);
    expect(() => nft.load('add chain ip t x { type nat hook forward priority 0 ; }')).toThrow(/nat chain cannot hook forward/);
  });

  it('goto does not return to the chain that went there; return goes back to the last jump', () => {
    const nft = new Nftables();
    nft.load(`add table ip t
add chain ip t in { type filter hook input priority 0 ; }
add chain ip t a
add chain ip t b
add rule ip t in jump a
add rule ip t in mark set mark or 0x2
add rule ip t a goto b
add rule ip t a mark set mark or 0x1
add rule ip t b return
`);
    const p = pkt('1.1.1.1', '2.2.2.2');
    walkBaseChain(nft.hooked('input')[0]!, p, env());
    expect(p.mark).toBe(0x2); // a's own mark rule never ran: b returned to `in`
  });

  it('dynamic sets with a timeout: update adds or refreshes, lookups stop matching once it lapsed', () => {
    const nft = new Nftables();
    nft.load(`add table ip t
add chain ip t pre { type filter hook prerouting priority -110 ; }
add set ip t seen { type ipv4_addr ; flags dynamic,timeout ; timeout 10s ; }
add rule ip t pre ip saddr @seen mark set mark or 0x1
add rule ip t pre update @seen { ip saddr }
`);
    const pre = nft.hooked('prerouting')[0]!;
    const first = pkt('10.0.0.5', '1.1.1.1');
    walkBaseChain(pre, first, env(0));
    expect(first.mark).toBe(0);
    const again = pkt('10.0.0.5', '1.1.1.1');
    walkBaseChain(pre, again, env(9e9));
    expect(again.mark).toBe(1); // refreshed at 9 s: lives until 19 s
    const late = pkt('10.0.0.5', '1.1.1.1');
    walkBaseChain(pre, late, env(18e9));
    expect(late.mark).toBe(1);
    const lapsed = pkt('10.0.0.5', '1.1.1.1');
    walkBaseChain(pre, lapsed, env(40e9)); // refreshed at 18 s, gone at 28 s: not seen, then added afresh
    expect(lapsed.mark).toBe(0);
    // Linux 6.18 (nft 1.0.6, netns): an element update adds with the set's timeout lists `expires` alone;
    // before 6.12 (commit 4c5daea9af4f) nf_tables_fill_setelem sent its timeout too.
    expect(listRuleset(nft, 41e9)).toContain('elements = { 10.0.0.5 expires 9s }');
    expect(listRuleset(nft, 41e9, true)).toContain('elements = { 10.0.0.5 timeout 10s expires 9s }');
    // nft_dynset gives a set the packet path writes a size of 65535 (nft 1.0.6 on Linux 6.18 lists it so).
    expect(listRuleset(nft, 41e9)).toContain('set seen {\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout 10s\n');
    const reloaded = new Nftables();
    reloaded.load(listRuleset(nft, 0).replace(/\n\t\telements = .*\n/, '\n'));
    expect(listRuleset(reloaded, 0)).toBe(listRuleset(nft, 0).replace(/\n\t\telements = .*\n/, '\n'));
  });

  it('element timeouts: listed only when they differ from the set\'s (nft add element, nft 1.0.6 on Linux 6.18 and 6.1 alike)', () => {
    const nft = new Nftables();
    nft.load(`add table ip t
add set ip t s { type ipv4_addr ; flags timeout ; timeout 3h ; }
add set ip t n { type ipv4_addr ; flags timeout ; }
add element ip t s { 10.0.0.1, 10.0.0.2 timeout 3h, 10.0.0.3 timeout 1h }
add element ip t n { 10.0.0.4 timeout 1h, 10.0.0.5 }`);
    for (const old of [false, true]) {
      const listed = listRuleset(nft, 20e6, old);
      expect(listed).toContain('elements = { 10.0.0.1 expires 2h59m59s980ms, 10.0.0.2 expires 2h59m59s980ms,\n\t\t\t     10.0.0.3 timeout 1h expires 59m59s980ms }');
      expect(listed).toContain('elements = { 10.0.0.4 timeout 1h expires 59m59s980ms, 10.0.0.5 }');
    }
  });

  // nft 1.0.6 on Linux 6.18: flags in nft's order; `dynamic` added by nft only to a set sent with the rule that updates it.
  it('set flags: listed in nft order; a set an update rule of the same transaction writes becomes dynamic', () => {
    const nft = new Nftables();
    nft.load(`add table ip t
add chain ip t c
add set ip t a { type ipv4_addr ; flags timeout,dynamic ; }
add set ip t same { type ipv4_addr ; flags timeout ; }
add set ip t earlier { type ipv4_addr ; flags timeout ; }
add rule ip t c add @same { ip saddr }`);
    nft.load('add rule ip t c add @earlier { ip saddr }');
    const listed = listRuleset(nft, 0);
    expect(listed).toContain('set a {\n\t\ttype ipv4_addr\n\t\tflags dynamic,timeout\n');
    expect(listed).toContain('set same {\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags dynamic,timeout\n');
    expect(listed).toContain('set earlier {\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags timeout\n');
  });

  it('nft list ruleset prints named priorities and nft-normalized rules, and loads back to the same ruleset', () => {
    const nft = new Nftables();
    nft.load(RULESET);
    nft.load('add chain ip t early { type filter hook prerouting priority dstnat - 10 ; }\nadd rule ip t early mark and 0x4000 == 0 return');
    const listed = listRuleset(nft, 0);
    expect(listed).toContain('type filter hook prerouting priority dstnat - 10; policy accept;');
    expect(listed).toContain('type filter hook forward priority filter; policy drop;');
    expect(listed).toContain('meta mark set meta mark | 0x00004000');
    expect(listed).toContain('meta mark & 0x00004000 == 0x00000000 return');
    const again = new Nftables();
    again.load(listed);
    expect(listRuleset(again, 0)).toBe(listed);
  });

  // Expected text: what nft 1.0.6 listed for the same sets and rules on Linux 6.18.
  it('nft list sorts elements and lays them out as nft does; a one-element anonymous set of one value is a comparison', () => {
    const nft = new Nftables();
    nft.load(`add table ip t
add chain ip t c
add set ip t ips { type ipv4_addr ; }
add set ip t ports { type inet_service ; }
add set ip t marks { type mark ; }
add set ip t r { type ipv4_addr ; flags interval ; }
add map ip t pv { type inet_proto . inet_service : verdict ; }
add map ip t svc { type ipv4_addr . inet_proto . inet_service : verdict ; }
add element ip t ips { 10.96.0.12, 10.96.0.1, 10.96.0.11, 10.96.0.100, 10.96.0.10 }
add element ip t ports { 80, 53, 443, 8080, 9000, 22, 30080 }
add element ip t marks { 0x10, 0x3, 0x4000, 0x1, 0x2, 0x7, 0x8 }
add element ip t r { 10.0.2.0/24, 10.0.0.0/24, 192.168.0.1-192.168.0.9, 10.0.9.9 }
add element ip t pv { udp . 30053 : goto c, tcp . 30080 : goto c, tcp . 30001 : goto c, udp . 256 : goto c, tcp . 1 : goto c }
add element ip t svc { 10.96.0.12 . tcp . 80 : goto c, 10.96.0.1 . tcp . 443 : goto c, 10.96.0.10 . udp . 53 : goto c }
add rule ip t c tcp dport { 443, 80, 22 } accept
add rule ip t c ip daddr { 10.96.0.0/12 } drop
add rule ip t c ip saddr != { 192.168.56.100-192.168.56.110 } drop
add rule ip t c numgen random mod 3 vmap { 2 : goto c, 0 : goto c, 1 : goto c }`);
    const listed = listRuleset(nft, 0);
    const pad = '\t\t\t     ';
    expect(listed).toContain(`elements = { 10.96.0.1, 10.96.0.10,\n${pad}10.96.0.11, 10.96.0.12,\n${pad}10.96.0.100 }`);
    expect(listed).toContain(`elements = { 22, 53, 80, 443, 8080,\n${pad}9000, 30080 }`);
    expect(listed).toContain(`elements = { 0x00000001, 0x00000002, 0x00000003, 0x00000007, 0x00000008,\n${pad}0x00000010, 0x00004000 }`);
    expect(listed).toContain(`elements = { 10.0.0.0/24, 10.0.2.0/24,\n${pad}10.0.9.9, 192.168.0.1-192.168.0.9 }`);
    expect(listed).toContain(
      `elements = { udp . 256 : goto c,\n${pad}tcp . 1 : goto c,\n${pad}tcp . 30001 : goto c,\n${pad}udp . 30053 : goto c,\n${pad}tcp . 30080 : goto c }`,
    );
    expect(listed).toContain(`elements = { 10.96.0.10 . udp . 53 : goto c,\n${pad}10.96.0.12 . tcp . 80 : goto c,\n${pad}10.96.0.1 . tcp . 443 : goto c }`);
    expect(listed).toContain('\t\ttcp dport { 22, 80, 443 } accept\n');
    expect(listed).toContain('\t\tip daddr 10.96.0.0/12 drop\n');
    expect(listed).toContain('\t\tip saddr != 192.168.56.100-192.168.56.110 drop\n');
    expect(listed).toContain('\t\tnumgen random mod 3 vmap { 0 : goto c, 1 : goto c, 2 : goto c }\n');
    const again = new Nftables();
    again.load(listed);
    expect(listRuleset(again, 0)).toBe(listed);
  });

  it('fib daddr type local reads the namespace routing', () => {
    const nft = new Nftables();
    nft.load('add table ip t\nadd chain ip t o { type filter hook output priority 0 ; }\nadd rule ip t o fib daddr type local drop');
    expect(walkBaseChain(nft.hooked('output')[0]!, pkt('1.1.1.1', '192.168.0.2'), env(0, ['192.168.0.2'])).verdict).toBe('drop');
    expect(walkBaseChain(nft.hooked('output')[0]!, pkt('1.1.1.1', '192.168.0.3'), env(0, ['192.168.0.2'])).verdict).toBe('accept');
  });

  it('equal priorities: the most recently registered chain runs first; re-adding keeps a chain\'s place, re-creating does not', () => {
    // nf_hook_entries_grow puts a new hook before every hook of its priority (a real kernel: of two tables' priority-0
    // output chains, the one created second ran first).
    const nft = new Nftables();
    nft.load('add table ip first\nadd chain ip first out { type filter hook output priority 0 ; }\nadd chain ip first early { type filter hook output priority -10 ; }');
    nft.load('add table ip second\nadd chain ip second out { type filter hook output priority 0 ; }');
    const order = (): string[] => nft.hooked('output').map((h) => `${h.table.name}/${h.chain.name}`);
    expect(order()).toEqual(['first/early', 'second/out', 'first/out']);
    // kube-proxy's resync re-adds its chains: an existing chain is not registered again.
    nft.load('add table ip first\nadd chain ip first out { type filter hook output priority 0 ; }');
    expect(order()).toEqual(['first/early', 'second/out', 'first/out']);
    // Deleted and re-created: a new hook, now the newest.
    nft.load('delete chain ip first out\nadd chain ip first out { type filter hook output priority 0 ; }');
    expect(order()).toEqual(['first/early', 'first/out', 'second/out']);
    // Within one transaction, command order: the later `add chain` is the newer hook.
    const one = new Nftables();
    one.load('add table ip t\nadd chain ip t a { type filter hook input priority 0 ; }\nadd chain ip t b { type filter hook input priority 0 ; }');
    expect(one.hooked('input').map((h) => h.chain.name)).toEqual(['b', 'a']);
  });
});
