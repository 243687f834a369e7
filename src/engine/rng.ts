/**
 * Seeded pseudo-random numbers (xoshiro128**, seeded through splitmix32). All
 * randomness in a run derives from the scenario seed, so the same seed gives
 * byte-identical output. Independent streams come from `fork(label)` so that
 * adding a consumer of randomness does not shift everyone else's numbers.
 */
/**
 * Draws made so far by every stream of the process: a train replay
 * (kernel/fastpath/train-probe.ts) tells by it that a datagram's walk drew
 * nothing but what it redoes (the IPv4 id).
 */
export const rngDraws = { n: 0 };

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The last step's output (uint32). */
  private out = 0;
  /**
   * `s0` as seeded, before any draw: what `fork` derives children from, so a
   * child stream depends only on the seed and the chain of labels that led to
   * it, never on how many numbers the parent had drawn when it was forked
   * (a netns forks 'netfilter' lazily, after its devices drew their MACs).
   */
  private readonly key: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32: spreads a small seed over the full state
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.key = this.s0;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    this.step();
    return this.out;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.step();
    return this.out / 4294967296;
  }

  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    this.step();
    return lo + Math.floor((this.out / 4294967296) * (hi - lo + 1));
  }

  /**
   * One xoshiro128** step; its output is left in `out`. Returning nothing
   * (the output is a number field, written in place) is what keeps a caller
   * that is not inlined from boxing a heap number per draw: `int` — one per
   * datagram for its IPv4 ID — returns a small integer.
   */
  private step(): void {
    rngDraws.n++;
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    this.out = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = ((this.s3 << 11) | (this.s3 >>> 21)) >>> 0;
  }

  /**
   * An independent stream whose numbers depend only on the seed and the label
   * (and the labels of the forks above it): the same before and after any
   * number of draws from this stream. Forking the same label twice gives the
   * same stream, so each label names one purpose.
   */
  fork(label: string): Rng {
    let h = this.key ^ 0x811c9dc5;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Rng(h >>> 0);
  }
}
