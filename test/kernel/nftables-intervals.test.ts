import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng.js';
import { listRuleset, Nftables, NftError, walkBaseChain } from '../../src/kernel/nftables/index.js';
import type { NfEnv, NfPacket } from '../../src/kernel/netfilter/types.js';
import { parseIpv4 } from '../../src/wire/addr.js';

const env = (): NfEnv => ({ nowNs: 0, rng: new Rng(7), addrType: () => 'UNICAST' });
const pkt = (src: string, dport = 80): NfPacket => ({ src: parseIpv4(src)!, dst: parseIpv4('10.9.9.9')!, protocol: 6, sport: 40000, dport, mark: 0, ctstate: ['NEW'], length: 60 });

/** Each rule as written, and as nft 1.0.6 lists it back from Linux 6.18 (netns, `nft -f` then `nft list ruleset`). */
const ANONYMOUS: [string, string][] = [
  ['ip saddr != { 192.168.56.0/24, 192.168.56.100, 203.0.113.10 } drop', 'ip saddr != { 192.168.56.0/24, 203.0.113.10 } drop'],
  ['ip saddr != { 0.0.0.0/0, 203.0.113.10 } drop', 'ip saddr != { 0.0.0.0/0 } drop'],
  ['ip saddr { 10.0.0.0/24, 10.0.1.0/24 } accept', 'ip saddr { 10.0.0.0/23 } accept'],
  ['ip saddr { 192.168.56.0/24, 192.168.56.0/24 } accept', 'ip saddr { 192.168.56.0/24 } accept'],
  ['ip saddr { 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4 } accept', 'ip saddr { 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4 } accept'],
  ['ip saddr { 10.0.0.5, 10.0.0.5 } accept', 'ip saddr { 10.0.0.5 } accept'],
  ['tcp dport { 80, 81, 82 } accept', 'tcp dport { 80, 81, 82 } accept'],
  ['tcp dport { 80, 80 } accept', 'tcp dport { 80 } accept'],
  ['tcp dport { 1000-2000, 1500 } accept', 'tcp dport { 1000-2000 } accept'],
  ['ip saddr { 10.0.0.1-10.0.0.9, 10.0.0.10 } accept', 'ip saddr { 10.0.0.1-10.0.0.10 } accept'],
  ['tcp dport { 80 } accept', 'tcp dport 80 accept'],
  ['ip saddr { 10.0.0.0/24 } accept', 'ip saddr 10.0.0.0/24 accept'],
  ['tcp dport { 79, 80-90, 91, 100 } accept', 'tcp dport { 79-91, 100 } accept'],
  ['tcp dport { 80, 81, 90-100 } accept', 'tcp dport { 80-81, 90-100 } accept'],
  ['ip saddr { 10.0.0.0/25, 10.0.0.128/25 } accept', 'ip saddr { 10.0.0.0/24 } accept'],
  ['ip saddr . tcp dport { 10.0.0.0/24 . 80, 10.0.1.0/24 . 80 } accept', 'ip saddr . tcp dport { 10.0.0.0/24 . 80, 10.0.1.0/24 . 80 } accept'],
  ['ip saddr . tcp dport { 10.0.0.1 . 80, 10.0.0.1 . 80 } accept', 'ip saddr . tcp dport { 10.0.0.1 . 80 } accept'],
  ['ip saddr { 255.255.255.255, 255.255.255.254 } accept', 'ip saddr { 255.255.255.254, 255.255.255.255 } accept'],
  ['ip saddr { 255.255.255.0/24, 10.0.0.0 } accept', 'ip saddr { 10.0.0.0, 255.255.255.0/24 } accept'],
  ['ip saddr { 0.0.0.0, 0.0.0.1, 5.5.5.5/32 } accept', 'ip saddr { 0.0.0.0/31, 5.5.5.5 } accept'],
];

describe('nftables: interval sets as nft merges them', () => {
  it('an anonymous set lists as nft 1.0.6 lists it: interval sets merged, duplicates once, braces kept', () => {
    const nft = new Nftables();
    nft.load(['add table ip t', 'add chain ip t c', ...ANONYMOUS.map(([r]) => `add rule ip t c ${r}`)].join('\n'));
    const rules = listRuleset(nft, 0)
      .split('\n')
      .filter((l) => l.startsWith('\t\t') && !l.includes('{ type'))
      .map((l) => l.trim());
    expect(rules).toEqual(ANONYMOUS.map(([, listed]) => listed));
  });

  it('a merged anonymous set matches what it was written with', () => {
    const nft = new Nftables();
    nft.load('add table ip t\nadd chain ip t in { type filter hook input priority 0 ; policy accept ; }\nadd rule ip t in ip saddr != { 192.168.56.0/24, 192.168.56.100, 203.0.113.10 } drop');
    const verdict = (src: string): string => walkBaseChain(nft.hooked('input')[0]!, pkt(src), env()).verdict;
    expect(verdict('192.168.56.100')).not.toBe('drop');
    expect(verdict('192.168.56.7')).not.toBe('drop');
    expect(verdict('203.0.113.10')).not.toBe('drop');
    expect(verdict('192.168.57.1')).toBe('drop');
  });

  it('a named interval set merges only with auto-merge; without, an overlap is refused (nft 1.0.6, Linux 6.18)', () => {
    const nft = new Nftables();
    nft.load(`add table ip t
add set ip t auto { type ipv4_addr ; flags interval ; auto-merge ; elements = { 10.0.0.0/24, 10.0.1.0/24, 10.0.0.5 } ; }
add set ip t ports { type inet_service ; flags interval ; auto-merge ; elements = { 80, 81, 82, 1000-2000 } ; }
add set ip t plain { type ipv4_addr ; flags interval ; elements = { 10.0.0.0/24, 10.0.1.0/24, 10.0.0.0/24 } ; }
add set ip t hash { type ipv4_addr ; elements = { 10.0.0.1, 10.0.0.1 } ; }`);
    nft.load('add element ip t auto { 10.0.3.0-10.0.3.5, 10.0.0.0/25 }\nadd element ip t plain { 10.0.0.0/24 }');
    const listed = listRuleset(nft, 0);
    expect(listed).toContain('set auto {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tauto-merge\n\t\telements = { 10.0.0.0/23, 10.0.3.0-10.0.3.5 }\n');
    expect(listed).toContain('set ports {\n\t\ttype inet_service\n\t\tflags interval\n\t\tauto-merge\n\t\telements = { 80-82, 1000-2000 }\n');
    expect(listed).toContain('set plain {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.0.0.0/24, 10.0.1.0/24 }\n');
    expect(listed).toContain('set hash {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1 }\n');
    // nft: "conflicting intervals specified" within one command, "interval overlaps with an existing one" against the set
    const refused = (text: string): string => {
      try {
        nft.load(text);
      } catch (e) {
        return (e as NftError).message;
      }
      return 'loaded';
    };
    expect(refused('add set ip t x { type ipv4_addr ; flags interval ; elements = { 10.0.0.0/24, 10.0.0.5 } ; }')).toBe('conflicting intervals specified');
    expect(refused('add element ip t plain { 10.0.0.7 }')).toBe('interval overlaps with an existing one');
    expect(refused('create element ip t plain { 10.0.0.0/24 }')).toContain('File exists');
    expect(refused('create element ip t auto { 10.0.0.0/25 }')).toBe('loaded'); // covered: nothing to add
    expect(listRuleset(nft, 0)).toBe(listed); // the refused transactions changed nothing
    const again = new Nftables();
    again.load(listed);
    expect(listRuleset(again, 0)).toBe(listed);
  });
});
