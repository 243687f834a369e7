/**
 * A rolling update's maxSurge and maxUnavailable: an int or a percentage
 * (intstr), resolved against the Deployment's replicas when the controller
 * acts on it, not when the manifest was written.
 */
export type CountOrPercent = { count: number } | { percent: number };

/** The Deployment defaults: 25% each. */
export const DEFAULT_FENCEPOST: CountOrPercent = { percent: 25 };

/**
 * deployment/util ResolveFenceposts: surge rounded up, unavailable rounded
 * down; validation refuses only both given as a literal 0, so when both
 * round to 0 (maxSurge 0 and 25% of 3 replicas) maxUnavailable is 1.
 * Values past `replicas` change nothing a rollout does here and are capped.
 */
export function resolveFenceposts(maxSurge: CountOrPercent, maxUnavailable: CountOrPercent, replicas: number): { maxSurge: number; maxUnavailable: number } {
  const scaled = (v: CountOrPercent, round: (x: number) => number): number => Math.min('count' in v ? v.count : round((replicas * v.percent) / 100), replicas);
  const surge = scaled(maxSurge, Math.ceil);
  const unavailable = scaled(maxUnavailable, Math.floor);
  return { maxSurge: surge, maxUnavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}

/** Whether a value is literally zero (`0` or `0%`): ValidateRollingUpdateDeployment refuses both fields so. */
export function isLiteralZero(v: CountOrPercent): boolean {
  return 'count' in v ? v.count === 0 : v.percent === 0;
}

/** As the manifest writes it: `1`, `25%`. */
export function formatCountOrPercent(v: CountOrPercent): string {
  return 'count' in v ? String(v.count) : `${v.percent}%`;
}
