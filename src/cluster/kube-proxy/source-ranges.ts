import { cidrContains, parseCidr, parseIpv4 } from '../../wire/addr.js';

/**
 * allowFromNode, as every proxier computes it: whether one of a Service's
 * loadBalancerSourceRanges holds the node's (primary) IP. Then each mode also
 * lets in the load-balancer IP as a source, for a node that reaches its own
 * VIP through a local route (the VIP is then the source too); otherwise the
 * node's own connections to the VIP are dropped like any other outsider's.
 */
export function rangesAllowNode(ranges: readonly string[], nodeIP: string | undefined): boolean {
  const ip = nodeIP === undefined ? undefined : parseIpv4(nodeIP);
  if (ip === undefined) return false;
  return ranges.some((r) => {
    const c = parseCidr(r);
    return c !== undefined && cidrContains(c, ip);
  });
}
