import { describe, expect, it } from 'vitest';
import { NetfilterParseError } from '../../src/kernel/netfilter/netfilter.js';
import { env, load, tcp } from './netfilter-fixtures.js';

// net/netfilter/xt_recent.c: ip_list_tot 100 addresses per list; ip_pkt_list_tot 0, so a list keeps 32 hit times
// per address or the largest --hitcount of a rule naming it rounded up to a power of two (at most 255 asked for);
// --reap looks at the list's LRU head only (recent_entry_reap), not at the address of the packet.

// kube-proxy's ClientIP affinity for a Service with one endpoint: the KUBE-SVC chain's --rcheck, the KUBE-SEP --set.
const AFFINITY = `*nat
:KUBE-SVC-A - [0:0]
:KUBE-SEP-A - [0:0]
-A PREROUTING -d 172.30.0.1/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-A
-A KUBE-SVC-A -m recent --name KUBE-SEP-A --rcheck --seconds 10800 --reap -j KUBE-SEP-A
-A KUBE-SVC-A -j MARK --set-xmark 0x1/0x1
-A KUBE-SVC-A -j KUBE-SEP-A
-A KUBE-SEP-A -p tcp -m recent --name KUBE-SEP-A --set -m tcp -j DNAT --to-destination 10.1.0.5:8080
COMMIT
`;
const client = (k: number): string => `10.9.${k >> 8}.${k & 0xff}`;
const addr = (k: number): number => (0x0a090000 | k) >>> 0;

describe('-m recent as xt_recent keeps its lists', () => {
  it('a list remembers 100 addresses: the 101st client evicts the least recently updated, the first', () => {
    const nf = load(AFFINITY);
    const send = (k: number, s: number) => {
      const p = tcp(client(k), '172.30.0.1', 80);
      nf.traverse('nat', 'PREROUTING', p, env(s * 1e9));
      return p.mark ?? 0; // 1: the affinity check missed and the packet went on to the endpoint choice
    };
    for (let k = 1; k <= 100; k++) expect(send(k, k)).toBe(1);
    const list = nf.recent.list('KUBE-SEP-A');
    expect(list.size).toBe(100);
    expect(send(2, 200)).toBe(0); // still remembered: an affinity hit
    expect(send(101, 201)).toBe(1);
    expect(list.size).toBe(100);
    expect(list.has(addr(1))).toBe(false); // the LRU head went for the 101st
    expect(send(1, 202)).toBe(1); // the first client again: no affinity any more
    expect(list.has(addr(3))).toBe(false); // and it took the place of the next least recently updated (2 was touched)
    expect(list.has(addr(2))).toBe(true);
  });

  it('keeps 32 hit times per address without --hitcount', () => {
    const nf = load('*filter\n-A INPUT -m recent --set --name S\nCOMMIT\n');
    for (let s = 0; s < 40; s++) nf.traverse('filter', 'INPUT', tcp('1.1.1.1', '2.2.2.2', 1), env(s * 1e9));
    expect(nf.recent.list('S').get(0x01010101)!.stamps).toEqual(Array.from({ length: 32 }, (_, i) => (i + 8) * 1e9));
  });

  it('a --hitcount above 32 makes the list keep that many (rounded up to a power of two); above 255 is refused', () => {
    const nf = load('*filter\n-A INPUT -m recent --update --seconds 600 --hitcount 40 --name R -j DROP\n-A INPUT -m recent --set --name R\nCOMMIT\n');
    const v = (s: number) => nf.traverse('filter', 'INPUT', tcp('1.1.1.1', '2.2.2.2', 1), env(s * 1e9)).verdict;
    const verdicts = Array.from({ length: 42 }, (_, s) => v(s));
    expect(verdicts.indexOf('DROP')).toBe(40); // 40 earlier hits recorded: the 41st packet is dropped
    expect(nf.recent.list('R').stamps).toBe(64);
    expect(() => load('*filter\n-A INPUT -m recent --rcheck --hitcount 255 --name R\nCOMMIT\n')).not.toThrow();
    expect(() => load('*filter\n-A INPUT -m recent --rcheck --hitcount 256 --name R\nCOMMIT\n')).toThrow(NetfilterParseError);
  });

  it('--reap removes the LRU head when its newest hit is stale, not the stale address the packet came from', () => {
    const nf = load(`*nat
-A PREROUTING -p tcp -m recent --name SEP --rcheck --seconds 10 --reap -j DNAT --to-destination 10.0.0.1:80
-A PREROUTING -m recent --name SEP --set
COMMIT
`);
    const at = (s: number, src: string) => nf.traverse('nat', 'PREROUTING', tcp(src, '172.30.0.1', 80), env(s * 1e9)).nat;
    at(0, '10.9.9.1'); // A: set at 0 s
    at(1, '10.9.9.2'); // B: set at 1 s
    at(20, '10.9.9.3'); // C: no entry, so nothing reaped; set at 20 s
    const list = nf.recent.list('SEP');
    expect([...list.keys()]).toEqual([0x0a090901, 0x0a090902, 0x0a090903]);
    expect(at(20.5, '10.9.9.2')).toBeUndefined(); // B is stale: no affinity; the reap takes A, the head
    expect(list.has(0x0a090901)).toBe(false);
    expect(list.get(0x0a090902)!.stamps).toEqual([1e9, 20.5e9]); // B stayed and the --set rule recorded it again
    expect(at(21, '10.9.9.3')).toBeDefined(); // C within its window; the head is now B, fresh: nothing reaped
    expect(list.size).toBe(2);
  });
});
