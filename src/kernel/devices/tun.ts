import { NetDevice } from './device.js';
import { addCost } from '../cost-model.js';
import type { Skb } from '../skb.js';

/**
 * A TUN device (`flannel0`): L3 only, no Ethernet header, no ARP. What the
 * kernel routes out of it is read by a userspace process; what that process
 * writes appears as received on the device.
 */
export class TunDevice extends NetDevice {
  readonly kind = 'tun';
  override readonly ethernet = false;
  override readonly needsArp = false;
  /** The userspace reader (read(2) on the tun fd). */
  reader: ((skb: Skb) => void) | undefined;

  protected transmit(skb: Skb): void {
    if (!this.reader) {
      this.ns.world.drop(skb, this.where, 'link-down', `nobody has ${this.name} open`);
      return;
    }
    const reader = this.reader;
    this.ns.world.handoff(this.ns.cpu, skb, () => reader(skb));
  }

  /** write(2) on the tun fd: the packet enters the stack as received on this device. */
  write(skb: Skb): void {
    const w = this.ns.world;
    if (w.costs) addCost(skb, w.costs.syscall, skb.data.length);
    w.handoffTo(this.ns.cpu, skb, this);
  }
}
