import type { Rng } from '../../engine/rng.js';

/**
 * `tc qdisc add dev DEV root netem ...`: the fault injector on a device's
 * egress. Every draw comes from the namespace's seeded stream, so the same
 * seed loses, corrupts and delays the same frames.
 */
export interface NetemSpec {
  /** Percent of frames dropped (`loss 5%`). */
  lossPct: number;
  /** Added delay (`delay 10ms`). */
  delayNs: number;
  /** ± uniform jitter around the delay (`delay 10ms 2ms`): frames may overtake each other, as with netem. */
  jitterNs: number;
  /** Percent of frames with one random bit flipped (`corrupt 1%`): the receiver's checksum catches it. */
  corruptPct: number;
  /** Percent of frames sent at once, ahead of the delayed rest (`reorder 25%`; needs a delay). */
  reorderPct: number;
}

export type NetemVerdict = { kind: 'loss' } | { kind: 'send'; delayNs: number; data: Uint8Array; corrupted: boolean };

export class Netem {
  constructor(
    readonly spec: NetemSpec,
    private readonly rng: Rng,
  ) {}

  /** netem_enqueue for one frame: lost, or sent after a delay, possibly with a flipped bit. */
  decide(data: Uint8Array): NetemVerdict {
    const s = this.spec;
    if (s.lossPct > 0 && this.rng.next() * 100 < s.lossPct) return { kind: 'loss' };
    let out = data;
    let corrupted = false;
    if (s.corruptPct > 0 && this.rng.next() * 100 < s.corruptPct) {
      out = data.slice();
      const bit = this.rng.int(0, out.length * 8 - 1);
      out[bit >> 3]! ^= 1 << (bit & 7);
      corrupted = true;
    }
    if (s.delayNs === 0 && s.jitterNs === 0) return { kind: 'send', delayNs: 0, data: out, corrupted };
    if (s.reorderPct > 0 && this.rng.next() * 100 < s.reorderPct) return { kind: 'send', delayNs: 0, data: out, corrupted };
    const jitter = s.jitterNs > 0 ? Math.round((this.rng.next() * 2 - 1) * s.jitterNs) : 0;
    return { kind: 'send', delayNs: Math.max(0, s.delayNs + jitter), data: out, corrupted };
  }
}

/** The netem spec as `tc qdisc` prints it. */
export function formatNetem(s: NetemSpec): string {
  const parts: string[] = [];
  if (s.lossPct > 0) parts.push(`loss ${s.lossPct}%`);
  if (s.delayNs > 0 || s.jitterNs > 0) parts.push(`delay ${ms(s.delayNs)}${s.jitterNs > 0 ? ` ${ms(s.jitterNs)}` : ''}`);
  if (s.corruptPct > 0) parts.push(`corrupt ${s.corruptPct}%`);
  if (s.reorderPct > 0) parts.push(`reorder ${s.reorderPct}%`);
  return parts.length > 0 ? `netem ${parts.join(' ')}` : 'pfifo_fast (no netem)';
}

function ms(ns: number): string {
  return ns % 1e6 === 0 ? `${ns / 1e6}ms` : `${ns / 1e3}us`;
}
