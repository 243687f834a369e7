import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { DnsTcpReader, dnsTcpMessages, frameDnsTcp } from '../../src/wire/dns-tcp.js';

const res = (() => {
  const r = loadScenarioFile(join(import.meta.dirname, '..', '..', 'scenarios', 'dns-tcp-fallback.yaml'));
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return simulate(r.scenario);
})();
const created = (flow: string) => res.events.flatMap((e) => (e.kind === 'create' && e.flow === flow ? [e] : []));

describe('DNS over TCP', () => {
  it('frames messages behind their two-byte length, and reads them back across segment boundaries', () => {
    const framed = frameDnsTcp([new Uint8Array([1, 2, 3]), new Uint8Array(300).fill(7)]);
    expect([...framed.subarray(0, 5)]).toEqual([0, 3, 1, 2, 3]);
    expect([...framed.subarray(5, 7)]).toEqual([1, 44]);
    const reader = new DnsTcpReader();
    expect(reader.push(framed.subarray(0, 4))).toEqual([]);
    expect(reader.push(framed.subarray(4, 100)).map((m) => m.length)).toEqual([3]);
    expect(reader.push(framed.subarray(100)).map((m) => m.length)).toEqual([300]);
    expect(dnsTcpMessages(framed.subarray(0, 100)).map((m) => m.partial)).toEqual([false, true]);
  });

  it('a truncated UDP answer (TC) makes the resolver ask the same server again over TCP 53, both queries on one connection', () => {
    const frames = created('truncated-then-tcp');
    const tcIndex = frames.findIndex((c) => c.frame.sport === 53 && c.frame.proto === 'udp' && /^UDP 53: \d+\*-\|/.test(c.frame.info));
    expect(tcIndex).toBeGreaterThan(-1);
    const syn = frames.findIndex((c) => c.frame.proto === 'tcp' && c.frame.dport === 53 && c.frame.info.startsWith('TCP [S]'));
    expect(syn).toBeGreaterThan(tcIndex);
    const queries = frames.filter((c) => c.frame.proto === 'tcp' && c.frame.dport === 53 && c.frame.info.includes('?'));
    expect(queries).toHaveLength(1);
    expect(queries[0]!.frame.info).toMatch(/A\? workers\.default\.svc\.cluster\.local\. .*; \d+\+ AAAA\? /);
    expect(res.flows.find((f) => f.flow === 'truncated-then-tcp')!.verdict).toBe('delivered');
  });

  it('use-vc sends no UDP query at all; edns0 gets the whole answer over UDP', () => {
    expect(created('use-vc').some((c) => c.frame.proto === 'udp' && c.frame.dport === 53)).toBe(false);
    expect(created('use-vc').some((c) => c.frame.proto === 'tcp' && c.frame.dport === 53)).toBe(true);
    expect(created('edns0-fits').some((c) => c.frame.proto === 'tcp' && c.frame.dport === 53)).toBe(false);
  });

  it('a policy allowing only UDP 53 drops the TCP retry; the lookup fails when connect() gives up (131 s)', () => {
    const flow = res.flows.find((f) => f.flow === 'udp-only-policy')!;
    expect(flow.dropReason).toBe('dns-unresolved');
    expect(flow.dropDetail).toContain('ETIMEDOUT');
    const syns = created('udp-only-policy').filter((c) => c.frame.proto === 'tcp' && c.frame.dport === 53);
    expect(syns).toHaveLength(11); // the SYN and tcp_syn_retries (6) + tcp_syn_linear_timeouts (4) retransmissions
    const dropped = new Set(res.events.flatMap((e) => (e.kind === 'drop' && e.reason === 'policy-denied' ? [e.pkt] : [])));
    expect(syns.every((s) => dropped.has(s.pkt))).toBe(true);
    const gaveUp = res.events.find((e) => e.kind === 'tcp' && e.flow === 'udp-only-policy' && e.action === 'timeout')!;
    expect(gaveUp.t - syns[0]!.t).toBe(131e9);
  });
});
