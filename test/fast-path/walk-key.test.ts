// The fast path's walk cache keys a table's walks on the source port only when a rule reads it
// (src/kernel/netfilter/walk-cache.ts): the parsed matches say so themselves (Match.readsSport).
import { describe, expect, it } from 'vitest';
import { Netfilter } from '../../src/kernel/netfilter/netfilter.js';

function rulesOf(lines: string[]): Map<string, boolean> {
  const nf = new Netfilter();
  nf.ipsets.create('PORTS', 'hash:ip,port');
  nf.restore(`*filter\n:INPUT ACCEPT [0:0]\n${lines.map((l) => `-A INPUT ${l} -j ACCEPT`).join('\n')}\nCOMMIT\n`);
  const out = new Map<string, boolean>();
  nf.forEachRule((_t, r) => out.set(r.text.replace(/^-A INPUT /, '').replace(/ -j ACCEPT$/, ''), r.readsSport));
  return out;
}

describe('a rule reads the source port when one of its matches does', () => {
  it('tcp/udp/sctp --sport, multiport --sports and --ports, a set looked up with src', () => {
    const r = rulesOf([
      '-p tcp -m tcp --sport 1000',
      '-p udp -m udp ! --source-port 53:60',
      '-p sctp -m sctp --sport 9',
      '-p tcp -m multiport --sports 1,2',
      '-p tcp -m multiport --ports 80',
      '-m set --match-set PORTS dst,src',
    ]);
    expect([...r.values()]).toEqual([true, true, true, true, true, true]);
  });
  it('not destination ports, flags, other matches, comments or a set looked up with dst only', () => {
    const r = rulesOf([
      '-p tcp -m tcp --dport 80 --tcp-flags SYN SYN',
      '-p udp -m multiport --dports 53,54',
      '-m set --match-set PORTS dst,dst',
      '-m comment --comment "--sport 1"',
      '-m conntrack --ctstate NEW',
      '-s 10.0.0.1/32',
    ]);
    expect([...r.entries()].filter(([, v]) => v)).toEqual([]);
    expect(r.size).toBe(6);
  });
});
