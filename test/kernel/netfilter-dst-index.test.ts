import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng.js';
import { buildDstIndex, MIN_INDEXED_RULES } from '../../src/kernel/netfilter/dst-index.js';
import { Netfilter } from '../../src/kernel/netfilter/netfilter.js';
import type { Table } from '../../src/kernel/netfilter/table.js';
import type { Hook, TableName } from '../../src/kernel/netfilter/types.js';
import { env, load, tcp, udp } from './netfilter-fixtures.js';

/** A long, mixed nat rule set: `-d A/32` rules (addresses repeated), prefixes, negations, MARK, RETURN, jumps between long chains. */
function ruleSet(rng: Rng): string {
  const addr = (): string => `10.0.0.${rng.int(0, 12 - 1)}`;
  const lines = ['*nat', ':CHAIN-A - [0:0]', ':CHAIN-B - [0:0]', ':LEAF - [0:0]'];
  const rule = (chain: string, jumps: string[]): string => {
    const dice = rng.int(0, 20 - 1);
    const port = `--dport ${80 + rng.int(0, 3 - 1)}`;
    const to = jumps[rng.int(0, jumps.length - 1)]!;
    if (dice < 12) return `-A ${chain} -d ${addr()}/32 -p tcp -m tcp ${port} -j ${to}`;
    if (dice === 12) return `-A ${chain} -d 10.0.0.0/30 -j MARK --or-mark 0x${(1 << rng.int(0, 8 - 1)).toString(16)}`;
    if (dice === 13) return `-A ${chain} ! -d ${addr()}/32 -p udp -j ${to}`;
    if (dice === 14) return `-A ${chain} -p tcp -m tcp ${port} -m mark --mark 0x4/0x4 -j ${to}`;
    if (dice === 15) return `-A ${chain} -d ${addr()}/32 -m mark --mark 0x2/0x2 -j RETURN`;
    if (dice === 16) return `-A ${chain} -d ${addr()}/32 -p tcp -j DNAT --to-destination 192.168.0.${rng.int(0, 9 - 1) + 1}:8080`;
    if (dice === 17) return `-A ${chain} -d ${addr()}/32 -j MARK --or-mark 0x4`;
    return `-A ${chain} -d ${addr()}/32 -p udp -m udp ${port} -j ${to}`;
  };
  for (let i = 0; i < 90; i++) lines.push(rule('PREROUTING', ['CHAIN-A', 'CHAIN-B', 'LEAF']));
  for (let i = 0; i < 60; i++) lines.push(rule('CHAIN-A', ['CHAIN-B', 'LEAF']));
  for (let i = 0; i < 40; i++) lines.push(rule('CHAIN-B', ['LEAF']));
  for (let i = 0; i < 40; i++) lines.push(rule('LEAF', ['RETURN']));
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** The same rule set walked rule by rule: every chain told it has no index. */
function unindexed(nf: Netfilter): Netfilter {
  for (const t of (nf as unknown as { tables: Map<TableName, Table> }).tables.values()) for (const c of t.values()) c.dstIndex = null;
  return nf;
}

describe('the destination index (skipping -d A/32 rules for other destinations)', () => {
  it('walks exactly as rule by rule: verdict, matched rules, rules evaluated, mark, counters', () => {
    for (let seed = 1; seed <= 15; seed++) {
      const text = ruleSet(new Rng(seed));
      const fast = load(text);
      const slow = unindexed(load(text));
      const rng = new Rng(1000 + seed);
      for (let p = 0; p < 60; p++) {
        const dst = `10.0.0.${rng.int(0, 14 - 1)}`;
        const dport = 80 + rng.int(0, 3 - 1);
        const mark = rng.int(0, 8 - 1);
        const make = () => (rng.int(0, 2 - 1) === 0 ? tcp('10.1.0.1', dst, dport, { mark }) : udp('10.1.0.1', dst, dport, { mark }));
        const a = make();
        const b = { ...a };
        const hook: Hook = 'PREROUTING';
        const ra = fast.traverse('nat', hook, a, env());
        const rb = unindexed(slow).traverse('nat', hook, b, env());
        expect(ra).toEqual(rb);
        expect(a.mark).toBe(b.mark);
      }
      expect(fast.save({ counters: true })).toBe(slow.save({ counters: true }));
      const indexed = [...(fast as unknown as { tables: Map<TableName, Table> }).tables.get('nat')!.values()].filter((c) => c.dstIndex);
      expect(indexed.length).toBeGreaterThan(1);
    }
  });

  it('is built only for long chains mostly of -d A/32 rules', () => {
    const nf = new Netfilter();
    const exact = Array.from({ length: MIN_INDEXED_RULES }, (_, i) => `-A PREROUTING -d 10.0.1.${i}/32 -j ACCEPT`);
    nf.restore(['*nat', ...exact, 'COMMIT', ''].join('\n'));
    const chain = (n: Netfilter) => (n as unknown as { tables: Map<TableName, Table> }).tables.get('nat')!.get('PREROUTING')!;
    expect(buildDstIndex(chain(nf).rules)).not.toBeNull();
    nf.restore(['*nat', ...exact.slice(1), 'COMMIT', ''].join('\n'));
    expect(buildDstIndex(chain(nf).rules)).toBeNull();
    nf.restore(['*nat', ...exact, ...exact.map((r) => r.replace('/32', '/24')), '-A PREROUTING -j ACCEPT', 'COMMIT', ''].join('\n'));
    expect(buildDstIndex(chain(nf).rules)).toBeNull();
  });

  it('counts the skipped rules: a packet to the last of 1,000 Service addresses evaluates all 1,000', () => {
    const rules = Array.from({ length: 1000 }, (_, i) => `-A PREROUTING -d 172.16.${i >> 8}.${i & 255}/32 -p udp -m udp --dport 80 -j ACCEPT`);
    const nf = new Netfilter();
    nf.restore(['*nat', ':PREROUTING DROP [0:0]', ...rules, 'COMMIT', ''].join('\n'));
    const r = nf.traverse('nat', 'PREROUTING', udp('10.1.0.1', '172.16.3.231', 80), env());
    expect(r).toMatchObject({ verdict: 'ACCEPT', evaluated: 1000, byPolicy: false });
    const miss = nf.traverse('nat', 'PREROUTING', udp('10.1.0.1', '172.16.3.232', 80), env());
    expect(miss).toMatchObject({ verdict: 'DROP', evaluated: 1000, byPolicy: true });
  });
});
