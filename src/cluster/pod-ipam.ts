import { cidrBroadcast, cidrHost, cidrContains, type Cidr } from '../wire/addr.js';

/**
 * host-local IPAM for one node's pod subnet: the network address, the bridge
 * gateway `.1` and the broadcast address are never handed out; pods get the
 * lowest free address from `.2` up.
 */
export class PodIpam {
  private readonly used = new Set<number>();

  constructor(private readonly subnet: Cidr) {}

  /** Claim a specific address; false if it is taken or not allocatable. */
  reserve(ip: number): boolean {
    if (!this.allocatable(ip) || this.used.has(ip)) return false;
    this.used.add(ip);
    return true;
  }

  allocate(): number | undefined {
    const last = cidrBroadcast(this.subnet);
    for (let a = cidrHost(this.subnet, 2); a < last; a++) {
      if (!this.used.has(a)) {
        this.used.add(a);
        return a;
      }
    }
    return undefined;
  }

  allocatable(ip: number): boolean {
    return cidrContains(this.subnet, ip) && ip !== this.subnet.network && ip !== cidrHost(this.subnet, 1) && ip !== cidrBroadcast(this.subnet);
  }
}

/** The default scheduler here: pods without a nodeName go round-robin in node order. */
export function roundRobin(nodeNames: readonly string[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => nodeNames[i % nodeNames.length]!);
}
