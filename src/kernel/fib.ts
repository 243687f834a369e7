import { cidrContains, formatIpv4, type Cidr } from '../wire/addr.js';
import type { NetDevice } from './device.js';

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'unreachable' | 'blackhole';
export type RouteScope = 'global' | 'link' | 'host';
export type RouteProto = 'kernel' | 'boot' | 'static';

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
}

/**
 * The routing tables of a namespace (`local` and `main`, looked up in that
 * order as the default rules 0 and 32766 do). Longest prefix wins, then the
 * lowest metric, then insertion order.
 */
export class Fib {
  private readonly routes: Route[] = [];

  add(route: Route): void {
    const clash = this.routes.find(
      (r) =>
        r.table === route.table &&
        r.dst.network === route.dst.network &&
        r.dst.prefix === route.dst.prefix &&
        (r.metric ?? 0) === (route.metric ?? 0) &&
        r.type === route.type,
    );
    if (clash) throw new Error(`RTNETLINK answers: File exists (${formatRoute(route)})`);
    this.routes.push(route);
    // Keep each table sorted by prefix length so the first match is the longest.
    this.routes.sort((a, b) => b.dst.prefix - a.dst.prefix || (a.metric ?? 0) - (b.metric ?? 0));
  }

  delete(pred: (r: Route) => boolean): number {
    let n = 0;
    for (let i = this.routes.length - 1; i >= 0; i--) {
      if (pred(this.routes[i]!)) {
        this.routes.splice(i, 1);
        n++;
      }
    }
    return n;
  }

  list(table: 'local' | 'main' = 'main'): Route[] {
    return this.routes.filter((r) => r.table === table);
  }

  /** fib_lookup: the local table first, then main. */
  lookup(dst: number): Route | undefined {
    for (const table of ['local', 'main'] as const) {
      for (const r of this.routes) {
        if (r.table !== table) continue;
        if (r.dev && !r.dev.up) continue;
        if (cidrContains(r.dst, dst)) return r;
      }
    }
    return undefined;
  }
}

/** A route as `ip route show [table local]` prints it. */
export function formatRoute(r: Route): string {
  const { network, prefix } = r.dst;
  const dst = prefix === 0 ? 'default' : prefix === 32 ? formatIpv4(network) : `${formatIpv4(network)}/${prefix}`;
  const parts: string[] = r.type === 'unicast' ? [dst] : [r.type, dst];
  if (r.via !== undefined) parts.push('via', formatIpv4(r.via));
  if (r.dev) parts.push('dev', r.dev.name);
  // Routes added by hand carry proto boot, which `ip route` does not print.
  if (r.proto !== 'boot') parts.push('proto', r.proto);
  if (r.scope !== 'global') parts.push('scope', r.scope);
  if (r.src !== undefined) parts.push('src', formatIpv4(r.src));
  if (r.metric !== undefined && r.metric !== 0) parts.push('metric', String(r.metric));
  if (r.onlink) parts.push('onlink');
  return parts.join(' ');
}

/** Routes in the order the kernel's trie walk lists them: by network, then prefix. */
export function sortForShow(routes: Route[]): Route[] {
  return [...routes].sort((a, b) => a.dst.network - b.dst.network || a.dst.prefix - b.dst.prefix);
}
