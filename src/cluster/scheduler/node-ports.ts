import type { HostPort } from './types.js';

/**
 * The NodePorts filter (and the kubelet's admission of the same check): a
 * pod's host ports must be free on the node. A port is its host IP, protocol
 * and number; the wildcard host IP 0.0.0.0 (the default) takes the port on
 * every address, so it conflicts with any claim of that protocol and number,
 * and any claim conflicts with a wildcard one (framework HostPortInfo.CheckConflict).
 */

/** FitError's reason for a node whose host ports are taken. */
export const NODE_PORTS_REASON = "node(s) didn't have free ports for the requested pod ports";

const ANY = '0.0.0.0';

/** Whether any of `wanted` collides with a port already held on the node. */
export function hostPortsConflict(wanted: readonly HostPort[] | undefined, used: readonly HostPort[] | undefined): boolean {
  if (!wanted || !used || used.length === 0) return false;
  return wanted.some((w) => used.some((u) => u.port === w.port && u.protocol === w.protocol && (w.ip === ANY || u.ip === ANY || u.ip === w.ip)));
}
