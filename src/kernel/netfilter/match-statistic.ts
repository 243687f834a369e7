import { RuleError, parseUint, required, type MatchModule } from './match.js';

const TWO31 = 0x80000000;

/**
 * `%.11f` of stored / 2^31, exactly as glibc's printf rounds it (the binary
 * value is exact, ties go to even), which Number#toFixed does not do.
 */
export function formatProbability(stored: number): string {
  const scale = 10n ** 11n;
  const num = BigInt(stored) * scale;
  const den = BigInt(TWO31);
  let q = num / den;
  const r = num % den;
  if (r * 2n > den || (r * 2n === den && q % 2n === 1n)) q += 1n;
  const whole = q / scale;
  const frac = (q % scale).toString().padStart(11, '0');
  return `${whole}.${frac}`;
}

/**
 * statistic: `--mode random` keeps lround(2^31 × P) and matches when 31
 * random bits fall below it; `--mode nth` counts packets per rule, matching
 * when the counter wraps from every-1 to 0 (it starts at --packet).
 */
export const statisticModule: MatchModule = {
  name: 'statistic',
  options: { '--mode': { args: 1 }, '--probability': { args: 1, neg: true }, '--every': { args: 1, neg: true }, '--packet': { args: 1 } },
  compile(o) {
    const mode = required(o, '--mode', 'statistic').args[0];
    if (mode === 'random') {
      const p = required(o, '--probability', 'statistic');
      if (o.has('--every') || o.has('--packet')) throw new RuleError('statistic: --every and --packet are only valid in nth mode');
      const prob = /^[0-9]*\.?[0-9]*(e-?[0-9]+)?$/i.test(p.args[0]!) ? Number(p.args[0]) : NaN;
      if (!(prob >= 0 && prob <= 1)) throw new RuleError('statistic: --probability must be between 0 and 1');
      // lround: halves away from zero, which Math.round matches for non-negative values.
      const stored = Math.round(TWO31 * prob);
      const neg = p.neg;
      const text = `-m statistic --mode random${neg ? ' !' : ''} --probability ${formatProbability(stored)}`;
      return {
        module: 'statistic',
        inert: false,
        test: (_p, env) => ((env.rng.nextU32() & 0x7fffffff) < stored) !== neg,
        save: () => text,
      };
    }
    if (mode === 'nth') {
      const e = required(o, '--every', 'statistic');
      if (o.has('--probability')) throw new RuleError('statistic: --probability is only valid in random mode');
      if (!o.has('--packet')) throw new RuleError('statistic: option "--every" also requires "--packet".');
      const every = parseUint(e.args[0]!, 0xffffffff, 'statistic --every');
      if (every === 0) throw new RuleError('statistic: --every must be larger than 0');
      const packet = parseUint(o.get('--packet')!.args[0]!, 0xffffffff, 'statistic --packet');
      if (packet > every - 1) throw new RuleError('statistic: --packet value must be between 0 and every-1');
      const last = every - 1;
      const neg = e.neg;
      let count = packet;
      const text = `-m statistic --mode nth${neg ? ' !' : ''} --every ${every} --packet ${packet}`;
      return {
        module: 'statistic',
        inert: false,
        bound: true,
        test() {
          count = count === last ? 0 : count + 1;
          return (count === 0) !== neg;
        },
        save: () => text,
      };
    }
    throw new RuleError(`statistic: Bad mode "${mode ?? ''}"`);
  },
};
