import { stringify } from 'yaml';
import { checkTraffic } from '../scenario/check/check-traffic.js';
import type { ConnectionOutcome, Scenario, TrafficSpec } from '../scenario/types.js';
import type { DropReason } from '../trace/events.js';
import { YamlReader } from '../scenario/load/yaml-reader.js';
import { ScenarioError } from './errors.js';
import { worldOf } from './run-context.js';
import { timeText, toNs, type SimTime } from './sim-time.js';

export type { SimTime } from './sim-time.js';

/** `N` (exactly) or `{min, max}` (either or both). */
export type CountRange = number | { min?: number; max?: number };

/** A NetworkPolicy decision: `ns/name`, or with the direction and verdict it must have had. */
export type PolicySpec = string | { name: string; direction?: 'ingress' | 'egress'; verdict?: 'allow' | 'deny' };

/** The Ingress rule the controller chose (HTTP traffic through an ingress controller). */
export type IngressRuleSpec = string | { default?: boolean; ingress?: string; host?: string; path?: string; pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific'; backend?: string };

/**
 * The fields of an `expect:` block (docs/scenario-format.md, `expect`), as a
 * send takes them: durations as a string or integer ns, like every
 * simulated time of the API.
 */
export interface ExpectFields {
  /** Outcome of every request. */
  verdict?: 'delivered' | 'dropped';
  /** Delivered to one of these: `pod/<ns>/<name>`, `node/<name>`, `host/<name>`, a workload or selector (any of its pods). */
  deliveredTo?: string | readonly string[];
  /** The source IPv4 the receiving socket saw (after any SNAT). */
  seenSource?: string;
  /** When dropped: why (docs/trace.md). */
  dropReason?: DropReason;
  /** `<netns>:<dev>` devices the request crossed, an ordered subsequence of its path. */
  via?: readonly string[];
  /** `<netns>:<dev>` devices the request must not cross. */
  notVia?: readonly string[];
  /** Some NAT rewrote the request (`true`), none did (`false`), or to `<ip>[:<port>]` (`dst`: DNAT, `src`: SNAT). */
  natted?: boolean | { dst?: string; src?: string };
  /** NetworkPolicies that decided the request (each must match). */
  policy?: PolicySpec | readonly PolicySpec[];
  /** Devices the request crossed (the path's length). */
  hops?: CountRange;
  /** Simulated round trip to the first answer: at most this, or `{min, max}`. */
  rtt?: SimTime | { min?: SimTime; max?: SimTime };
  /** TCP: how the client's connection ended. */
  connection?: ConnectionOutcome;
  /** TCP: retransmissions the client made. */
  retransmits?: CountRange;
  /** `<ip>[:<port>]` the first answer came from as the sender's socket saw it (after un-NAT). */
  replySource?: string;
  /** HTTP traffic: the status of the response the client read (100-599). */
  httpStatus?: number;
  /** HTTP traffic: the Ingress rule chosen (`ns/name`, `default`, or a mapping of what it must have). */
  ingressRule?: IngressRuleSpec;
  /** HTTP traffic: the X-Forwarded-For the backend read. */
  forwardedFor?: string;
  /** Exactly the endpoints the load-balancing NAT chose among (`pod/...`, a workload, `node/<name>`, `<ip>[:<port>]`). */
  candidates?: readonly string[];
  /** The same backend as that flow (`name`, `name#k`; the item's own name: every request where the first went). */
  sameBackendAs?: string;
}

/** A per-proxy-mode block: fields that replace the common ones in that mode; `null` removes one. */
export type ExpectModeFields = { [K in keyof ExpectFields]?: ExpectFields[K] | null };

/** A send's `expect`: the common fields, and per kube-proxy mode the ones that differ there. */
export interface ExpectSpec extends ExpectFields {
  iptables?: ExpectModeFields | null;
  ipvs?: ExpectModeFields | null;
  nftables?: ExpectModeFields | null;
}

/** What every send has, whatever its protocol: the fields of a scenario `traffic:` item (same meaning and defaults). */
interface SendBase {
  /** Flow name (default `send-<n>`); with `count > 1` the flows are `name#1`, `name#2`, ... */
  name?: string;
  /** `pod/<ns>/<name>`, `pod/<name>`, a workload (`deployment/<ns>/<name>`, ...), `node/<name>`, `host/<name>`. */
  from: string;
  /** The same forms, an IPv4 address, `service/<ns>/<name>`, or a DNS name. */
  to: string;
  /** L4 payload bytes (default 64). */
  payload?: number;
  /** Packets (TCP: connections), 1-100000 (default 1). */
  count?: number;
  /** When to send, in absolute simulated time (default: now). */
  at?: SimTime;
  /** Between packets when `count` > 1 (default 1ms). */
  interval?: SimTime;
  /** IP TTL the sender uses (default 64). */
  ttl?: number;
  /** The client binds this source port (TCP, UDP); for ICMP, the echo identifier. */
  sourcePort?: number;
  /** An `expect:` block as in a scenario file; checked by `Results.mismatches()`. */
  expect?: ExpectSpec;
}

/** TCP (the default protocol): a connection, optionally kept alive, closed, answered, or carrying an HTTP request. */
export interface TcpSendSpec extends SendBase {
  protocol?: 'TCP';
  /** Destination port; for `service/`, a port of the Service. */
  port: number;
  /** Packets after the first are data segments on the connection the first opened. */
  reuseConnection?: boolean;
  /** The client closes its connection if the request is not acknowledged by then (`connection: gave-up`). */
  timeout?: SimTime;
  /** Close the connection once the request is acknowledged (`true`) or that long after; `false`: keep it open (the default). */
  close?: boolean | SimTime;
  /** SO_KEEPALIVE with TCP_KEEPIDLE / TCP_KEEPINTVL (whole seconds) / TCP_KEEPCNT; needs `close: <duration>`. */
  keepAlive?: { idle?: SimTime; interval?: SimTime; probes?: number };
  /** The server answers each request with this many bytes. */
  reply?: number;
  /** Send one HTTP/1.1 request on the connection (`traffic[].http`); not with `reuseConnection`. */
  http?: { method?: string; host?: string; path?: string; headers?: Record<string, string> };
}

/** UDP datagrams. */
export interface UdpSendSpec extends SendBase {
  protocol: 'UDP';
  port: number;
  /** Every packet from one connected socket (same source port, answers read). */
  reuseConnection?: boolean;
  /** The server answers each datagram with this many bytes. */
  reply?: number;
}

/** An SCTP association carrying one DATA chunk. */
export interface SctpSendSpec extends SendBase {
  protocol: 'SCTP';
  port: number;
}

/** ICMP echo requests (no port: the kernel answers). */
export interface IcmpSendSpec extends SendBase {
  protocol: 'ICMP';
}

/**
 * One programmatic send: the fields of a scenario `traffic:` item, with the
 * same meaning and defaults (docs/scenario-format.md), by protocol: what a
 * protocol does not have (a port for ICMP, `timeout` for UDP) does not
 * type-check, as the loader refuses it.
 */
export type SendSpec = TcpSendSpec | UdpSendSpec | SctpSendSpec | IcmpSendSpec;

/**
 * Validate a send exactly as the loader validates a traffic item (same refs,
 * ports, Service ports, expectations), so a test gets the same errors a file
 * would. Throws ScenarioError.
 */
export function trafficFromSend(spec: SendSpec, scenario: Scenario, name: string): TrafficSpec {
  const item = withDurationText({ ...spec, name });
  const file = `send(${name})`;
  const r = new YamlReader(file, stringify([item]));
  const doc = r.docs[0]!;
  // As in a file, traffic may name a Service a step creates (and expect a policy a step applies).
  const out = checkTraffic(r, { node: doc.contents, path: 'send', near: doc.start }, worldOf(scenario));
  const problems = r.problems.map((p) => ({ ...p, path: p.path.replace(/^send\[0\]/, 'send') }));
  if (problems.length > 0 || out.length !== 1) throw new ScenarioError(problems);
  return out[0]!;
}

/**
 * The send with every duration as the reader takes it: integer ns become `'<n>ns'` (a number that is not
 * integer ns is a UsageError naming the field, as for `at`), strings stay for the reader to judge. Copies
 * along the way: the caller's object is not changed.
 */
function withDurationText(spec: Record<string, unknown>): Record<string, unknown> {
  const text = (v: unknown, argument: string): unknown => (typeof v === 'number' ? timeText(toNs(v, argument)) : v);
  const out: Record<string, unknown> = { ...spec };
  for (const k of ['at', 'interval', 'timeout', 'close'] as const) if (out[k] !== undefined) out[k] = text(out[k], `spec.${k}`);
  if (isRecord(out.keepAlive)) {
    const ka: Record<string, unknown> = { ...out.keepAlive };
    for (const k of ['idle', 'interval'] as const) if (ka[k] !== undefined) ka[k] = text(ka[k], `spec.keepAlive.${k}`);
    out.keepAlive = ka;
  }
  if (isRecord(out.expect)) {
    const e: Record<string, unknown> = { ...out.expect };
    const rtt = (block: Record<string, unknown>, path: string): void => {
      const v = block.rtt;
      if (isRecord(v)) block.rtt = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, text(x, `${path}.rtt.${k}`)]));
      else if (v !== undefined && v !== null) block.rtt = text(v, `${path}.rtt`);
    };
    rtt(e, 'spec.expect');
    for (const mode of ['iptables', 'ipvs', 'nftables'] as const) {
      const b = e[mode];
      if (!isRecord(b)) continue;
      const copy = { ...b };
      rtt(copy, `spec.expect.${mode}`);
      e[mode] = copy;
    }
    out.expect = e;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
