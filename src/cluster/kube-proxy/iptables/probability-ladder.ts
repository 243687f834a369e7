/**
 * The `-m statistic --mode random --probability p` ladder kube-proxy writes in
 * a KUBE-SVC/KUBE-SVL chain: rule i (0-based) of N matches with probability
 * 1/(N-i), so each endpoint is picked with probability 1/N overall; the last
 * rule has no statistic match and always takes what is left.
 */

/**
 * `x` (finite, >= 0) with exactly `digits` decimals, rounded like Go's
 * `fmt.Sprintf("%0.10f")`: from the exact binary value of the double, ties to
 * even. (JavaScript's toFixed breaks exact ties upwards: 1/2048 would print
 * 0.0004882813 where kube-proxy prints 0.0004882812.)
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`formatFixed: ${x}`);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  // x = mantissa * 2^exponent, exactly.
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (exponent >= 0) {
    q = mantissa * scale * (1n << BigInt(exponent));
  } else {
    const num = mantissa * scale;
    const den = 1n << BigInt(-exponent);
    q = num / den;
    const twice = 2n * (num % den);
    if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  }
  const s = q.toString().padStart(digits + 1, '0');
  return digits === 0 ? s : `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** `1/n` as kube-proxy prints a probability (10 decimals). */
export function probability(n: number): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`probability: ${n}`);
  return formatFixed(1 / n, 10);
}

/**
 * The probability printed on each of `count` load-balancing rules, in order;
 * `undefined` for the last rule, which has no statistic match.
 */
export function probabilityLadder(count: number): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (let i = 0; i < count; i++) out.push(i < count - 1 ? probability(count - i) : undefined);
  return out;
}
