import { MacHeader } from '../../wire/addr.js';
import { addCost, type CostModel } from '../cost-model.js';
import type { NetNs } from '../netns.js';
import { share, type Skb } from '../skb.js';

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
  /** IFF_UP && carrier, kept as one field: every frame reads it. */
  private linkUp = true;
  private admin = true;
  private carrierOk = true;
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

  /**
   * Operational state (IFF_UP and carrier, the kernel's IFF_RUNNING): frames
   * cross the device only then. Routing asks `adminUp` instead: Linux keeps
   * using a route whose device lost its carrier (flagged linkdown, as
   * net.ipv4.conf.*.ignore_routes_with_linkdown is 0), and the packet is then
   * lost at the device or its ARP fails.
   */
  get up(): boolean {
    return this.linkUp;
  }

  /** Administrative state (`ip link set up|down`; a deleted device goes down). */
  get adminUp(): boolean {
    return this.admin;
  }

  set adminUp(v: boolean) {
    if (v === this.admin) return;
    this.admin = v;
    this.linkChanged();
  }

  /**
   * Carrier (the cable, a veth's peer): losing it keeps the device's routes
   * (printed linkdown) but evicts its learned neighbour entries, as
   * arp_netdev_event does on NETDEV_CHANGE (arp_evict_nocarrier is 1).
   */
  get carrier(): boolean {
    return this.carrierOk;
  }

  set carrier(v: boolean) {
    if (v === this.carrierOk) return;
    this.carrierOk = v;
    this.linkChanged();
    if (!v) this.ns.neigh.carrierDown(this);
  }

  private linkChanged(): void {
    this.linkUp = this.admin && this.carrierOk;
    // Cached route lookups and recorded walks read link state: they must be recomputed.
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
      w.drop(skb, this.where, 'link-down', this.admin ? `${this.name} has no carrier` : `${this.name} is down`);
      return false;
    }
    skb.at = this.where;
    if (w.capture) {
      w.capture(this.where, w.sched.now, skb.data, !this.ethernet, kind, skb.id, skb.flow);
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
