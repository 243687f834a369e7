import { NetDevice } from './device.js';
import type { Skb } from '../skb.js';

/**
 * `ip link add NAME type dummy`: a device that only holds addresses. kube-proxy's
 * ipvs mode binds every Service IP to `kube-ipvs0` so that the node treats them
 * as local addresses; nothing is ever routed out of it (packets for those
 * addresses are delivered locally, where IPVS picks them up).
 */
export class Dummy extends NetDevice {
  readonly kind = 'dummy';
  override readonly needsArp = false;

  protected transmit(skb: Skb): void {
    // dummy_xmit frees every packet.
    this.ns.world.drop(skb, this.where, 'no-handler', `${this.name} is a dummy device: it discards what it transmits`);
  }
}
