import { defaultLimits, type KernelLimitName, type KernelLimits } from './limits.js';
import { PmtuCache } from './ipv4/pmtu.js';
import type { Rng } from '../engine/rng.js';
import { cidrBroadcast, formatIpv4, parseCidr, prefixMask, type Cidr } from '../wire/addr.js';
import { Bridge } from './devices/bridge.js';
import type { Cpu } from './cost-model.js';
import type { NetDevice } from './devices/device.js';
import { Fib, multipathHash, selectNexthop, type Nexthop, type Route } from './ipv4/fib.js';
import { Loopback } from './devices/loopback.js';
import { MachineKernel } from './machine-kernel.js';
import { NeighTable } from './ipv4/neighbour.js';
import type { Ipvs } from './ipvs/ipvs.js';
import { NfHooks, type RuleEngine } from './ipv4/nf-hooks.js';
import { Sockets } from './sockets.js';
import { Stack } from './ipv4/stack.js';
import { Sysctls } from './sysctls.js';
import { Uplink } from './devices/uplink.js';
import { Veth } from './devices/veth.js';
import type { World } from './world.js';

/** An address on a device (`ip addr add IP/PREFIX dev DEV`). */
export interface IfAddr {
  dev: NetDevice;
  ip: number;
  prefix: number;
  /** IFA_BROADCAST, when the address was added with one (`ip addr add … brd +`, or by a netlink library that sets it); `ip addr` prints it as `brd`. */
  broadcast?: number;
}

/**
 * A network namespace: its devices, addresses, routing tables, neighbour
 * table, sockets and sysctls. Nodes, pods and external hosts are each one.
 * The methods mirror what `ip link|addr|route|neigh` do.
 */
export class NetNs {
  readonly devices = new Map<string, NetDevice>();
  readonly addrs: IfAddr[] = [];
  readonly fib: Fib;
  readonly neigh: NeighTable;
  /** Path MTUs learned from ICMP "fragmentation needed" (route exceptions). */
  readonly pmtu = new PmtuCache();
  /** Switches and modes; every write bumps their generation (the flow table checks it). */
  readonly sysctl = new Sysctls();
  /** Table sizes and timeouts (nf_conntrack_max, gc_thresh3, ...); change them with setLimit. */
  readonly limits: KernelLimits = defaultLimits();
  /** Netfilter hooks and conntrack: absent until something loads rules here (no rules, no conntrack). */
  nf: NfHooks | undefined;
  /** The IPVS table (ip_vs), once something configures a virtual service here. */
  ipvs: Ipvs | undefined;
  readonly stack: Stack;
  readonly sockets: Sockets;
  readonly rng: Rng;
  readonly lo: Loopback;
  /**
   * The core doing this namespace's packet work under the cost model. Pods
   * share their node's; undefined = hardware that costs no CPU (the switch).
   */
  cpu: Cpu | undefined = { busyUntil: 0 };
  /** The machine's kernel, shared by all its namespaces (a pod's is its node's): module-global state such as nf_nat's rovers. */
  kernel = new MachineKernel();
  private nextIfindex = 1;

  constructor(
    readonly world: World,
    readonly name: string,
  ) {
    this.rng = world.rng.fork(`netns:${name}`);
    this.fib = new Fib(world.fast);
    this.sysctl.routingChanged = () => this.fib.invalidate();
    this.neigh = new NeighTable(this);
    this.stack = new Stack(this);
    this.sockets = new Sockets(this);
    this.lo = this.attach(new Loopback(this, 'lo', '00:00:00:00:00:00', 65536, this.nextIfindex++));
    this.addAddress(this.lo, '127.0.0.1/8');
  }
  /** `sysctl -w NAME=VALUE` for a table limit: the conntrack table and the neighbour table read it from now on. */
  setLimit(name: KernelLimitName, value: number): void {
    this.limits[name] = value;
    this.nf?.conntrack.applyLimits(this.limits);
  }


  /** A locally administered unicast MAC, as the kernel's eth_random_addr makes. */
  randomMac(): string {
    const b = [0, 0, 0, 0, 0, 0].map(() => this.rng.int(0, 255));
    b[0] = (b[0]! & 0xfe) | 0x02;
    return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
  }

  /** Load the netfilter hooks (and conntrack) on top of a rule engine, as loading iptables rules does. */
  enableNetfilter(engine: RuleEngine): NfHooks {
    this.nf ??= new NfHooks(this, engine);
    return this.nf;
  }

  device(name: string): NetDevice | undefined {
    return this.devices.get(name);
  }

  /** `ip link add NAME type bridge`. */
  addBridge(name: string, mtu = 1500, mac = this.randomMac()): Bridge {
    return this.attach(new Bridge(this, name, mac, mtu, this.nextIfindex++));
  }

  /** A NIC that will be cabled to another namespace's NIC (see `Uplink.cable`). */
  addUplink(name: string, mtu = 1500, mac = this.randomMac()): Uplink {
    return this.attach(new Uplink(this, name, mac, mtu, this.nextIfindex++));
  }

  /** `ip link add A type veth peer name B netns OTHER`: returns [ours, theirs]. */
  addVethPair(name: string, peerNs: NetNs, peerName: string, mtu = 1500): [Veth, Veth] {
    const a = this.attach(new Veth(this, name, this.randomMac(), mtu, this.nextIfindex++));
    const b = peerNs.attach(new Veth(peerNs, peerName, peerNs.randomMac(), mtu, peerNs.nextIfindex++));
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  /** Take ownership of a device made elsewhere (vxlan, tun: later layers). */
  attach<D extends NetDevice>(dev: D): D {
    if (this.devices.has(dev.name)) throw new Error(`RTNETLINK answers: File exists (${this.name}: ${dev.name})`);
    this.devices.set(dev.name, dev);
    return dev;
  }

  /**
   * `ip link del DEV`: the device goes down and away with its addresses, the
   * routes through it and its neighbour entries; a veth takes its peer with it
   * (and off its bridge), as deleting one end of a pair does.
   */
  removeDevice(dev: NetDevice): void {
    if (this.devices.get(dev.name) !== dev) return;
    dev.adminUp = false;
    this.devices.delete(dev.name);
    dev.master?.removePort?.(dev);
    for (let i = this.addrs.length - 1; i >= 0; i--) if (this.addrs[i]!.dev === dev) this.addrs.splice(i, 1);
    this.fib.delete((r) => r.dev === dev);
    this.neigh.forgetDevice(dev);
    if (dev instanceof Veth && dev.peer && dev.peer.ns.devices.get(dev.peer.name) === dev.peer) dev.peer.ns.removeDevice(dev.peer);
  }

  allocIfindex(): number {
    return this.nextIfindex++;
  }

  /**
   * `ip addr add IP/PREFIX dev DEV`: besides the address, the kernel adds the
   * local and broadcast routes (table local) and the connected subnet route
   * (table main, proto kernel scope link).
   */
  addAddress(dev: NetDevice, cidrText: string, opts: { noPrefixRoute?: boolean; broadcast?: boolean } = {}): IfAddr {
    const c = parseCidr(cidrText);
    if (!c) throw new Error(`invalid address ${cidrText}`);
    const addr: IfAddr = { dev, ip: c.address, prefix: c.prefix };
    // `brd +`: the subnet's last address, for a prefix that has one (not /31, /32). It is only told by `ip addr`: the
    // kernel adds the subnet's broadcast route below whether or not the address carries one.
    if (opts.broadcast && c.prefix < 31) addr.broadcast = cidrBroadcast({ network: c.network, prefix: c.prefix, address: c.network });
    this.addrs.push(addr);
    const host: Cidr = { network: c.address, prefix: 32, address: c.address };
    // fib_magic appends: an address (or subnet) another device has already gets a second route, after the first.
    const append = { append: true };
    this.fib.add({ table: 'local', type: 'local', dst: host, dev, proto: 'kernel', scope: 'host', src: c.address }, append);
    const net: Cidr = { network: c.network, prefix: c.prefix, address: c.network };
    if (c.prefix < 31 && dev !== this.lo) {
      const bcast = cidrBroadcast(net);
      this.fib.add({ table: 'local', type: 'broadcast', dst: { network: bcast, prefix: 32, address: bcast }, dev, proto: 'kernel', scope: 'link', src: c.address }, append);
    }
    if (c.prefix < 32 && !opts.noPrefixRoute) {
      if (dev === this.lo) this.fib.add({ table: 'local', type: 'local', dst: net, dev, proto: 'kernel', scope: 'host', src: c.address }, append);
      else this.fib.add({ table: 'main', type: 'unicast', dst: net, dev, proto: 'kernel', scope: 'link', src: c.address }, append);
    }
    return addr;
  }

  /**
   * `ip addr del IP/PREFIX dev DEV`: the address goes, and with it the routes
   * the kernel added for it on that device (its local route; its broadcast and
   * prefix routes when it had them). Returns whether it was there.
   */
  removeAddress(dev: NetDevice, ip: number): boolean {
    const i = this.addrs.findIndex((a) => a.dev === dev && a.ip === ip);
    if (i < 0) return false;
    this.addrs.splice(i, 1);
    this.fib.delete((r) => r.dev === dev && r.proto === 'kernel' && r.src === ip);
    return true;
  }

  /** `ip route add DST [via GW] dev DEV [onlink] [src SRC]`. */
  /** `ip route add DST nexthop via A dev D [weight W] nexthop via B ...`: one route, several paths. */
  addMultipathRoute(dst: string, nexthops: readonly { via: string; dev: NetDevice; weight?: number }[]): Route {
    const first = nexthops[0];
    if (!first) throw new Error('a multipath route needs at least one nexthop');
    const route = this.routeFor(dst, { via: first.via, dev: first.dev });
    route.nexthops = nexthops.map((nh) => {
      const via = parseCidr(`${nh.via}/32`)!.address;
      if (!this.onLink(via, nh.dev)) throw new Error(`RTNETLINK answers: Network is unreachable (gateway ${nh.via} not on ${nh.dev.name})`);
      return { via, dev: nh.dev, weight: nh.weight ?? 1 };
    });
    this.fib.add(route);
    return route;
  }

  /** A multipath route's path for this flow (fib_select_multipath), hashed with this namespace's seed. */
  nexthopFor(route: Route, flow: { src: number; dst: number; protocol: number; sport?: number; dport?: number }): Nexthop {
    this.multipathSeed ??= this.rng.fork('fib_multipath_hash_seed').int(0, 0xffffffff);
    return selectNexthop(route, multipathHash(this.multipathSeed, this.sysctl.fibMultipathHashPolicy ?? 0, flow));
  }

  private multipathSeed: number | undefined;

  addRoute(dst: string, opts: { via?: string; dev: NetDevice; onlink?: boolean; src?: string; metric?: number }): Route {
    const route = this.routeFor(dst, opts);
    this.fib.add(route);
    return route;
  }

  /** The route `ip route add` would add (checked), not added yet. */
  private routeFor(dst: string, opts: { via?: string; dev: NetDevice; onlink?: boolean; src?: string; metric?: number }): Route {
    const c = dst === 'default' ? { network: 0, prefix: 0, address: 0 } : parseCidr(dst.includes('/') ? dst : `${dst}/32`);
    if (!c) throw new Error(`invalid route destination ${dst}`);
    const via = opts.via === undefined ? undefined : parseCidr(`${opts.via}/32`)?.address;
    if (via !== undefined && !opts.onlink && !this.onLink(via, opts.dev)) {
      // Without onlink the kernel insists the gateway be reachable directly.
      throw new Error(`RTNETLINK answers: Network is unreachable (gateway ${opts.via} not on ${opts.dev.name})`);
    }
    const route: Route = {
      table: 'main',
      type: 'unicast',
      dst: { network: c.network, prefix: c.prefix, address: c.network },
      dev: opts.dev,
      proto: 'boot',
      scope: via === undefined ? 'link' : 'global',
      ...(via === undefined ? {} : { via }),
      ...(opts.onlink ? { onlink: true } : {}),
      ...(opts.src === undefined ? {} : { src: parseCidr(`${opts.src}/32`)!.address }),
      ...(opts.metric === undefined ? {} : { metric: opts.metric }),
    };
    return route;
  }

  /** Is `ip` one of our addresses? */
  isLocal(ip: number): boolean {
    return this.addrs.some((a) => a.ip === ip);
  }

  /** Is `ip` inside a subnet connected to `dev`? */
  onLink(ip: number, dev: NetDevice): boolean {
    return this.addrs.some((a) => a.dev === dev && a.prefix < 32 && ((a.ip ^ ip) & prefixMask(a.prefix)) === 0);
  }

  /**
   * inet_select_addr: the source for traffic out of `dev` towards `dst` — an
   * address of the device in the same subnet if any, else its first address,
   * else any address of the namespace (not loopback).
   */
  selectSource(dev: NetDevice, dst: number): number | undefined {
    // Asked for every forwarded packet (the ARP source it would use): one pass, no arrays built.
    let first: number | undefined;
    for (const a of this.addrs) {
      if (a.dev !== dev) continue;
      if (((a.ip ^ dst) & prefixMask(a.prefix)) === 0) return a.ip;
      first ??= a.ip;
    }
    if (first !== undefined) return first;
    return this.addrs.find((a) => a.dev !== this.lo)?.ip;
  }

  /**
   * The source MASQUERADE writes: nf_nat_masquerade_ipv4 asks inet_select_addr
   * for RT_SCOPE_UNIVERSE. Host-scoped addresses (127/8: `ip addr` adds them
   * `scope host`) are skipped, so a connection out of `lo` (a node reaching a
   * Service whose endpoint is itself) does not become 127.0.0.1: the device's
   * own universe address in `dst`'s subnet, else its first, else the first
   * universe address of the namespace in device order (lo first, then eth0 ...),
   * as the kernel walks dev_base.
   */
  selectMasqueradeSource(dev: NetDevice, dst: number): number | undefined {
    let first: number | undefined;
    for (const a of this.addrs) {
      if (a.dev !== dev || hostScoped(a.ip)) continue;
      if (((a.ip ^ dst) & prefixMask(a.prefix)) === 0) return a.ip;
      first ??= a.ip;
    }
    if (first !== undefined) return first;
    for (const d of this.devices.values()) {
      const a = this.addrs.find((x) => x.dev === d && !hostScoped(x.ip));
      if (a) return a.ip;
    }
    return undefined;
  }

  toString(): string {
    return `${this.name} (${this.addrs.map((a) => `${formatIpv4(a.ip)}/${a.prefix}`).join(', ')})`;
  }
}

/** iproute2 gives 127.0.0.0/8 addresses `scope host` (default_scope); podwalk adds every other address scope global. */
function hostScoped(ip: number): boolean {
  return ip >>> 24 === 127;
}
