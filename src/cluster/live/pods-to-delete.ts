/**
 * Which of a ReplicaSet's pods its controller deletes when it has too many
 * (pkg/controller/replicaset getPodsToDelete): each pod ranked by the number
 * of related active pods (every ReplicaSet of the Deployment) on its node,
 * the list sorted once (controller_utils ActivePodsWithRanks.Less, with
 * LogarithmicScaleDown, on by default since 1.22), the first `diff` taken.
 */

/** What the ranking reads of a pod. */
export interface RankedPod {
  name: string;
  nodeName: string;
  ready: boolean;
  terminating: boolean;
  /** When it was created and last became Ready (ns since the run's start; absent: at the start). */
  createdAt?: number;
  readyAt?: number;
  /** Container restarts (the most of any of its containers). */
  restarts?: number;
  annotations?: Record<string, string>;
}

/** The annotation whose int32 value orders deletions (lower first; PodDeletionCost, GA in 1.22+ as beta on by default). */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/**
 * The `diff` pods of `pods` to delete first. `related`: the pods of every
 * ReplicaSet of the Deployment (a superset of `pods`); terminating ones do
 * not count on a node (IsPodActive).
 */
export function podsToDelete<T extends RankedPod>(pods: readonly T[], related: readonly RankedPod[], diff: number, now: number): T[] {
  if (diff <= 0) return [];
  const onNode = new Map<string, number>();
  for (const p of related) if (!p.terminating) onNode.set(p.nodeName, (onNode.get(p.nodeName) ?? 0) + 1);
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.nodeName) ?? 0 }));
  ranked.sort((a, b) => (before(a.pod, a.rank, b.pod, b.rank, now) ? -1 : before(b.pod, b.rank, a.pod, a.rank, now) ? 1 : 0));
  return ranked.slice(0, diff).map((r) => r.pod);
}

/**
 * ActivePodsWithRanks.Less: whether `a` goes before `b`. Every pod here is
 * assigned and Running (rules 1 and 2 never decide). A pod's UID, the
 * upstream tie-breaker, is random: its name (a random suffix too) stands in.
 */
function before(a: RankedPod, rankA: number, b: RankedPod, rankB: number, now: number): boolean {
  // 3. Not ready before ready.
  if (a.ready !== b.ready) return !a.ready;
  // 4. Lower pod-deletion-cost first.
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca < cb;
  // 5. More related pods on the same node first (doubled up).
  if (rankA !== rankB) return rankA > rankB;
  // 6. Ready for less time first, by powers of two of the time.
  if (a.ready && b.ready) {
    const ra = a.readyAt ?? 0;
    const rb = b.readyAt ?? 0;
    if (ra !== rb) {
      const d = logRank(ra, now) - logRank(rb, now);
      return d === 0 ? a.name < b.name : d < 0;
    }
  }
  // 7. More container restarts first.
  if ((a.restarts ?? 0) !== (b.restarts ?? 0)) return (a.restarts ?? 0) > (b.restarts ?? 0);
  // 8. Newer first, by powers of two of the age.
  const ta = a.createdAt ?? 0;
  const tb = b.createdAt ?? 0;
  if (ta !== tb) {
    const d = logRank(ta, now) - logRank(tb, now);
    return d === 0 ? a.name < b.name : d < 0;
  }
  return a.name < b.name;
}

/** logarithmicRankDiff's rank of a time: floor(log2) of its age in nanoseconds, -1 for none. */
function logRank(t: number, now: number): number {
  const d = now - t;
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/** GetDeletionCostFromPodAnnotations: the annotation as an int32; absent or malformed, 0. */
function deletionCost(p: RankedPod): number {
  const v = p.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^-?\d+$/.test(v.trim())) return 0;
  const n = Number(v.trim());
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}
