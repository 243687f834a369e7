/**
 * The node lifecycle controller's zone states and its NoExecute tainter's
 * rate (pkg/controller/nodelifecycle node_lifecycle_controller.go:
 * ComputeZoneState, handleDisruption, setLimiterInZone; kube-controller-
 * manager's defaults). A NotReady node is queued for the
 * `node.kubernetes.io/unreachable:NoExecute` taint in its zone; the zone's
 * rate limiter (a token bucket, burst 1) lets one node through per
 * 1/qps seconds, and a disrupted zone's rate is cut, to nothing in a
 * cluster of up to 50 nodes, so its pods are not evicted at all.
 */

/** --node-eviction-rate: nodes tainted per second in a healthy zone. */
export const EVICTION_QPS = 0.1;
/** --secondary-node-eviction-rate: in a partially disrupted zone of a large cluster. */
export const SECONDARY_EVICTION_QPS = 0.01;
/** --large-cluster-size-threshold: at or below it a partially disrupted zone evicts nothing. */
export const LARGE_CLUSTER_THRESHOLD = 50;
/** --unhealthy-zone-threshold: the share of NotReady nodes (more than 2 of them) that makes a zone partially disrupted. */
export const UNHEALTHY_ZONE_THRESHOLD = 0.55;

export type ZoneState = 'normal' | 'partial-disruption' | 'full-disruption';

/** ComputeZoneState: no Ready node is a full disruption; more than 2 NotReady and at least 55% of the zone, a partial one. */
export function zoneState(ready: number, notReady: number): ZoneState {
  if (ready === 0 && notReady > 0) return 'full-disruption';
  if (notReady > 2 && notReady / (notReady + ready) >= UNHEALTHY_ZONE_THRESHOLD) return 'partial-disruption';
  return 'normal';
}

/**
 * setLimiterInZone: a healthy zone and a fully disrupted one (a zone outage: its pods should move
 * elsewhere) taint at the normal rate; a partially disrupted one at ReducedQPSFunc's, 0 for a
 * cluster of up to 50 nodes (the zone's size as upstream passes it).
 */
export function zoneQps(state: ZoneState, zoneSize: number): number {
  if (state !== 'partial-disruption') return EVICTION_QPS;
  return zoneSize <= LARGE_CLUSTER_THRESHOLD ? 0 : SECONDARY_EVICTION_QPS;
}

/** A zone's state in words, for the trace. */
export function describeZone(zone: string, state: ZoneState, notReady: number, size: number): string {
  const name = zone === '' ? 'the zone (no topology.kubernetes.io/zone label)' : `zone ${zone}`;
  const what = state === 'normal' ? 'normal' : state === 'partial-disruption' ? 'partially disrupted' : 'fully disrupted';
  return `${name} ${what} (${notReady} of ${size} nodes NotReady)`;
}
