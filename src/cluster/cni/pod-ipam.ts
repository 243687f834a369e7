import { cidrBroadcast, cidrHost, cidrContains, type Cidr } from '../../wire/addr.js';
import { fnv32a } from '../control-plane/generated-names.js';

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

  /**
   * An address that depends only on `key` (the pod's namespace/name): a hash
   * picks the starting address, the first free one from there (wrapping) is
   * taken. So a pod's address does not depend on how many other pods came
   * before it; only a collision (two pods hashing to one address on one node)
   * makes one of them take the next free address.
   */
  allocateFor(key: string): number | undefined {
    const first = cidrHost(this.subnet, 2);
    const count = cidrBroadcast(this.subnet) - first;
    if (count <= 0) return undefined;
    const start = mix(fnv32a(key)) % count;
    for (let i = 0; i < count; i++) {
      const a = first + ((start + i) % count);
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

/** murmur3's fmix32: FNV alone leaves names that differ only at the end too close (web-0, web-1). */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
