import { MacHeader } from '../wire/addr.js';
import { addCost, type CostModel } from './cost-model.js';
import type { NetNs } from './netns.js';
import { share, type Skb } from './skb.js';

export type DeviceKind = 'loopback' | 'veth' | 'bridge' | 'uplink' | 'vxlan' | 'tun' | 'dummy';

/**
 * A network device in a namespace (struct net_device). Subclasses decide what
 * transmitting means (hand to the veth peer, put on a wire, flood the bridge);
 * receiving is common: a bridge port hands the frame to its bridge, any other
 * device to its namespace's protocol stack.
 */
export abstract class NetDevice {
  abstract readonly kind: DeviceKind;
  /** Set when the device is a bridge port (`ip link set X master br`). */
  master: BridgePortOwner | undefined;
  private linkUp = true;
  /** Whether frames carry an Ethernet header (false for tun: L3 only). */
  readonly ethernet: boolean = true;
  /** Whether the neighbour layer must resolve a next hop (false for loopback, tun). */
  readonly needsArp: boolean = true;

  constructor(
    readonly ns: NetNs,
    readonly name: string,
    public mac: string,
    public mtu: number,
    readonly ifindex: number,
  ) {}

  /** Administrative and carrier state in one (`ip link set up|down`, a cable pulled, the device deleted). */
  get up(): boolean {
    return this.linkUp;
  }

  set up(v: boolean) {
    if (v === this.linkUp) return;
    this.linkUp = v;
    // Cached route lookups skip down devices: they must be recomputed.
    this.ns.world.fast.linkGeneration++;
  }

  /** `<netns>:<device>`, as trace events and `via:` expectations name it. */
  get where(): string {
    // Read on every hop (skb.at, trace events): built once, the namespace and name never change.
    return (this.whereText ??= `${this.ns.name}:${this.name}`);
  }

  private whereText: string | undefined;

  /** The MACs this device last framed with, as numbers (pushEthernet, and its own MAC for frames it receives); made when first needed (an idle pod's devices never need it). */
  get macs(): MacHeader {
    return (this.macHeader ??= new MacHeader());
  }

  private macHeader: MacHeader | undefined;

  /** Transmit a frame out of this device. */
  xmit(skb: Skb): void {
    if (!this.passes(skb, 'tx')) return;
    const w = this.ns.world;
    if (w.costs && this.ns.cpu) this.xmitCost(w.costs, skb);
    this.transmit(skb);
  }

  /**
   * What every frame crossing this device goes through, either way: dropped
   * if the link is down (false), else captured and traced here (`tx`/`rx`).
   */
  private passes(skb: Skb, kind: 'tx' | 'rx'): boolean {
    const w = this.ns.world;
    if (!this.up) {
      w.drop(skb, this.where, 'link-down', `${this.name} is down`);
      return false;
    }
    skb.at = this.where;
    if (w.capture) {
      w.capture(this.where, w.sched.now, skb.data, !this.ethernet);
      share(skb);
    }
    if (w.detailed) {
      w.frameEvent(kind, skb, this.where, !this.ethernet);
      share(skb); // the event describes these bytes when first read: they must not change
    }
    return true;
  }

  /** Cost model: the work transmitting on this kind of device takes. */
  private xmitCost(c: CostModel, skb: Skb): void {
    const n = skb.len;
    if (this.kind === 'veth') addCost(skb, c.veth, n);
    else if (this.kind === 'uplink') addCost(skb, c.nic, n);
    else if (this.kind === 'bridge') addCost(skb, c.bridge, n);
    else if (this.kind === 'vxlan') addCost(skb, c.vxlanEncap, n);
    else if (this.kind === 'tun') {
      // flanneld blocked in read(2) on the tun fd wakes up and copies the packet out.
      addCost(skb, c.wakeup, n);
      addCost(skb, c.syscall, n);
    }
  }

  /** Device-specific transmission (after the `tx` trace point). */
  protected abstract transmit(skb: Skb): void;

  /** A frame arrives at this device from its wire or peer. */
  receive(skb: Skb): void {
    if (!this.passes(skb, 'rx')) return;
    const w = this.ns.world;
    if (w.costs && this.ns.cpu) {
      // A bridge port's frame is bridged; anything else goes up to IP (ip_rcv, routing).
      if (this.kind === 'uplink') addCost(skb, w.costs.nic, skb.len);
      addCost(skb, this.master ? w.costs.bridge : w.costs.routing, skb.len);
    }
    if (this.master) this.master.handleFrame(this, skb);
    else this.ns.stack.receive(this, skb);
  }
}

/** What a bridge offers its ports (keeps device.ts free of the bridge's details). */
export interface BridgePortOwner {
  handleFrame(port: NetDevice, skb: Skb): void;
  /** Detach a port (its device is being deleted). */
  removePort?(port: NetDevice): void;
}
