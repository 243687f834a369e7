import { checkSeedValue } from '../scenario/load/seed.js';
import type { ProxyMode } from '../scenario/types.js';
import { printable } from '../trace/safe-text.js';
import { UsageError } from './errors.js';

/** What a value is, for a message (`a string`, `null`, `a function`). */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string "${printable(v, 40)}"`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  return typeof v === 'object' ? 'an object' : typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`;
}

export function requireString(v: unknown, argument: string): string {
  if (typeof v !== 'string') throw new UsageError(argument, `expected a string, got ${kindOf(v)}`);
  return v;
}

export function requireObject(v: unknown, argument: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(argument, `expected an object, got ${kindOf(v)}`);
  return v as Record<string, unknown>;
}

export function requireFunction(v: unknown, argument: string): void {
  if (typeof v !== 'function') throw new UsageError(argument, `expected a function, got ${kindOf(v)}`);
}

// Every mode, checked complete by the compiler.
const PROXY_MODES: Record<ProxyMode, true> = { iptables: true, ipvs: true, nftables: true };
const OPTION_KEYS = ['seed', 'proxyMode', 'file', 'detailed', 'eventBudget', 'traffic', 'onEvent'] as const;

/** The options of `Simulation.fromFile/fromYaml/fromObject` (and `scenarioFrom*`): each checked, unknown ones refused. */
export function checkOptions(opts: unknown, allowed: readonly (typeof OPTION_KEYS)[number][] = OPTION_KEYS): void {
  if (opts === undefined) return;
  const o = requireObject(opts, 'options');
  for (const k of Object.keys(o)) if (!(allowed as readonly string[]).includes(k)) throw new UsageError(`options.${printable(k, 40)}`, `unknown option (expected ${allowed.join(', ')})`);
  if (o.seed !== undefined) {
    const s = checkSeedValue(o.seed);
    if (typeof s === 'string') throw new UsageError('options.seed', s);
  }
  if (o.proxyMode !== undefined && !(Object.keys(PROXY_MODES) as unknown[]).includes(o.proxyMode)) throw new UsageError('options.proxyMode', `expected ${Object.keys(PROXY_MODES).join(', ')}, got ${kindOf(o.proxyMode)}`);
  if (o.file !== undefined) requireString(o.file, 'options.file');
  for (const k of ['detailed', 'traffic'] as const) if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new UsageError(`options.${k}`, `expected true or false, got ${kindOf(o[k])}`);
  if (o.onEvent !== undefined) requireFunction(o.onEvent, 'options.onEvent');
  const b = o.eventBudget;
  if (b !== undefined && !(typeof b === 'number' && Number.isInteger(b) && b >= 1 && b <= Number.MAX_SAFE_INTEGER)) throw new UsageError('options.eventBudget', `expected a positive integer, got ${kindOf(b)}`);
}

/**
 * A scenario given as an object must be data, as YAML could have written it:
 * no functions, symbols, bigints, class instances or cycles. Returns the path
 * of the first offending value, with why.
 */
export function notPlainData(v: unknown, path = '', seen = new Set<object>()): { path: string; why: string } | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : { path, why: `${String(v)} is not a finite number` };
  if (typeof v !== 'object') return { path, why: `expected data, found ${kindOf(v)}` };
  if (seen.has(v)) return { path, why: 'refers back to itself (a cycle)' };
  const proto = Object.getPrototypeOf(v) as unknown;
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return { path, why: 'expected a plain object, found an instance of a class' };
  seen.add(v);
  const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x]) : Object.entries(v).map(([k, x]) => [path ? `.${k}` : k, x]);
  for (const [k, x] of entries) {
    if (x === undefined) continue;
    const bad = notPlainData(x, `${path}${k}`, seen);
    if (bad) return bad;
  }
  seen.delete(v);
  return undefined;
}
