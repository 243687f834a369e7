import { describe, expect, it } from 'vitest';
import { Conntrack } from '../../src/kernel/conntrack/conntrack.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.js';

/** Two packets of one flow, both looked up before either was confirmed (say A and AAAA from one socket). */
function race(protocol: number, secondEndpoint: number) {
  const ct = new Conntrack();
  const t = { src: 0x0af40102, dst: 0x0a60000a, protocol, sport: 40000, dport: 53 };
  const a = ct.lookup(t, protocol === IPPROTO_TCP ? 0x02 : undefined, 0);
  const b = ct.lookup(t, protocol === IPPROTO_TCP ? 0x02 : undefined, 0);
  if (a.kind !== 'new' || b.kind !== 'new') throw new Error('expected two new entries');
  // Each got its own DNAT decision.
  a.entry.reply = { ...a.entry.reply, src: 0x0af40103 };
  b.entry.reply = { ...b.entry.reply, src: secondEndpoint };
  // The port is not moved for the same flow (nf_conntrack_tuple_taken's same-origin exception).
  expect(ct.confirm(a.entry, 0).kind).toBe('inserted');
  expect(ct.replyTaken(b.entry.reply, b.entry)).toBe(false);
  return { ct, second: ct.confirm(b.entry, 0), first: a.entry, b: b.entry };
}

describe('conntrack: two packets of one flow racing to confirm (nf_ct_resolve_clash)', () => {
  it('same NAT: the second packet joins the first entry', () => {
    const r = race(IPPROTO_UDP, 0x0af40103);
    expect(r.second).toEqual({ kind: 'merged', entry: r.first });
    expect(r.ct.size).toBe(1);
  });

  it('different NAT, UDP: the loser is kept for its reply only, for 1 s (Linux >= 5.8), and hidden from conntrack -L', () => {
    const r = race(IPPROTO_UDP, 0x0af40204);
    expect(r.second.kind).toBe('clash');
    expect(r.ct.list(0)).toEqual([r.first]);
    // Its reply still finds it (so the answer from the other endpoint is un-NATed) ...
    const reply = r.ct.lookup({ src: 0x0af40204, dst: 0x0af40102, protocol: IPPROTO_UDP, sport: 53, dport: 40000 }, undefined, 1);
    expect(reply.kind === 'found' && reply.entry === r.b).toBe(true);
    r.ct.replied(r.b);
    // ... once: then it is gone.
    expect(r.ct.lookup({ src: 0x0af40204, dst: 0x0af40102, protocol: IPPROTO_UDP, sport: 53, dport: 40000 }, undefined, 2).kind).toBe('new');
  });

  it('different NAT, TCP: insert_failed, the packet is dropped', () => {
    expect(race(IPPROTO_TCP, 0x0af40204).second.kind).toBe('failed');
  });
});

describe('older kernels (resolveClashHarder false)', () => {
  it('drop the UDP packet that lost the race: insert_failed', () => {
    const ct = new Conntrack();
    ct.resolveClashHarder = false;
    const t = { src: 1, dst: 2, protocol: IPPROTO_UDP, sport: 40000, dport: 53 };
    const a = ct.lookup(t, undefined, 0);
    const b = ct.lookup(t, undefined, 0);
    if (a.kind !== 'new' || b.kind !== 'new') throw new Error('expected two new entries');
    a.entry.reply = { ...a.entry.reply, src: 3 };
    b.entry.reply = { ...b.entry.reply, src: 4 };
    ct.confirm(a.entry, 0);
    expect(ct.confirm(b.entry, 0).kind).toBe('failed');
  });
});
