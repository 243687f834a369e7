import type { RpFilterMode, RpFilterSysctls } from './ipv4/rp-filter.js';
import { stateEpoch } from './fastpath/state-epoch.js';

/**
 * A namespace's networking switches and modes (net.ipv4.*, net.bridge.*).
 * Every write bumps `generation`: the flow table's recorded walks read these
 * settings (ip_forward when forwarding, rp_filter in the reverse-path check,
 * bridge-nf-call-iptables on a bridge port, arp_announce for the ARP source
 * kept with a segment, ...), so a walk recorded before a `sysctl -w` is never
 * replayed after it (flowtable.ts, fast-path.ts). A setter, not a rule for
 * whoever writes: a change cannot forget to count.
 *
 * rp_filter is one value (all, default, per device) replaced whole: its
 * fields and map are read-only, so it cannot change without a write here.
 */
export class Sysctls {
  /** Bumped by every write of any setting below. */
  generation = 0;
  #ipForward = false;
  #bridgeNfCallIptables = false;
  #routeLocalnet: boolean | undefined;
  #rpFilter: RpFilterSysctls = { all: 0, default: 0, dev: new Map() };
  #arpIgnore: 0 | 1 | undefined;
  #arpAnnounce: 0 | 2 | undefined;
  #fibMultipathHashPolicy: 0 | 1 | undefined;
  #ignoreRoutesWithLinkdown = false;
  /** Called when a setting route lookups read changes (NetNs: the routes' generation moves, so cached lookups go). */
  routingChanged: () => void = () => {};

  /** net.ipv4.ip_forward */
  get ipForward(): boolean {
    return this.#ipForward;
  }
  set ipForward(v: boolean) {
    this.#ipForward = v;
    this.generation++;
    stateEpoch.n++;
  }

  /** net.bridge.bridge-nf-call-iptables (br_netfilter): bridged IPv4 traverses this namespace's iptables. */
  get bridgeNfCallIptables(): boolean {
    return this.#bridgeNfCallIptables;
  }
  set bridgeNfCallIptables(v: boolean) {
    this.#bridgeNfCallIptables = v;
    this.generation++;
    stateEpoch.n++;
  }

  /** net.ipv4.conf.all.route_localnet: 127.0.0.0/8 may be routed to and from other devices (localhost NodePorts need it). */
  get routeLocalnet(): boolean | undefined {
    return this.#routeLocalnet;
  }
  set routeLocalnet(v: boolean | undefined) {
    this.#routeLocalnet = v;
    this.generation++;
    stateEpoch.n++;
  }

  /** net.ipv4.conf.{all,default,<dev>}.rp_filter: reverse-path filtering on IP input (kernel default 0 everywhere). */
  get rpFilter(): RpFilterSysctls {
    return this.#rpFilter;
  }
  set rpFilter(v: RpFilterSysctls) {
    this.#rpFilter = v;
    this.generation++;
    stateEpoch.n++;
  }

  /** net.ipv4.conf.all.arp_ignore: 0 (default) answers ARP for any local address; 1 only for addresses on the device asked. */
  get arpIgnore(): 0 | 1 | undefined {
    return this.#arpIgnore;
  }
  set arpIgnore(v: 0 | 1 | undefined) {
    this.#arpIgnore = v;
    this.generation++;
    stateEpoch.n++;
  }

  /** net.ipv4.conf.all.arp_announce: 0 (default) uses the packet's source in ARP requests; 2 the outgoing device's best address. */
  get arpAnnounce(): 0 | 2 | undefined {
    return this.#arpAnnounce;
  }
  set arpAnnounce(v: 0 | 2 | undefined) {
    this.#arpAnnounce = v;
    this.generation++;
    stateEpoch.n++;
  }

  /**
   * net.ipv4.conf.all.ignore_routes_with_linkdown (0 by default): 1 makes
   * route lookups skip a route whose device has no carrier (`ip route` then
   * prints it `dead linkdown`); with 0 Linux keeps using it.
   */
  get ignoreRoutesWithLinkdown(): boolean {
    return this.#ignoreRoutesWithLinkdown;
  }
  set ignoreRoutesWithLinkdown(v: boolean) {
    this.#ignoreRoutesWithLinkdown = v;
    this.generation++;
    stateEpoch.n++;
    this.routingChanged();
  }

  /**
   * `sysctl -w NAME=VALUE` of a switch or mode by its Linux name (a dot in a
   * device name written as a slash, as sysctl does): ip_forward,
   * bridge-nf-call-iptables, all.route_localnet, all.ignore_routes_with_linkdown,
   * {all,default,<dev>}.rp_filter.
   * False: not one of these names (the caller checked the value's range).
   */
  write(name: string, value: number): boolean {
    if (name === 'net.ipv4.ip_forward') this.ipForward = value === 1;
    else if (name === 'net.bridge.bridge-nf-call-iptables') this.bridgeNfCallIptables = value === 1;
    else if (name === 'net.ipv4.conf.all.route_localnet') this.routeLocalnet = value === 1;
    else if (name === 'net.ipv4.conf.all.ignore_routes_with_linkdown') this.ignoreRoutesWithLinkdown = value === 1;
    else {
      const rp = /^net\.ipv4\.conf\.([^.]+)\.rp_filter$/.exec(name);
      if (!rp) return false;
      const dev = rp[1]!.replaceAll('/', '.');
      const mode = value as RpFilterMode;
      const cur = this.rpFilter;
      if (dev === 'all') this.rpFilter = { ...cur, all: mode };
      else if (dev === 'default') this.rpFilter = { ...cur, default: mode };
      else this.rpFilter = { ...cur, dev: new Map(cur.dev).set(dev, mode) };
    }
    return true;
  }

  /** net.ipv4.fib_multipath_hash_policy: 0 (default) hashes addresses, 1 the 5-tuple. */
  get fibMultipathHashPolicy(): 0 | 1 | undefined {
    return this.#fibMultipathHashPolicy;
  }
  set fibMultipathHashPolicy(v: 0 | 1 | undefined) {
    this.#fibMultipathHashPolicy = v;
    this.generation++;
    stateEpoch.n++;
  }
}
