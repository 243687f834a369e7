import { describe, expect, it } from 'vitest';
import { Netfilter, NetfilterParseError } from '../../src/kernel/netfilter/netfilter.js';
import { SharedRules } from '../../src/kernel/netfilter/shared-rules.js';
import type { Table } from '../../src/kernel/netfilter/table.js';
import type { TableName } from '../../src/kernel/netfilter/types.js';
import { env, tcp } from './netfilter-fixtures.js';

const TEXT = `*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-A - [0:0]
:KUBE-SEP-A - [0:0]
-A PREROUTING -j KUBE-SERVICES
-A KUBE-SERVICES -d 172.16.0.10/32 -p tcp -m comment --comment "ns/a cluster IP" -m tcp --dport 80 -j KUBE-SVC-A
-A KUBE-SVC-A -m recent --name KUBE-SEP-A --rcheck --seconds 10800 --reap -j KUBE-SEP-A
-A KUBE-SVC-A -m statistic --mode nth --every 2 --packet 0 -j KUBE-SEP-A
-A KUBE-SVC-A -m statistic --mode random --probability 0.5 -j KUBE-SEP-A
-A KUBE-SVC-A -j KUBE-SEP-A
-A KUBE-SEP-A -p tcp -m recent --name KUBE-SEP-A --set -m tcp -j DNAT --to-destination 10.1.0.5:8080
COMMIT
`;

const chains = (nf: Netfilter): Map<TableName, Table> => (nf as unknown as { tables: Map<TableName, Table> }).tables;
const rules = (nf: Netfilter, chain: string) => chains(nf).get('nat')!.get(chain)!.rules;

describe('rules shared between the nodes of a cluster (shared-rules.ts)', () => {
  it('a second node gets copies of the first one\'s rules: same save, own counters, bound matches parsed again', () => {
    const shared = new SharedRules();
    const a = new Netfilter(shared);
    const b = new Netfilter(shared);
    const alone = new Netfilter();
    for (const nf of [a, b, alone]) nf.restore(TEXT, { noflush: true });
    expect(b.save()).toBe(alone.save());
    // Shared: the compiled matches are the same objects, the counters are not.
    expect(rules(b, 'KUBE-SERVICES')[0]!.matches).toBe(rules(a, 'KUBE-SERVICES')[0]!.matches);
    expect(rules(b, 'KUBE-SERVICES')[0]!.counters).not.toBe(rules(a, 'KUBE-SERVICES')[0]!.counters);
    expect(rules(b, 'KUBE-SVC-A')[2]!.matches).toBe(rules(a, 'KUBE-SVC-A')[2]!.matches);
    // recent (the namespace's lists) and nth (a count of its own): each node parses its own.
    for (const i of [0, 1]) expect(rules(b, 'KUBE-SVC-A')[i]!.matches).not.toBe(rules(a, 'KUBE-SVC-A')[i]!.matches);
    expect(rules(b, 'KUBE-SEP-A')[0]!.matches).not.toBe(rules(a, 'KUBE-SEP-A')[0]!.matches);
    // Packets on one node count there only.
    const ra = a.traverse('nat', 'PREROUTING', tcp('10.1.0.9', '172.16.0.10', 80), env());
    const ralone = alone.traverse('nat', 'PREROUTING', tcp('10.1.0.9', '172.16.0.10', 80), env());
    expect(ra).toEqual(ralone);
    expect(a.save({ counters: true })).toBe(alone.save({ counters: true }));
    const untouched = new Netfilter();
    untouched.restore(TEXT, { noflush: true });
    expect(b.save({ counters: true })).toBe(untouched.save({ counters: true }));
    expect(b.save({ counters: true })).not.toBe(a.save({ counters: true }));
  });

  it('a line whose chain or jump target is missing on this node fails as it would unshared', () => {
    const shared = new SharedRules();
    new Netfilter(shared).restore(TEXT, { noflush: true });
    const b = new Netfilter(shared);
    const missing = TEXT.replace(':KUBE-SEP-A - [0:0]\n', '');
    let viaShared: unknown;
    let alone: unknown;
    try {
      b.restore(missing, { noflush: true });
    } catch (e) {
      viaShared = e;
    }
    try {
      new Netfilter().restore(missing, { noflush: true });
    } catch (e) {
      alone = e;
    }
    expect(viaShared).toBeInstanceOf(NetfilterParseError);
    expect((viaShared as Error).message).toBe((alone as Error).message);
  });
});
