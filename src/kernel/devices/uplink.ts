import { Link, type LinkProps } from '../../engine/link.js';
import { chargeCpu } from '../cost-model.js';
import { NetDevice } from './device.js';
import type { Netem } from './netem.js';
import { receiveOn } from '../world.js';
import { scrub, type Skb } from '../skb.js';

/**
 * A physical NIC cabled to another one: frames pay serialization and
 * propagation delay on the wire (an engine Link per direction).
 */
export class Uplink extends NetDevice {
  readonly kind = 'uplink';
  private peer: Uplink | undefined;
  private wire: Link | undefined;
  /** A netem qdisc on this NIC's egress (`steps:` link faults); absent = frames go straight to the wire. */
  netem: Netem | undefined;

  /** Cable two NICs together with the given wire properties (both directions). */
  /** The NIC at the other end of this one's cable (for drawing the topology). */
  get cabledTo(): Uplink | undefined {
    return this.peer;
  }

  static cable(a: Uplink, b: Uplink, props: LinkProps): void {
    a.peer = b;
    b.peer = a;
    a.wire = new Link(a.ns.world.sched, props);
    b.wire = new Link(b.ns.world.sched, props);
  }

  protected transmit(skb: Skb): void {
    const peer = this.peer;
    if (!peer || !this.wire) {
      this.ns.world.drop(skb, this.where, 'link-down', `${this.name} has no cable`);
      return;
    }
    scrub(skb, true);
    const wire = this.wire;
    const w = this.ns.world;
    // Cost model: the frame reaches the wire once the CPU has done its work.
    const cpu = this.ns.cpu;
    const before = cpu?.busyUntil ?? 0;
    const busy = w.costs && cpu ? chargeCpu(cpu, w.sched.now, skb) : 0;
    // A train's period watched (fastpath/train-probe.ts): the CPU as the charge found and left it.
    const probe = w.fast.probe;
    if (probe !== undefined && cpu !== undefined && cpu.busyUntil !== before) probe.charged(cpu, w.sched.now, before, cpu.busyUntil);
    if (this.netem) {
      const v = this.netem.decide(skb.data);
      if (v.kind === 'loss') return w.drop(skb, this.where, 'link-fault', `lost by ${this.name}'s netem qdisc (loss ${this.netem.spec.lossPct}%)`);
      skb.data = v.data;
      w.sched.after(busy + v.delayNs, () => wire.sendCall(skb.len, receiveOn, peer, skb));
      return;
    }
    if (busy > 0) w.sched.call(busy, toWire, this, skb);
    else wire.sendCall(skb.len, receiveOn, peer, skb);
  }

  /** The frame goes on the wire to the NIC at the other end (cabled once, before any frame). */
  sendOnWire(skb: Skb): void {
    this.wire!.sendCall(skb.len, receiveOn, this.peer!, skb);
  }
}

/** The scheduled half of a transmission the CPU delayed: one function for every frame, no closure per frame. */
const toWire = (dev: Uplink, skb: Skb): void => dev.sendOnWire(skb);
