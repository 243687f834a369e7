/**
 * The `expect:` fields beyond verdict/deliveredTo/seenSource/dropReason/via:
 * `natted`, `policy`, `hops`, `rtt`. Each accepts a short form and a mapping;
 * bad values are problems at the value's file:line:col.
 */
import { isMap, isSeq } from 'yaml';
import { formatTime } from '../../trace/format.js';
import { parseIpv4 } from '../../wire/addr.js';
import { parseDuration } from '../load/quantities.js';
import type { NatExpectation, PolicyExpectation } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

/** `natted: true | false | {dst: ip[:port], src: ip[:port]}`. */
export function expectNatted(r: YamlReader, at: At | undefined): NatExpectation | undefined {
  const v = r.scalar(at);
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'object') {
    r.problem(at!, `expected true, false or a mapping {dst: <ip>[:<port>], src: <ip>[:<port>]}, found ${JSON.stringify(v)}`);
    return undefined;
  }
  const m = r.map(at!, ['dst', 'src']);
  if (!m) return undefined;
  const out: { dst?: string; src?: string } = {};
  for (const k of ['dst', 'src'] as const) {
    const a = m.get(k);
    const s = r.str(a);
    if (s === undefined) continue;
    if (!isAddress(s)) r.problem(a!, `expected <ip> or <ip>:<port> (like 10.244.2.2:8080), found "${s}"`);
    else out[k] = s;
  }
  if (out.dst === undefined && out.src === undefined && m.size === 0) r.problem(at!, 'expected dst and/or src');
  return out;
}

function isAddress(s: string): boolean {
  const [ip = '', port, ...rest] = s.split(':');
  if (rest.length > 0 || parseIpv4(ip) === undefined) return false;
  if (port === undefined) return true;
  const n = Number(port);
  return /^[0-9]+$/.test(port) && n >= 1 && n <= 65535;
}

const POLICY_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `policy: ns/name | [ns/name | {name, direction, verdict}, ...] | {name, direction, verdict}`. */
export function expectPolicy(r: YamlReader, at: At | undefined, known?: readonly string[]): PolicyExpectation[] | undefined {
  const v = r.scalar(at);
  if (v === undefined) return undefined;
  const items = isSeq(at!.node) ? r.list(at!) : [at!];
  const out: PolicyExpectation[] = [];
  for (const item of items) {
    const p = isMapping(item) ? policyMapping(r, item, known) : policyName(r, item, known);
    if (p) out.push(p);
  }
  return out;
}

function isMapping(at: At): boolean {
  return isMap(at.node);
}

/**
 * `known`: every NetworkPolicy the scenario has (`resources` and `steps[].apply`), as `ns/name`; a name
 * outside it could never match, so it is a typo, not an expectation (as kubectl's `"x" not found`).
 */
function policyName(r: YamlReader, at: At, known?: readonly string[]): PolicyExpectation | undefined {
  const s = r.str(at, true);
  if (s === undefined) return undefined;
  if (!POLICY_NAME.test(s)) {
    r.problem(at, `expected a NetworkPolicy as <namespace>/<name> (like shop/allow-frontend), found "${s}"`);
    return undefined;
  }
  if (known && !known.includes(s)) {
    const ns = s.slice(0, s.indexOf('/'));
    const here = known.filter((k) => k.startsWith(`${ns}/`)).map((k) => k.slice(ns.length + 1));
    r.problem(at, `no NetworkPolicy ${s} in resources or steps (policies in ${ns}: ${here.join(', ') || 'none'})`);
    return undefined;
  }
  return { name: s };
}

function policyMapping(r: YamlReader, at: At, known?: readonly string[]): PolicyExpectation | undefined {
  const m = r.map(at, ['name', 'direction', 'verdict']);
  if (!m) return undefined;
  const p = policyName(r, m.get('name') ?? { node: undefined, path: `${at.path}.name`, near: r.pos(at) }, known);
  const direction = r.oneOf(m.get('direction'), ['ingress', 'egress'] as const);
  const verdict = r.oneOf(m.get('verdict'), ['allow', 'deny'] as const);
  if (!p) return undefined;
  return { ...p, ...(direction ? { direction } : {}), ...(verdict ? { verdict } : {}) };
}

/** `hops: N | {min: N, max: N}`: devices crossed. */
export function expectHops(r: YamlReader, at: At | undefined): { min?: number; max?: number } | undefined {
  const v = r.scalar(at);
  if (v === undefined) return undefined;
  if (typeof v !== 'object') {
    const n = r.int(at, 0, 10_000);
    return n === undefined ? undefined : { min: n, max: n };
  }
  const m = r.map(at!, ['min', 'max']);
  if (!m) return undefined;
  const min = r.int(m.get('min'), 0, 10_000);
  const max = r.int(m.get('max'), 0, 10_000);
  return bounds(r, at!, min, max, 'hops', String);
}

/** `rtt: {min: 10us, max: 1ms}` (or `rtt: 1ms` = at most): simulated round trip. */
export function expectRtt(r: YamlReader, at: At | undefined): { minNs?: number; maxNs?: number } | undefined {
  const v = r.scalar(at);
  if (v === undefined) return undefined;
  if (typeof v !== 'object') {
    const maxNs = r.quantity(at, parseDuration, -1);
    return maxNs < 0 ? undefined : { maxNs };
  }
  const m = r.map(at!, ['min', 'max']);
  if (!m) return undefined;
  const minNs = m.get('min') ? r.quantity(m.get('min'), parseDuration, -1) : undefined;
  const maxNs = m.get('max') ? r.quantity(m.get('max'), parseDuration, -1) : undefined;
  const b = bounds(r, at!, minNs === -1 ? undefined : minNs, maxNs === -1 ? undefined : maxNs, 'rtt', (ns) => `${formatTime(ns)} us`);
  return b ? { ...(b.min !== undefined ? { minNs: b.min } : {}), ...(b.max !== undefined ? { maxNs: b.max } : {}) } : undefined;
}

function bounds(r: YamlReader, at: At, min: number | undefined, max: number | undefined, what: string, fmt: (n: number) => string): { min?: number; max?: number } | undefined {
  if (min === undefined && max === undefined) {
    r.problem(at, `expected min and/or max (${what === 'rtt' ? 'durations like 1ms' : 'integers'})`);
    return undefined;
  }
  if (min !== undefined && max !== undefined && min > max) {
    r.problem(at, `min (${fmt(min)}) is greater than max (${fmt(max)})`);
    return undefined;
  }
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}
