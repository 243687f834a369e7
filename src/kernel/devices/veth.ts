import { NetDevice } from './device.js';
import { scrub, type Skb } from '../skb.js';

/**
 * One end of a veth pair: what one end transmits, the other receives — in the
 * same instant (scheduled as a separate event so that long walks do not recurse).
 */
export class Veth extends NetDevice {
  readonly kind = 'veth';
  peer!: Veth;

  protected transmit(skb: Skb): void {
    const peer = this.peer;
    if (peer.ns !== this.ns) scrub(skb, true);
    this.ns.world.handoffTo(this.ns.cpu, skb, peer);
  }
}
