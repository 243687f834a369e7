import { NetDevice } from './device.js';
import type { Skb } from '../skb.js';
import { receiveOn } from '../world.js';

/** `lo`: what it transmits comes straight back into the same namespace. */
export class Loopback extends NetDevice {
  readonly kind = 'loopback';
  override readonly needsArp = false;
  // Like tcpdump -i lo shows it, we carry no link-layer header on loopback.
  override readonly ethernet = false;

  protected transmit(skb: Skb): void {
    this.ns.world.sched.call(0, receiveOn, this, skb);
  }
}
