import type { NetNs } from '../../kernel/netns.js';
import type { ClusterInput } from '../spec.js';

/**
 * flannel's host-gw backend: on every node, a route to each other node's pod
 * subnet via that node's IP. Needs all nodes on one L2 segment, as it does
 * here.
 */
export function programHostGw(nodes: Map<string, NetNs>, spec: ClusterInput): void {
  for (const self of spec.nodes) {
    const ns = nodes.get(self.name)!;
    const eth0 = ns.device('eth0')!;
    // On the node's first route lookup (or `ip route`): a 5,000-node cluster would otherwise hold 25 million routes.
    ns.fib.defer(() => {
      for (const other of spec.nodes) {
        if (other === self) continue;
        ns.addRoute(other.podCIDR, { via: other.ip, dev: eth0 });
      }
    });
  }
}
