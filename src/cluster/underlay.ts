import type { Bridge } from '../kernel/devices/bridge.js';
import { NetNs } from '../kernel/netns.js';
import { Uplink } from '../kernel/devices/uplink.js';
import type { World } from '../kernel/world.js';
import { parseCidr } from '../wire/addr.js';
import type { ClusterInput } from './spec.js';

/**
 * The network joining nodes: one L2 switch (a bridge in its own namespace,
 * `underlay`) with a cabled port per machine, and the gateway router `.1`
 * that knows only the underlay subnet.
 */
export class Underlay {
  readonly ns: NetNs;
  readonly sw: Bridge;
  readonly prefix: number;

  constructor(
    private readonly world: World,
    private readonly spec: ClusterInput['underlay'],
  ) {
    this.ns = new NetNs(world, 'underlay');
    this.sw = this.ns.addBridge('br0', spec.mtu);
    this.sw.localDelivery = false;
    this.ns.cpu = undefined; // a hardware switch: no host CPU forwards its frames
    this.prefix = parseCidr(spec.cidr)!.prefix;
  }

  /** Cable `machine`'s new `eth0` to a switch port and give it `ip` on the underlay. */
  plug(machine: NetNs, ip: string, portName: string): Uplink {
    const eth0 = machine.addUplink('eth0', this.spec.mtu);
    const port = this.ns.addUplink(portName, this.spec.mtu);
    Uplink.cable(eth0, port, { latencyNs: this.spec.latencyNs, bandwidthBps: this.spec.bandwidthBps });
    this.sw.addPort(port, false);
    // With its broadcast address, as DHCP clients and netplan/systemd-networkd configure an IPv4 address.
    machine.addAddress(eth0, `${ip}/${this.prefix}`, { broadcast: true });
    return eth0;
  }

  /** The default gateway: forwards, but has routes only for the underlay itself. */
  addGateway(): NetNs {
    const gw = new NetNs(this.world, 'gateway');
    gw.sysctl.ipForward = true;
    this.plug(gw, this.spec.gateway, 'port-gateway');
    return gw;
  }
}
