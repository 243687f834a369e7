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

/** Go's duration units (time.ParseDuration), in ns: µ is U+00B5, μ U+03BC; both mean micro. */
const GO_UNITS: Record<string, bigint> = { ns: 1n, us: 1000n, µs: 1000n, μs: 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
const GO_COMPONENT = /([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/y;

/**
 * A duration as kube-proxy's configuration and flags read it (Go's
 * time.ParseDuration: `1m`, `1h30m`, `500ms`, `1.5s`, `2m3.5s`, a bare `0`;
 * each number needs a unit, fractions of a nanosecond are dropped), or as the
 * rest of the scenario writes durations (parseDuration). Integer nanoseconds
 * (0 to MAX_DURATION_NS), or an error message.
 */
export function parseGoDuration(v: unknown): number | string {
  const bad = `expected a duration as kube-proxy reads it (Go syntax, like 1s, 500ms, 1.5s, 1m30s, 1h), found ${show(v)}`;
  if (v === 0 || v === '0') return 0;
  if (typeof v !== 'string') return bad;
  const ns = goDurationNs(v);
  if (ns === undefined) {
    const classic = parseDuration(v);
    return typeof classic === 'number' ? classic : bad;
  }
  if (ns < 0n) return `expected a duration of at least 0 (kube-proxy rejects a negative one), found ${show(v)}`;
  if (ns > BigInt(MAX_DURATION_NS)) return `expected a duration of at most 1000000s, found ${show(v)}`;
  return Number(ns);
}

/** time.ParseDuration's grammar: an optional sign, then one or more `<number><unit>`; undefined if the text is not one. */
function goDurationNs(text: string): bigint | undefined {
  let i = 0;
  let sign = 1n;
  if (text[0] === '-' || text[0] === '+') {
    sign = text[0] === '-' ? -1n : 1n;
    i = 1;
  }
  if (i === text.length) return undefined;
  let total = 0n;
  while (i < text.length) {
    GO_COMPONENT.lastIndex = i;
    const m = GO_COMPONENT.exec(text)!;
    const [whole, int, frac = '', unitText] = m as unknown as [string, string, string | undefined, string];
    const unit = GO_UNITS[unitText];
    if ((int === '' && frac === '') || unit === undefined) return undefined;
    // Whole units, plus the fraction scaled to the unit and truncated (as Go does).
    total += BigInt(int || '0') * unit + (BigInt(frac || '0') * unit) / 10n ** BigInt(frac.length);
    i += whole.length;
  }
  return sign * total;
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
