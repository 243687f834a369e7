import { stringify } from 'yaml';
import { checkTraffic } from '../scenario/check/check-traffic.js';
import type { Scenario, TrafficSpec } from '../scenario/types.js';
import { YamlReader } from '../scenario/load/yaml-reader.js';
import { ScenarioError } from './errors.js';
import { worldOf } from './run-context.js';

/** Simulated time: a duration string (`'1ms'`, `'250us'`) or integer nanoseconds. */
export type SimTime = string | number;

/**
 * One programmatic send: the fields of a scenario `traffic:` item, with the
 * same meaning and defaults (see the scenario format reference).
 */
export interface SendSpec {
  /** Flow name (default `send-<n>`); with `count > 1` the flows are `name#1`, `name#2`, ... */
  name?: string;
  /** `pod/<ns>/<name>`, `pod/<name>`, `node/<name>`, `host/<name>`. */
  from: string;
  /** The same forms, an IPv4 address, `service/<ns>/<name>`, or a DNS name. */
  to: string;
  protocol?: 'TCP' | 'UDP' | 'ICMP';
  /** Destination port (required for TCP and UDP). */
  port?: number;
  /** L4 payload bytes (default 64). */
  payload?: number;
  count?: number;
  /** When to send, in absolute simulated time (default: now). */
  at?: SimTime;
  interval?: SimTime;
  ttl?: number;
  /** TCP keep-alive: packets after the first are data segments on the connection the first opened. */
  reuseConnection?: boolean;
  /** Send one HTTP/1.1 request on the TCP connection (`{method, host, path, headers}`, as `traffic[].http`). */
  http?: { method?: string; host?: string; path?: string; headers?: Record<string, string> };
  /** An `expect:` block as in a scenario file; checked by `Results.mismatches()`. */
  expect?: Record<string, unknown>;
}

/** Duration text for the scenario reader (`5000` ns -> `'5000ns'`). */
export function timeText(t: SimTime): string {
  return typeof t === 'number' ? `${t}ns` : t;
}

/**
 * Validate a send exactly as the loader validates a traffic item (same refs,
 * ports, Service ports, expectations), so a test gets the same errors a file
 * would. Throws ScenarioError.
 */
export function trafficFromSend(spec: SendSpec, scenario: Scenario, name: string): TrafficSpec {
  const item: Record<string, unknown> = { ...spec, name };
  if (spec.at !== undefined) item.at = timeText(spec.at);
  if (spec.interval !== undefined) item.interval = timeText(spec.interval);
  const file = `send(${name})`;
  const r = new YamlReader(file, stringify([item]));
  const doc = r.docs[0]!;
  // As in a file, traffic may name a Service a step creates (and expect a policy a step applies).
  const out = checkTraffic(r, { node: doc.contents, path: 'send', near: doc.start }, worldOf(scenario));
  const problems = r.problems.map((p) => ({ ...p, path: p.path.replace(/^send\[0\]/, 'send') }));
  if (problems.length > 0 || out.length !== 1) throw new ScenarioError(problems);
  return out[0]!;
}
