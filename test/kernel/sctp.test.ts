import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/api/simulation.js';
import { nextSctpState, sctpChunkMask } from '../../src/kernel/sctp/conntrack-sctp.js';
import { crc32c } from '../../src/wire/crc32c.js';
import { decodeSctp, encodeSctp, SCTP_ABORT, SCTP_COOKIE_ACK, SCTP_COOKIE_ECHO, SCTP_DATA, SCTP_INIT, SCTP_INIT_ACK, SCTP_SACK } from '../../src/wire/sctp.js';
import { rewriteAddrs } from '../../src/wire/l4-rewrite.js';
import { decodeIpv4, encodeIpv4 } from '../../src/wire/ipv4.js';

const scenario = join(import.meta.dirname, '..', '..', 'scenarios', 'sctp-service.yaml');

describe('SCTP', () => {
  it('CRC32c is Castagnoli (RFC 3720 check value), written little-endian in the common header', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    const b = encodeSctp({ srcPort: 1, dstPort: 2, vtag: 0, chunks: [{ type: SCTP_INIT, flags: 0, value: new Uint8Array(16) }] });
    const zeroed = b.slice();
    zeroed.fill(0, 8, 12);
    expect(new DataView(b.buffer).getUint32(8, true)).toBe(crc32c(zeroed));
    expect(decodeSctp(b).ok).toBe(true);
    b[20]! ^= 1;
    expect(decodeSctp(b)).toEqual({ ok: false, error: 'bad SCTP checksum' });
  });

  it('NAT rewrites ports and recomputes the CRC32c (sctp_manip_pkt)', () => {
    const sctp = encodeSctp({ srcPort: 40000, dstPort: 3868, vtag: 7, chunks: [{ type: SCTP_DATA, flags: 3, value: new Uint8Array(20) }] });
    const ip = encodeIpv4({ tos: 0, id: 1, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: 132, src: 0x0af40102, dst: 0x0a600032, payload: sctp });
    const out = decodeIpv4(rewriteAddrs(ip, { dst: 0x0af40202, dport: 13868 }));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const d = decodeSctp(out.value.payload);
    expect(d.ok && d.value.dstPort).toBe(13868);
  });

  it('conntrack follows nf_conntrack_proto_sctp: INIT -> CLOSED, INIT ACK -> COOKIE_WAIT, COOKIE ECHO -> COOKIE_ECHOED, COOKIE ACK -> ESTABLISHED', () => {
    const m = (t: number): number => sctpChunkMask([t]);
    let s = nextSctpState(undefined, 0, m(SCTP_INIT));
    expect(s).toBe('CLOSED');
    s = nextSctpState(s as 'CLOSED', 1, m(SCTP_INIT_ACK));
    expect(s).toBe('COOKIE_WAIT');
    s = nextSctpState(s as 'COOKIE_WAIT', 0, m(SCTP_COOKIE_ECHO) | m(SCTP_DATA));
    expect(s).toBe('COOKIE_ECHOED');
    s = nextSctpState(s as 'COOKIE_ECHOED', 1, m(SCTP_COOKIE_ACK));
    expect(s).toBe('ESTABLISHED');
    expect(nextSctpState('ESTABLISHED', 1, m(SCTP_SACK))).toBe('ESTABLISHED');
    expect(nextSctpState('ESTABLISHED', 0, m(SCTP_ABORT))).toBe('CLOSED');
  });

  it('an association through a ClusterIP: four-way handshake, DATA, delayed SACK; conntrack ESTABLISHED and assured', () => {
    const sim = Simulation.fromFile(scenario);
    sim.runUntil('100ms');
    const ct = sim.state('node1').conntrack();
    expect(ct).toMatch(/^sctp\s+132 \d+ ESTABLISHED src=10\.244\.1\.2 dst=10\.96\.0\.50 sport=\d+ dport=3868 src=10\.244\.2\.2 dst=10\.244\.1\.2 sport=3868 dport=\d+ \[ASSURED\]/m);
    // The stranger's INIT was denied on node2: on node1 its entry stays CLOSED and unreplied.
    expect(ct).toMatch(/^sctp\s+132 \d+ CLOSED src=10\.244\.1\.3 dst=10\.96\.0\.50 .*\[UNREPLIED\]/m);
    const res = sim.run().raw;
    const created = res.events.flatMap((e) => (e.kind === 'create' && e.flow === 'peer-via-service' && e.frame.proto === 'sctp' ? [e] : []));
    expect(created.map((c) => c.frame.info.replace(/ .*$/, '') + ' ' + /\[[A-Z ]+\]/.exec(c.frame.info)![0])).toEqual([
      'SCTP [INIT]',
      'SCTP [INIT ACK]',
      'SCTP [COOKIE ECHO]',
      'SCTP [COOKIE ACK]',
      'SCTP [DATA]',
      'SCTP [SACK]',
    ]);
    expect(created[5]!.t - created[4]!.t).toBeGreaterThanOrEqual(200e6); // net.sctp.sack_timeout
  });

  it('a denied INIT is retransmitted on T1-init (3 s doubling to 60 s, 8 times); a closed port answers ABORT', () => {
    const res = Simulation.fromFile(scenario).run().raw;
    const inits = res.events.flatMap((e) => (e.kind === 'create' && e.flow === 'stranger-via-service' && e.frame.info.startsWith('SCTP [INIT]') ? [e.t] : []));
    expect(inits).toHaveLength(9);
    expect(inits.slice(1).map((t, i) => Math.round((t - inits[i]!) / 1e9))).toEqual([3, 6, 12, 24, 48, 60, 60, 60]);
    const abort = res.events.find((e) => e.kind === 'create' && e.flow === 'closed-port-abort' && e.frame.info.startsWith('SCTP [ABORT]'));
    expect(abort).toBeDefined();
  });
});
