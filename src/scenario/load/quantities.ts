/** Durations and link rates as people write them (`50us`, `1ms`, `10Gbit`, as tc does). */

const TIME: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };
const RATE: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12 };

/**
 * Longest duration (1,000,000 s, about 11.6 days), and latest simulated time
 * a scenario may ask for: the clock counts integer nanoseconds in a double,
 * exact up to 2^53 (104 days), so sums of a few limits stay exact.
 */
export const MAX_DURATION_NS = 1e15;
/** Fastest link rate accepted: 1 Pbit/s (and the slowest: 1 bit/s). */
export const MAX_RATE_BPS = 1e15;

/** Integer nanoseconds (0 to MAX_DURATION_NS), or an error message. */
export function parseDuration(v: unknown): number | string {
  if (v === 0) return 0;
  const m = typeof v === 'string' ? /^([0-9]+(?:\.[0-9]+)?)\s*(ns|us|µs|ms|s)$/.exec(v.trim()) : null;
  if (!m) return `expected a duration with a unit (ns, us, ms, s) like 50us, found ${show(v)}`;
  const ns = Math.round(Number(m[1]) * TIME[m[2]!]!);
  if (!(ns <= MAX_DURATION_NS)) return `expected a duration of at most 1000000s, found ${show(v)}`;
  return ns;
}

/** Bits per second (1 to MAX_RATE_BPS), or an error message. */
export function parseRate(v: unknown): number | string {
  const m = typeof v === 'string' ? /^([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)$/.exec(v.trim()) : null;
  const unit = m ? RATE[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return `expected a rate like 10Gbit (bit, Kbit, Mbit, Gbit, Tbit), found ${show(v)}`;
  const bps = Number(m[1]) * unit;
  if (!(bps >= 1 && bps <= MAX_RATE_BPS)) return `expected a rate from 1bit to 1000Tbit, found ${show(v)}`;
  return bps;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
