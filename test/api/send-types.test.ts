/**
 * The types of `sim.send(spec)` and of `Flow` against what the scenario format
 * accepts (docs/scenario-format.md, traffic[] and expect). The type half is
 * checked by `npm run typecheck` (tsc over test/): `expectTypeOf` and every
 * `@ts-expect-error` must hold, or tsc fails; the runtime half runs the sends.
 */
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { Simulation, UsageError, type ExpectSpec, type Flow, type SendSpec } from '../../src/api/index.js';
import type { ConnectionOutcome, DropReason } from '../../src/index.js';

const scenarios = join(import.meta.dirname, '..', '..', 'scenarios');

// Every traffic[] field, TCP (the default protocol): durations as strings or integer ns.
const tcp: SendSpec = {
  name: 'every-tcp-field',
  from: 'pod/default/client',
  to: 'service/default/web',
  port: 80,
  payload: 100,
  count: 2,
  at: '1ms',
  interval: 2_000_000,
  ttl: 63,
  sourcePort: 40000,
  reuseConnection: true,
  timeout: 5_000_000,
  close: '30s',
  keepAlive: { idle: '10s', interval: 1_000_000_000, probes: 3 },
  reply: 500,
  expect: { verdict: 'delivered', connection: 'closed', retransmits: { max: 0 }, rtt: 1_000_000, replySource: '10.96.0.11:80' },
};
const udp: SendSpec = { from: 'pod/client', to: 'pod/web', protocol: 'UDP', port: 53, reply: 40, reuseConnection: true, sourcePort: 5353 };
const sctp: SendSpec = { from: 'pod/client', to: 'service/web', protocol: 'SCTP', port: 3868 };
const icmp: SendSpec = { from: 'pod/client', to: '10.244.2.2', protocol: 'ICMP', sourcePort: 7 };
const http: SendSpec = { from: 'pod/client', to: 'web', port: 80, close: true, http: { method: 'GET', path: '/', headers: { 'X-Id': '1' } }, expect: { httpStatus: 200, ingressRule: 'default', forwardedFor: '10.244.1.2' } };

// Every expect field, and the per-mode blocks (null removes a field in that mode).
const every: ExpectSpec = {
  verdict: 'dropped',
  deliveredTo: ['deployment/web', 'pod/default?app=web'],
  seenSource: '10.244.1.2',
  dropReason: 'policy-denied',
  via: ['node1:cbr0'],
  notVia: ['node1:flannel.1'],
  natted: { dst: '10.244.1.3:8080' },
  policy: ['shop/a', { name: 'shop/b', direction: 'ingress', verdict: 'deny' }],
  hops: { min: 3, max: 9 },
  rtt: { min: '10us', max: 2_000_000 },
  connection: 'refused',
  retransmits: 2,
  replySource: '10.96.0.11',
  httpStatus: 503,
  ingressRule: { ingress: 'shop/web', host: 'shop.example', path: '/', pathType: 'Prefix', backend: 'shop/web:80' },
  forwardedFor: '10.0.0.1',
  candidates: ['deployment/web', '10.244.2.7:8080', 'node/node1'],
  sameBackendAs: 'sticky',
  ipvs: { dropReason: 'ipvs-no-destination', deliveredTo: null },
  nftables: null,
};

describe('send and expect types', () => {
  it('type every field the scenario format has, by protocol', () => {
    expectTypeOf(tcp).toMatchTypeOf<SendSpec>();
    expectTypeOf(every).toMatchTypeOf<ExpectSpec>();
    expectTypeOf<NonNullable<ExpectSpec['connection']>>().toEqualTypeOf<ConnectionOutcome>();
    expectTypeOf<NonNullable<ExpectSpec['dropReason']>>().toEqualTypeOf<DropReason>();
    expectTypeOf<SendSpec['protocol']>().toEqualTypeOf<'TCP' | 'UDP' | 'SCTP' | 'ICMP' | undefined>();
    for (const s of [udp, sctp, icmp, http]) expectTypeOf(s).toMatchTypeOf<SendSpec>();
  });

  it('refuse at compile time what the loader refuses', () => {
    // @ts-expect-error a misspelt verdict
    const a: ExpectSpec = { verdict: 'delivred' };
    // @ts-expect-error no such drop reason
    const b: ExpectSpec = { dropReason: 'policy-deny' };
    // @ts-expect-error ICMP has no port
    const c: SendSpec = { from: 'pod/a', to: 'pod/b', protocol: 'ICMP', port: 80 };
    // @ts-expect-error TCP and UDP need a port
    const d: SendSpec = { from: 'pod/a', to: 'pod/b', protocol: 'UDP' };
    // @ts-expect-error timeout is the TCP client giving up: not for UDP
    const e: SendSpec = { from: 'pod/a', to: 'pod/b', protocol: 'UDP', port: 53, timeout: '1s' };
    // @ts-expect-error an SCTP server that answers is not modelled
    const f: SendSpec = { from: 'pod/a', to: 'pod/b', protocol: 'SCTP', port: 3868, reply: 10 };
    // @ts-expect-error an unknown expect field
    const g: ExpectSpec = { delivered: true };
    // @ts-expect-error a policy mapping needs its name
    const h: ExpectSpec = { policy: { verdict: 'deny' } };
    expect([a, b, c, d, e, f, g, h]).toHaveLength(8);
  });

  it('Flow: what a test asks of a flow, typed', () => {
    expectTypeOf<Flow['dropReason']>().toEqualTypeOf<DropReason | undefined>();
    expectTypeOf<NonNullable<Flow['connection']>['outcome']>().toEqualTypeOf<ConnectionOutcome>();
    expectTypeOf<NonNullable<Flow['connection']>['retransmits']>().toEqualTypeOf<number>();
    expectTypeOf<Flow['replySource']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Flow['candidates']>().toEqualTypeOf<readonly string[] | undefined>();
  });
});

describe('the sends the types allow run', () => {
  it('reply, timeout, close and keepAlive in integer ns, sourcePort; the Flow getters answer', () => {
    const sim = Simulation.fromFile(join(scenarios, 'service-clusterip.yaml'), { traffic: false });
    sim.send({
      name: 'kept',
      from: 'pod/client',
      to: 'service/web',
      port: 80,
      sourcePort: 40000,
      reply: 300,
      timeout: 5_000_000_000,
      close: 2_000_000_000,
      keepAlive: { idle: 1_000_000_000, interval: '1s', probes: 2 },
      expect: { verdict: 'delivered', connection: 'closed', rtt: { max: 1_000_000 }, replySource: '10.96.0.11:80' },
    });
    sim.send({ name: 'gives-up', from: 'pod/client', to: '10.244.9.9', port: 80, at: '1ms', timeout: 3_000_000_000, expect: { connection: 'gave-up' } });
    const r = sim.run();
    expect(r.mismatches()).toEqual([]);
    const kept = r.flow('kept');
    expect(kept.connection).toMatchObject({ outcome: 'closed', retransmits: 0 });
    expect(kept.replySource).toBe('10.96.0.11:80');
    expect(kept.candidates).toHaveLength(2);
    expect(r.flow('gives-up').connection?.outcome).toBe('gave-up');
  });

  it('SCTP to a Service; a number that is not integer ns is refused where it stands', () => {
    const sim = Simulation.fromFile(join(scenarios, 'sctp-service.yaml'), { traffic: false });
    sim.send({ name: 'assoc', from: 'pod/peer', to: 'service/diameter', protocol: 'SCTP', port: 3868, expect: { verdict: 'delivered' } });
    expect(() => sim.send({ from: 'pod/peer', to: 'pod/diameter', port: 3869, timeout: 1.5 })).toThrow(UsageError);
    expect(() => sim.send({ from: 'pod/peer', to: 'pod/diameter', port: 3869, timeout: 1.5 })).toThrow(/^spec\.timeout: expected integer nanoseconds/);
    expect(() => sim.send({ from: 'pod/peer', to: 'pod/diameter', port: 3869, expect: { rtt: { max: -1 } } })).toThrow(/^spec\.expect\.rtt\.max: /);
    const r = sim.run();
    expect(r.mismatches()).toEqual([]);
    expect(r.flow('assoc').delivered).toBe(true);
  });
});
