import { fnv32a } from '../control-plane/generated-names.js';

/**
 * Rendezvous hashing, podwalk's stand-in for the scheduler's random choice
 * among equally scored nodes: each node scores hash(pod, node), the highest
 * wins; ties go to the name that sorts first. A pod's pick among the same
 * nodes never depends on other pods; adding a node moves only the pods that
 * now score highest on it.
 */
export function pickNode(podKey: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const n of candidates) {
    const score = mix(fnv32a(`${podKey}\u0000${n}`));
    if (score > bestScore || (score === bestScore && best !== undefined && n < best)) {
      best = n;
      bestScore = score;
    }
  }
  return best;
}

/** murmur3's fmix32: FNV alone leaves strings that differ only at the end too close. */
export function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
