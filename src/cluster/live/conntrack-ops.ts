import type { NetNs } from '../../kernel/netns.js';
import { parseIpv4 } from '../../wire/addr.js';

/** A `conntrack -D` filter: every field given must match. */
export interface CtFilter {
  protocol?: number;
  /** `--orig-src` / `--orig-dst`: the original direction's addresses. */
  origSrc?: string;
  origDst?: string;
  /** `--orig-port-dst`. */
  origDport?: number;
  /** `--reply-src` (= `--dst-nat` for a DNATed connection): where the connection really goes. */
  replySrc?: string;
  /** `--reply-port-src`: the port the reply comes from (a DNATed connection's target port). */
  replySport?: number;
}

/** `conntrack -D ...` in a namespace: deletes the matching entries and traces it with the count. */
export function deleteConntrack(ns: NetNs, f: CtFilter, command: string): number {
  const n = ns.nf?.conntrack.delete((e) => {
    if (f.protocol !== undefined && e.orig.protocol !== f.protocol) return false;
    if (f.origSrc !== undefined && e.orig.src !== parseIpv4(f.origSrc)) return false;
    if (f.origDst !== undefined && e.orig.dst !== parseIpv4(f.origDst)) return false;
    if (f.origDport !== undefined && e.orig.dport !== f.origDport) return false;
    if (f.replySrc !== undefined && e.reply.src !== parseIpv4(f.replySrc)) return false;
    if (f.replySport !== undefined && e.reply.sport !== f.replySport) return false;
    return true;
  }) ?? 0;
  ns.world.change(ns.name, 'conntrack-delete', `${command}: ${n} flow entr${n === 1 ? 'y' : 'ies'} deleted`);
  return n;
}

/** `conntrack -F`: every entry of the namespace's table. */
export function flushConntrack(ns: NetNs): number {
  const n = ns.nf?.conntrack.delete(() => true) ?? 0;
  ns.world.change(ns.name, 'conntrack-flush', `conntrack -F: connection tracking table has been emptied (${n} entr${n === 1 ? 'y' : 'ies'})`);
  return n;
}
