import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { IcmpRateLimit } from '../../src/kernel/ipv4/icmp-ratelimit.js';

const S = 1e9;
const PORT_UNREACH = [3, 3] as const;

/** How many of `n` errors to `dst`, one every `gapNs` from `t0`, the limiter lets through. */
function sent(rl: IcmpRateLimit, dst: number, n: number, t0: number, gapNs: number, type = 3, code = 3): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (rl.allowError(dst, type, code, t0 + i * gapNs, false, false) === undefined) ok++;
  return ok;
}

describe('ICMP rate limits (icmp_ratelimit, icmp_msgs_per_sec: Linux defaults)', () => {
  it('per destination: a burst of 6, then 1 a second; 2 after 2 s idle (measured on Linux 6.18: 6, then 2)', () => {
    const rl = new IcmpRateLimit();
    expect(sent(rl, 1, 100, 0, 1e6)).toBe(6);
    expect(sent(rl, 1, 10, 2.1 * S, 1e6)).toBe(2);
    expect(sent(rl, 1, 1, 3.2 * S, 0)).toBe(1);
    // Another destination has its own bucket.
    expect(sent(rl, 2, 10, 3.2 * S, 0)).toBe(6);
  });

  it('fragmentation needed and types outside icmp_ratemask are never limited', () => {
    const rl = new IcmpRateLimit();
    expect(sent(rl, 1, 60, 0, 1e6, 3, 4)).toBe(60);
    expect(IcmpRateLimit.exempt(0, 0)).toBe(true); // echo reply
    expect(IcmpRateLimit.exempt(11, 0)).toBe(false);
    expect(IcmpRateLimit.exempt(...PORT_UNREACH)).toBe(false);
  });

  it("an error leaving by loopback skips the destination's bucket, not the namespace's (burst 50, then 1000/s)", () => {
    const rl = new IcmpRateLimit();
    let ok = 0;
    for (let i = 0; i < 200; i++) if (rl.allowError(7, 3, 1, 3 * S, false, true) === undefined) ok++;
    expect(ok).toBe(50);
    expect(rl.allowError(7, 3, 1, 3 * S + 10e6, false, true)).toBe('icmp_msgs_per_sec'); // < 20 ms: no refill
    ok = 0;
    for (let i = 0; i < 100; i++) if (rl.allowError(7, 3, 1, 3 * S + 30e6, false, true) === undefined) ok++;
    expect(ok).toBe(30);
    // An offending packet that came in on loopback is not held to the namespace's limit.
    expect(rl.allowError(7, 3, 1, 3 * S + 30e6, true, true)).toBeUndefined();
  });

  it("ip_error takes from the peer's tokens before icmp_send does: 2 in a burst, then only after 2 s without one", () => {
    // From route.c and icmp.c (one inet_peer per source, its rate_tokens shared): each unroutable packet takes
    // a second's worth in ip_error (cap 5 s) and, if that passed, another in icmpv4_xrlim_allow (cap 6 s).
    const rl = new IcmpRateLimit();
    const routeError = (t: number): boolean => rl.allowRouteError(9, t) && rl.allowError(9, 3, 0, t, false, false) === undefined;
    expect([0, 1, 2, 3, 4].map((i) => routeError(i * 1e6))).toEqual([true, true, false, false, false]);
    // One a second: ip_error takes each second's token, so icmp_send never finds one.
    expect([1, 2, 3, 4].map((s) => routeError(s * S))).toEqual([false, false, false, false]);
    // After 2 s without any: both find theirs.
    expect(routeError(6.1 * S)).toBe(true);
  });
});

const scenario = `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: rl}
cluster:
  network: host-gw
  nodes: [{name: node1}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {containers: [{name: c, image: busybox}]}}
traffic:
  - {name: closed, from: pod/a, to: pod/b, protocol: UDP, port: 9999, payload: 10, count: 20, interval: 1ms}
  - {name: ttl, from: pod/a, to: 192.168.0.50, protocol: UDP, port: 33434, payload: 10, count: 20, interval: 1ms, ttl: 1, at: 5s}
  - {name: closed-later, from: pod/a, to: pod/b, protocol: UDP, port: 9999, payload: 10, count: 3, interval: 1ms, at: 2.02s}
  - {name: lonely, from: pod/a, to: 10.244.1.99, protocol: UDP, port: 9, payload: 10, count: 200, interval: 10us, at: 10s}
`;

describe("a walk with many errors (the reviewer's rl.yaml)", () => {
  const r = loadScenarioText(scenario, 'rl.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const res = simulate(r.scenario);
  const flowsOf = (name: string) => res.flows.filter((f) => f.traffic.name === name).map((f) => f.flow);
  const errors = (name: string, suppressed: boolean) => {
    const flows = new Set(flowsOf(name));
    return res.events.filter((e) => e.kind === 'icmp' && (e.suppressed !== undefined) === suppressed && res.events.some((c) => c.kind === 'create' && c.pkt === e.about && c.flow !== undefined && flows.has(c.flow))).length;
  };

  it('20 datagrams to a closed port: 6 port unreachables, 14 withheld; 2 s later, 2 more', () => {
    expect(errors('closed', false)).toBe(6);
    expect(errors('closed', true)).toBe(14);
    expect(errors('closed-later', false)).toBe(2);
  });

  it("a TTL sweep: node1's time exceeded, 6 then none within the second", () => {
    expect(errors('ttl', false)).toBe(6);
    expect(errors('ttl', true)).toBe(14);
  });

  it('200 datagrams behind a failed ARP: 50 host unreachables through lo (the namespace burst; Linux: about 50)', () => {
    const sentErrors = res.events.filter((e) => e.kind === 'icmp' && e.t >= 10e9 && e.message === 'host unreachable');
    expect(sentErrors.filter((e) => e.kind === 'icmp' && e.suppressed === undefined)).toHaveLength(50);
    expect(sentErrors.filter((e) => e.kind === 'icmp' && e.suppressed === 'icmp_msgs_per_sec')).toHaveLength(150);
  });
});
