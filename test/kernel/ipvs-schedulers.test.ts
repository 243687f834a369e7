import { describe, expect, it } from 'vitest';
import { schedule, type Dest, type SchedState } from '../../src/kernel/ipvs/schedulers.js';

const dest = (ip: number, weight = 1, activeConns = 0, inactConns = 0): Dest => ({ ip, port: 80, weight, activeConns, inactConns });
const fresh = (wrr = false): SchedState => ({ cursor: wrr ? -1 : 0, cw: 0 });
const pkt = { src: 0x0af40102, dst: 0x0a60000b };

describe('IPVS schedulers', () => {
  it('rr cycles through the real servers in order', () => {
    const ds = [dest(1), dest(2), dest(3)];
    const st = fresh();
    expect(Array.from({ length: 7 }, () => schedule('rr', ds, st, pkt)!.ip)).toEqual([1, 2, 3, 1, 2, 3, 1]);
  });

  it('rr skips quiesced servers (weight 0)', () => {
    const ds = [dest(1), dest(2, 0), dest(3)];
    const st = fresh();
    expect(Array.from({ length: 4 }, () => schedule('rr', ds, st, pkt)!.ip)).toEqual([1, 3, 1, 3]);
  });

  it('wrr hands out connections in proportion to weight (3:1), heaviest first', () => {
    const ds = [dest(1, 3), dest(2, 1)];
    const st = fresh(true);
    const picks = Array.from({ length: 8 }, () => schedule('wrr', ds, st, pkt)!.ip);
    expect(picks.filter((x) => x === 1)).toHaveLength(6);
    expect(picks[0]).toBe(1);
  });

  it('lc picks the least-loaded server (active connections weigh 256 inactive ones)', () => {
    expect(schedule('lc', [dest(1, 1, 2), dest(2, 1, 1), dest(3, 1, 1, 300)], fresh(), pkt)!.ip).toBe(2);
    expect(schedule('lc', [dest(1, 1, 1), dest(2, 1, 0, 200)], fresh(), pkt)!.ip).toBe(2);
    expect(schedule('lc', [dest(1, 1, 1), dest(2, 1, 0, 300)], fresh(), pkt)!.ip).toBe(1);
  });

  it('wlc weighs the load by the weight', () => {
    expect(schedule('wlc', [dest(1, 1, 2), dest(2, 4, 4)], fresh(), pkt)!.ip).toBe(2);
  });

  it('sed and nq: shortest expected delay; nq prefers an idle server', () => {
    expect(schedule('sed', [dest(1, 1, 1), dest(2, 3, 2)], fresh(), pkt)!.ip).toBe(2);
    expect(schedule('nq', [dest(1, 5, 1), dest(2, 1, 0)], fresh(), pkt)!.ip).toBe(2);
  });

  it('sh maps a source address to the same server every time, and spreads sources', () => {
    const ds = [dest(1), dest(2), dest(3)];
    const st = fresh();
    const first = schedule('sh', ds, st, pkt)!.ip;
    for (let i = 0; i < 20; i++) expect(schedule('sh', ds, st, pkt)!.ip).toBe(first);
    const seen = new Set(Array.from({ length: 64 }, (_, i) => schedule('sh', ds, st, { src: 0x0af40100 + i, dst: pkt.dst })!.ip));
    expect(seen.size).toBe(3);
  });

  it('dh maps a destination address consistently', () => {
    const ds = [dest(1), dest(2)];
    const a = schedule('dh', ds, fresh(), pkt)!.ip;
    expect(schedule('dh', ds, fresh(), { src: 123, dst: pkt.dst })!.ip).toBe(a);
  });

  it('no eligible server: no choice (the kernel then answers ICMP port unreachable)', () => {
    for (const s of ['rr', 'wrr', 'lc', 'wlc', 'sh', 'dh', 'sed', 'nq'] as const) expect(schedule(s, [dest(1, 0)], fresh(s === 'wrr'), pkt)).toBeUndefined();
  });
});
