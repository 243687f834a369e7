import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpSets } from '../../src/kernel/netfilter/ipset.js';

/** `ipset list` of the real kernel for the same commands (fixtures/ipset-kernel/README.md). */
const real = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', 'ipset-kernel', `${name}.txt`), 'utf8').trimEnd();
const seq = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, k) => a + k);

describe('ipset list: members in the kernel hash table order, its size and memory (against Linux 6.18)', () => {
  it('every hash type: bucket order under a given initval, Revision, Size in memory', () => {
    const sets = new IpSets();
    const members: [string, string, (i: number) => string][] = [
      ['A', 'hash:ip', (i) => `10.0.1.${i}`],
      ['B', 'hash:ip,port', (i) => `10.0.1.${i},tcp:${8000 + i}`],
      ['C', 'hash:ip,port,ip', (i) => `10.0.1.${i},udp:53,10.0.2.${i}`],
      ['D', 'hash:ip,port,net', (i) => `10.0.1.${i},tcp:80,10.${i}.0.0/16`],
      ['E', 'hash:net', (i) => `10.${i}.0.0/${8 + i}`],
    ];
    sets.restore(members.flatMap(([name, type, m]) => [`create ${name} ${type} hashsize 64 initval 0x12345678`, ...seq(1, 20).map((i) => `add ${name} ${m(i)}`)]).join('\n'));
    for (const [name] of members) expect(sets.list(name), name).toBe(real(name));
  });

  it('a full bucket doubles the table (hashsize in the header grows) and deletes leave holes that adds reuse', () => {
    const sets = new IpSets();
    const r = (i: number) => `10.1.${Math.floor(i / 10)}.${i}`;
    sets.restore(['create R hash:ip hashsize 64 bucketsize 2 initval 0x0badcafe', ...seq(1, 40).map((i) => `add R ${r(i)}`)].join('\n'));
    expect(sets.list('R')).toBe(real('R1'));
    sets.restore(seq(1, 40).filter((_, k) => (k + 1) % 3 === 0).map((i) => `del R ${r(i)}`).join('\n'));
    expect(sets.list('R')).toBe(real('R2'));
    sets.restore(seq(41, 50).map((i) => `add R 10.1.9.${i}`).join('\n'));
    expect(sets.list('R')).toBe(real('R3'));
  });

  it('buckets grow past two slots and shrink after deletes, and the memory count follows the kernel\'s bookkeeping', () => {
    const sets = new IpSets();
    const q = (i: number) => `10.2.${Math.floor(i / 50)}.${i % 250},udp:${i + 1000}`;
    sets.restore(['create Q hash:ip,port hashsize 64 initval 0x0000beef', ...seq(1, 200).map((i) => `add Q ${q(i)}`), ...seq(1, 200).filter((_, k) => (k + 1) % 4 === 0).map((i) => `del Q ${q(i)}`)].join('\n'));
    expect(sets.list('Q')).toBe(real('Q'));
  });

  it('ipset save carries bucketsize and initval, and a restore of it lists the same', () => {
    const sets = new IpSets();
    sets.restore(['create S hash:ip,port', ...seq(1, 30).map((i) => `add S 10.3.0.${i},tcp:${i}`)].join('\n'));
    const saved = sets.save();
    expect(saved.split('\n')[0]).toMatch(/^create S hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x[0-9a-f]{8}$/);
    const again = new IpSets();
    again.restore(saved);
    expect(again.save()).toBe(saved);
    expect(again.list('S')).toBe(sets.list('S'));
  });

  it('a bitmap lists its ports in order, and its memory is its bitmap', () => {
    const sets = new IpSets();
    sets.restore('create P bitmap:port range 30000-32767\nadd P 31000\nadd P 30001');
    expect(sets.list('P')).toBe('Name: P\nType: bitmap:port\nRevision: 3\nHeader: range 30000-32767\nSize in memory: 424\nReferences: 0\nNumber of entries: 2\nMembers:\n30001\n31000');
  });
});
