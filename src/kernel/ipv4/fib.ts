import { formatIpv4, prefixMask, type Cidr } from '../../wire/addr.js';
import type { NetDevice } from '../devices/device.js';
import type { FastPath } from '../fastpath/fast-path.js';
import { stateEpoch } from '../fastpath/state-epoch.js';

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'unreachable' | 'blackhole';
export type RouteScope = 'global' | 'link' | 'host';
/** rtnetlink's route origins by their iproute2 names (rt_protos): who installed the route. */
export type RouteProto = 'kernel' | 'boot' | 'static' | 'redirect' | 'ra' | 'dhcp' | 'zebra' | 'bird' | 'babel' | 'bgp' | 'isis' | 'ospf' | 'rip' | 'eigrp';
export const ROUTE_PROTOS: readonly RouteProto[] = ['kernel', 'boot', 'static', 'redirect', 'ra', 'dhcp', 'zebra', 'bird', 'babel', 'bgp', 'isis', 'ospf', 'rip', 'eigrp'];

/** One route, with the fields `ip route` prints. */
export interface Route {
  table: 'local' | 'main';
  type: RouteType;
  dst: Cidr;
  dev: NetDevice | undefined; // absent for unreachable/blackhole
  via?: number;
  onlink?: boolean;
  proto: RouteProto;
  scope: RouteScope;
  src?: number; // preferred source address
  metric?: number;
  /**
   * A multipath route (`ip route add X nexthop via A dev eth0 nexthop via B dev eth0`): `via`/`dev`
   * are the first nexthop's; forwarding picks one per flow (`selectNexthop`).
   */
  nexthops?: Nexthop[];
}

/** One path of a multipath route. */
export interface Nexthop {
  via: number;
  dev: NetDevice;
  weight: number;
}

/**
 * fib_select_multipath: the flow's hash (31 bits) picks the first nexthop whose upper bound it does
 * not exceed; each nexthop owns a share of the hash space proportional to its weight (hash-threshold,
 * as fib_rebalance sets the bounds). `hash` comes from `multipathHash`.
 */
export function selectNexthop(route: Route, hash: number): Nexthop {
  const nhs = route.nexthops!;
  const total = nhs.reduce((n, nh) => n + nh.weight, 0);
  let w = 0;
  for (const nh of nhs) {
    w += nh.weight;
    const upper = Math.round((w * 2 ** 31) / total) - 1;
    if (hash <= upper) return nh;
  }
  return nhs[nhs.length - 1]!;
}

/**
 * fib_multipath_hash: policy 0 hashes the addresses (L3), policy 1 the 5-tuple (L4), keyed by the
 * namespace's random seed as the kernel keys its flow hash; 31 bits, as the kernel shifts them.
 */
export function multipathHash(seed: number, policy: 0 | 1, f: { src: number; dst: number; protocol: number; sport?: number; dport?: number }): number {
  let h = seed >>> 0;
  const mix = (v: number): void => {
    h = Math.imul(h ^ (v >>> 0), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca77);
    h ^= h >>> 13;
  };
  mix(f.src);
  mix(f.dst);
  if (policy === 1) {
    mix(f.protocol);
    mix(((f.sport ?? 0) << 16) | (f.dport ?? 0));
  }
  return (h >>> 1) & 0x7fffffff;
}

/**
 * The routing tables of a namespace (`local` and `main`, looked up in that
 * order as the default rules 0 and 32766 do). Longest prefix wins, then the
 * lowest metric, then insertion order.
 */
export class Fib {
  /** Every route, each table's in lookup order (longest prefix, lowest metric, then insertion). */
  private readonly routes: Route[] = [];
  /**
   * How many routes have each `table|network|prefix|metric|type`: `ip route add`
   * (NLM_F_EXCL) refuses a second one; the kernel's own routes for an address
   * (fib_magic, NLM_F_APPEND) are appended after the first.
   */
  private readonly keys = new Map<string, number>();
  /**
   * The lookup index, per table: prefix lengths longest first, and for each the
   * routes by network, in lookup order. A lookup is then one map probe per
   * prefix length in use instead of a scan of every route (a 1,000-node
   * host-gw cluster has 1,000 routes on every node).
   */
  private readonly index = { local: newTableIndex(), main: newTableIndex() };
  /**
   * Route programming a control plane left for the first use of this table
   * (flannel host-gw's route to every other node: N² routes in an N-node
   * cluster, of which a walk reads a handful of nodes'). Every method runs it
   * first, so the routes end up exactly as if added eagerly, in the same order.
   */
  private deferred: (() => void)[] | undefined;
  /** Bumped by every change to the routes (the fast path's caches of lookups depend on them). */
  generation = 0;
  /**
   * The fast path's lookup cache, as Linux caches a route on the socket and
   * in nexthop exceptions: destination -> result, valid for one (routes,
   * link states) generation pair. A lookup's result depends only on the routes
   * and on which devices are administratively up.
   */
  private readonly cache = new Map<number, Route | undefined>();
  private cacheGeneration = -1;
  private cacheLinkGeneration = -1;

  constructor(private readonly fast?: FastPath) {}

  /** Something lookups read besides the routes changed (a sysctl): cached lookups and walks recorded over them go. */
  invalidate(): void {
    this.generation++;
    stateEpoch.n++;
  }

  /** Add routes on first use instead of now (see `deferred`). */
  defer(program: () => void): void {
    (this.deferred ??= []).push(program);
    this.generation++; // routes to come are a change: walks cached or recorded before it must not be reused
    stateEpoch.n++;
  }

  private settle(): void {
    const programs = this.deferred;
    if (!programs) return;
    this.deferred = undefined;
    for (const p of programs) p();
    this.generation++;
    stateEpoch.n++;
  }

  /**
   * `append`: fib_magic's NLM_F_APPEND, as `ip addr add` adds its local,
   * broadcast and prefix routes: the same address on a second device gets a
   * second route after the first (which lookups keep finding); only the very
   * same route (same device too) is refused.
   */
  add(route: Route, opts: { append?: boolean } = {}): void {
    if (this.deferred) this.settle();
    const key = routeKey(route);
    const n = this.keys.get(key) ?? 0;
    if (n > 0 && (!opts.append || this.routes.some((r) => r.dev === route.dev && routeKey(r) === key))) throw new Error(`RTNETLINK answers: File exists (${formatRoute(route)})`);
    this.keys.set(key, n + 1);
    // Insert after every route that sorts before or equal to it (a stable sort's order).
    const rs = this.routes;
    let lo = 0;
    let hi = rs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareRoutes(rs[mid]!, route) <= 0) lo = mid + 1;
      else hi = mid;
    }
    rs.splice(lo, 0, route);
    indexRoute(this.index[route.table], route);
    this.generation++;
    stateEpoch.n++;
  }

  delete(pred: (r: Route) => boolean): number {
    if (this.deferred) this.settle();
    let n = 0;
    for (let i = this.routes.length - 1; i >= 0; i--) {
      if (pred(this.routes[i]!)) {
        const key = routeKey(this.routes[i]!);
        const left = this.keys.get(key)! - 1;
        if (left > 0) this.keys.set(key, left);
        else this.keys.delete(key);
        this.routes.splice(i, 1);
        n++;
      }
    }
    if (n > 0) {
      this.index.local = newTableIndex();
      this.index.main = newTableIndex();
      for (const r of this.routes) indexRoute(this.index[r.table], r);
      this.generation++;
      stateEpoch.n++;
    }
    return n;
  }

  list(table: 'local' | 'main' = 'main'): Route[] {
    if (this.deferred) this.settle();
    return this.routes.filter((r) => r.table === table);
  }

  /** fib_lookup: the local table first, then main. */
  /** The last destination looked up and its answer, for the cache's generation (-1: none). */
  private lastDst = -1;
  private lastRoute: Route | undefined;

  lookup(dst: number): Route | undefined {
    if (this.deferred) this.settle();
    const fast = this.fast;
    if (!fast?.enabled) return lookupTable(this.index.local, dst) ?? lookupTable(this.index.main, dst);
    if (this.cacheGeneration !== this.generation || this.cacheLinkGeneration !== fast.linkGeneration || this.cache.size >= FIB_CACHE_MAX) {
      this.cache.clear();
      this.cacheGeneration = this.generation;
      this.cacheLinkGeneration = fast.linkGeneration;
      this.lastDst = -1;
    }
    // The destination asked last (a flow's packets ask for the same one at every layer): no Map lookup.
    if (dst === this.lastDst) {
      fast.hits++;
      return this.lastRoute;
    }
    let r = this.cache.get(dst);
    if (r === undefined && !this.cache.has(dst)) {
      r = lookupTable(this.index.local, dst) ?? lookupTable(this.index.main, dst);
      this.cache.set(dst, r);
    } else fast.hits++;
    this.lastDst = dst;
    this.lastRoute = r;
    return r;
  }
}

/** Destinations cached per namespace before the cache starts over (bounded memory). */
const FIB_CACHE_MAX = 4096;

interface TableIndex {
  prefixes: number[]; // longest first
  byPrefix: Map<number, Map<number, Route[]>>;
}

function newTableIndex(): TableIndex {
  return { prefixes: [], byPrefix: new Map() };
}

/** Lookup order within a table: longer prefix first, then lower metric (ties keep insertion order). */
function compareRoutes(a: Route, b: Route): number {
  return b.dst.prefix - a.dst.prefix || (a.metric ?? 0) - (b.metric ?? 0);
}

function routeKey(r: Route): string {
  return `${r.table}|${r.dst.network}|${r.dst.prefix}|${r.metric ?? 0}|${r.type}`;
}

function indexRoute(t: TableIndex, r: Route): void {
  let byNet = t.byPrefix.get(r.dst.prefix);
  if (!byNet) {
    t.byPrefix.set(r.dst.prefix, (byNet = new Map()));
    t.prefixes.push(r.dst.prefix);
    t.prefixes.sort((a, b) => b - a);
  }
  let list = byNet.get(r.dst.network);
  if (!list) byNet.set(r.dst.network, (list = []));
  // Same prefix and network: lower metric first, equal metrics in insertion order.
  let i = list.length;
  while (i > 0 && (list[i - 1]!.metric ?? 0) > (r.metric ?? 0)) i--;
  list.splice(i, 0, r);
}

function lookupTable(t: TableIndex, dst: number): Route | undefined {
  for (const prefix of t.prefixes) {
    const list = t.byPrefix.get(prefix)!.get((dst & prefixMask(prefix)) >>> 0);
    if (!list) continue;
    // An administratively down device's routes are skipped (Linux deletes them); one without carrier keeps
    // serving lookups (RTNH_F_LINKDOWN only shows) unless ignore_routes_with_linkdown is 1, as on a real node.
    for (const r of list) if (!r.dev || (r.dev.adminUp && (r.dev.carrier || !r.dev.ns.sysctl.ignoreRoutesWithLinkdown))) return r;
  }
  return undefined;
}

/** A route as `ip route show [table local]` prints it. */
const routeTexts = new WeakMap<Route, string>();

/**
 * `formatRoute` of a route in a table, made once: a traced walk names the same
 * routes on every packet. Routes are not changed once added (a change replaces them).
 */
export function routeText(r: Route): string {
  let text = routeTexts.get(r);
  if (text === undefined) routeTexts.set(r, (text = formatRoute(r)));
  return text;
}

export function formatRoute(r: Route): string {
  const { network, prefix } = r.dst;
  const dst = prefix === 0 ? 'default' : prefix === 32 ? formatIpv4(network) : `${formatIpv4(network)}/${prefix}`;
  const parts: string[] = r.type === 'unicast' ? [dst] : [r.type, dst];
  if (r.via !== undefined && !r.nexthops) parts.push('via', formatIpv4(r.via));
  if (r.dev && !r.nexthops) parts.push('dev', r.dev.name);
  // Routes added by hand carry proto boot, which `ip route` does not print.
  if (r.proto !== 'boot') parts.push('proto', r.proto);
  if (r.scope !== 'global') parts.push('scope', r.scope);
  if (r.src !== undefined) parts.push('src', formatIpv4(r.src));
  if (r.metric !== undefined && r.metric !== 0) parts.push('metric', String(r.metric));
  if (r.onlink) parts.push('onlink');
  // `ip route` prints each nexthop on a line of its own; one line here, as `ip route add` takes them.
  for (const nh of r.nexthops ?? []) parts.push('nexthop via', formatIpv4(nh.via), 'dev', nh.dev.name, 'weight', String(nh.weight));
  return parts.join(' ');
}

/**
 * A route as `ip route show` prints it (iproute2 6.1): every line ends in a
 * blank, and a multipath route's nexthops each on a line of their own,
 * indented by a tab. (formatRoute is the one-line form traces use.) A
 * nexthop whose device has no carrier is flagged `linkdown` (RTNH_F_LINKDOWN,
 * set by fib_sync_down_dev on NETDEV_CHANGE), after `onlink`, and `dead
 * linkdown` where ignore_routes_with_linkdown makes lookups skip it
 * (fib_dump_info adds RTNH_F_DEAD then); a multipath route's head line is
 * when all its nexthops are; a `local` route never is (the kernel leaves
 * RTN_LOCAL routes alone there).
 */
export function showRouteLine(r: Route): string {
  const down = (dev: { carrier: boolean; ns: { sysctl: { ignoreRoutesWithLinkdown: boolean } } } | undefined): string =>
    dev && !dev.carrier && r.type !== 'local' ? (dev.ns.sysctl.ignoreRoutesWithLinkdown ? ' dead linkdown' : ' linkdown') : '';
  if (!r.nexthops) return `${formatRoute(r)}${down(r.dev)} `;
  const head = formatRoute({ ...r, nexthops: [] }); // an empty list: no via or dev on the head line
  const allDown = r.nexthops.every((nh) => !nh.dev.carrier) ? ' linkdown' : '';
  return [`${head}${allDown} `, ...r.nexthops.map((nh) => `\tnexthop via ${formatIpv4(nh.via)} dev ${nh.dev.name} weight ${nh.weight}${down(nh.dev)} `)].join('\n');
}

/** Routes in the order the kernel's trie walk lists them: by network, then prefix. */
export function sortForShow(routes: Route[]): Route[] {
  return [...routes].sort((a, b) => a.dst.network - b.dst.network || a.dst.prefix - b.dst.prefix);
}
