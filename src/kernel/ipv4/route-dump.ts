import { formatIpv4, parseCidr, parseIpv4, type Cidr } from '../../wire/addr.js';
import { columnOf, forEachDumpLine } from '../dump-error.js';
import { ROUTE_PROTOS, type Route, type RouteProto, type RouteScope, type RouteType } from './fib.js';
import type { NetNs } from '../netns.js';

/** One line of `ip route` output, its device still a name. */
export interface RouteLine {
  line: number;
  type: RouteType;
  dst: Cidr;
  devName?: string;
  via?: number;
  onlink: boolean;
  proto: RouteProto;
  scope: RouteScope;
  src?: number;
  metric?: number;
  /** Columns of the words a later check may point at. */
  devCol: number;
  viaCol: number;
}

const TYPES = new Set<string>(['unicast', 'local', 'broadcast', 'unreachable', 'blackhole']);
const SCOPES: Record<string, RouteScope> = { global: 'global', universe: 'global', link: 'link', host: 'host' };
/** Words `ip route` prints that describe state, not configuration: accepted and ignored. */
const STATE_FLAGS = new Set(['linkdown', 'dead', 'pervasive', 'offload', 'trap', 'rt_offload', 'rt_trap']);

/**
 * Parse `ip route` (`ip route show`, the main table) as iproute2 prints it:
 * `[TYPE] PREFIX|default [via ADDR] [dev NAME] [proto P] [scope S] [src ADDR]
 * [metric N] [onlink]`. Throws DumpError (line, column) for anything the FIB
 * model does not hold (multipath nexthops, per-route MTU, other tables, IPv6).
 */
export function parseRouteDump(text: string): RouteLine[] {
  const out: RouteLine[] = [];
  forEachDumpLine(text, (w, raw, fail, lineNo) => {
    let k = 0;
    let type: RouteType = 'unicast';
    if (TYPES.has(w[0]!)) type = w[k++] as RouteType;
    else if (['prohibit', 'throw', 'nat', 'anycast', 'multicast'].includes(w[0]!)) fail(w[0], `route type ${w[0]} is not modelled (podwalk's FIB has ${[...TYPES].join(', ')} routes)`);
    const dstText = w[k++] ?? fail(undefined, 'expected a destination (a prefix or default)');
    if (dstText.includes(':')) fail(dstText, `IPv6 route ${dstText}: podwalk models IPv4 only (use ip -4 route)`);
    const dst = dstText === 'default' ? { network: 0, prefix: 0, address: 0 } : parseCidr(dstText.includes('/') ? dstText : `${dstText}/32`);
    if (!dst) return fail(dstText, `expected a destination like 10.244.1.0/24 or default, found ${dstText}`);
    if (dst.address !== dst.network) fail(dstText, `${dstText} has host bits set (ip route prints the network)`);
    const r: RouteLine = { line: lineNo, type, dst: { ...dst, address: dst.network }, onlink: false, proto: 'boot', scope: 'global', devCol: 0, viaCol: 0 };
    for (; k < w.length; k++) {
      const a = w[k]!;
      const value = (): string => w[++k] ?? fail(a, `${a} needs a value`);
      if (a === 'via') {
        let v = value();
        if (v === 'inet') v = value();
        const ip = parseIpv4(v);
        if (ip === undefined) fail(v, `expected an IPv4 gateway after via, found ${v}`);
        r.via = ip;
        r.viaCol = columnOf(raw, v);
      } else if (a === 'dev') {
        r.devName = value();
        r.devCol = columnOf(raw, r.devName);
      } else if (a === 'proto') {
        const v = value();
        if (!(ROUTE_PROTOS as readonly string[]).includes(v)) fail(v, `unknown route protocol ${v} (expected one of ${ROUTE_PROTOS.join(', ')})`);
        r.proto = v as RouteProto;
      } else if (a === 'scope') {
        const v = value();
        const s = SCOPES[v];
        if (!s) fail(v, `unknown scope ${v} (expected global, link or host)`);
        r.scope = s!;
      } else if (a === 'src') {
        const v = value();
        const ip = parseIpv4(v);
        if (ip === undefined) fail(v, `expected an IPv4 address after src, found ${v}`);
        r.src = ip;
      } else if (a === 'metric' || a === 'preference' || a === 'priority') {
        const v = value();
        if (!/^[0-9]+$/.test(v) || Number(v) > 0xffffffff) fail(v, `expected a metric (0 to 4294967295), found ${v}`);
        r.metric = Number(v);
      } else if (a === 'onlink') r.onlink = true;
      else if (a === 'table') {
        const v = value();
        if (v !== 'main') fail(v, `only the main table is imported (the output of ip route); this line is for table ${v}`);
      } else if (STATE_FLAGS.has(a)) continue;
      else if (a === 'nexthop') fail(a, 'multipath routes (nexthop) are not modelled');
      else fail(a, `route attribute ${a} is not modelled (podwalk reads via, dev, proto, scope, src, metric, onlink)`);
    }
    if (type === 'unicast' && r.devName === undefined) fail(dstText, 'a unicast route needs dev (ip route prints it on every unicast route)');
    const dup = out.find((o) => o.dst.network === r.dst.network && o.dst.prefix === r.dst.prefix && (o.metric ?? 0) === (r.metric ?? 0) && o.type === r.type);
    if (dup) fail(dstText, `a second route to ${dstText} with metric ${r.metric ?? 0} (line ${dup.line} has one; the kernel refuses it: File exists)`);
    out.push(r);
  });
  return out;
}

/**
 * Replace the namespace's main routing table with these routes (each
 * device name must exist there: the caller checked). What `ip route flush
 * table main` followed by `ip route add` of each line would leave.
 */
export function replaceMainRoutes(ns: NetNs, routes: readonly RouteLine[]): void {
  ns.fib.delete((r) => r.table === 'main');
  for (const l of routes) {
    const dev = l.devName === undefined ? undefined : ns.devices.get(l.devName);
    if (l.devName !== undefined && !dev) throw new Error(`route line ${l.line}: no device ${l.devName} in ${ns.name}`);
    const route: Route = {
      table: 'main',
      type: l.type,
      dst: l.dst,
      dev,
      proto: l.proto,
      scope: l.scope,
      ...(l.via === undefined ? {} : { via: l.via }),
      ...(l.onlink ? { onlink: true } : {}),
      ...(l.src === undefined ? {} : { src: l.src }),
      ...(l.metric === undefined ? {} : { metric: l.metric }),
    };
    ns.fib.add(route);
  }
}

/** For messages. */
export function describeRouteLine(l: RouteLine): string {
  return `${l.dst.prefix === 0 ? 'default' : `${formatIpv4(l.dst.network)}/${l.dst.prefix}`}${l.via === undefined ? '' : ` via ${formatIpv4(l.via)}`}`;
}
