import { RuleError } from './match.js';

/** A closed port range [lo, hi]. */
export type PortRange = readonly [number, number];

const SERVICES: Record<string, number> = { ssh: 22, domain: 53, http: 80, https: 443, ntp: 123 };

export function parsePort(s: string): number {
  const n = /^[0-9]{1,5}$/.test(s) ? Number(s) : SERVICES[s];
  if (n === undefined || n > 65535) throw new RuleError(`invalid port/service \`${s}' specified`);
  return n;
}

/** `a`, `a:b`, `:b`, `a:` as xtables_parse_port_range reads them. */
export function parsePortRange(s: string): PortRange {
  const colon = s.indexOf(':');
  if (colon < 0) {
    const p = parsePort(s);
    return [p, p];
  }
  const lo = colon === 0 ? 0 : parsePort(s.slice(0, colon));
  const hi = colon === s.length - 1 ? 65535 : parsePort(s.slice(colon + 1));
  if (lo > hi) throw new RuleError(`invalid portrange (min > max) \`${s}'`);
  return [lo, hi];
}

export function formatRange([lo, hi]: PortRange): string {
  return lo === hi ? String(lo) : `${lo}:${hi}`;
}
