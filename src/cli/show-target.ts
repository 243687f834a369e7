import type { Cluster } from '../cluster/build.js';
import type { NetNs } from '../kernel/netns.js';

/**
 * `show`'s view names as the real tools spell their objects (`ip route`,
 * `ip neighbor`, `ip address`): a user typing what they type on a node gets
 * the view, not an unknown-view error.
 */
export const SHOW_ALIASES: Readonly<Record<string, string>> = {
  route: 'routes',
  neighbor: 'neigh',
  neighbour: 'neigh',
  address: 'addr',
};

/**
 * `--node` in the form traffic items name endpoints (`pod/client`,
 * `pod/default/client`, `node/node1`, `host/ext`), beside the plain names the
 * namespaces have. A pod without a namespace is in `default`, as in traffic.
 */
export function showTarget(cluster: Cluster, name: string): NetNs | undefined {
  const slash = name.indexOf('/');
  if (slash < 0) return undefined;
  const kind = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  if (kind === 'pod') return cluster.pods.get(rest.includes('/') ? rest : `default/${rest}`);
  if (kind === 'node' || kind === 'host') return cluster.netns.get(rest);
  return undefined;
}
