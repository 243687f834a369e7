/** Durations and link rates as people write them (`50us`, `1ms`, `10Gbit`, as tc does). */

const TIME: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };
const RATE: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12 };

/** Integer nanoseconds, or an error message. */
export function parseDuration(v: unknown): number | string {
  if (v === 0) return 0;
  const m = typeof v === 'string' ? /^([0-9]+(?:\.[0-9]+)?)\s*(ns|us|µs|ms|s)$/.exec(v.trim()) : null;
  if (!m) return `expected a duration with a unit (ns, us, ms, s) like 50us, found ${JSON.stringify(v)}`;
  return Math.round(Number(m[1]) * TIME[m[2]!]!);
}

/** Bits per second, or an error message. */
export function parseRate(v: unknown): number | string {
  const m = typeof v === 'string' ? /^([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)$/.exec(v.trim()) : null;
  const unit = m ? RATE[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return `expected a rate like 10Gbit (bit, Kbit, Mbit, Gbit, Tbit), found ${JSON.stringify(v)}`;
  return Number(m[1]) * unit;
}
