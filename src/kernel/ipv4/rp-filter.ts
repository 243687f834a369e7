import { formatIpv4 } from '../../wire/addr.js';
import type { NetDevice } from '../devices/device.js';
import { formatRoute } from './fib.js';
import type { NetNs } from '../netns.js';

/** net.ipv4.conf.*.rp_filter: 0 off, 1 strict, 2 loose (RFC 3704). */
export type RpFilterMode = 0 | 1 | 2;

/** The rp_filter settings of one namespace: `all`, `default` and per-device values (replaced whole: sysctls.ts). */
export interface RpFilterSysctls {
  /** net.ipv4.conf.all.rp_filter */
  readonly all: RpFilterMode;
  /** net.ipv4.conf.default.rp_filter: the value a device without its own gets. */
  readonly default: RpFilterMode;
  /** net.ipv4.conf.<dev>.rp_filter, by device name. */
  readonly dev: ReadonlyMap<string, RpFilterMode>;
}

/** IN_DEV_RPFILTER: the effective mode on `dev` is the larger of `all` and the device's own. */
export function rpFilterMode(s: RpFilterSysctls, dev: NetDevice): RpFilterMode {
  const own = s.dev.get(dev.name) ?? s.default;
  return (own > s.all ? own : s.all) as RpFilterMode;
}

/** What fib_validate_source decided about a packet's source. */
export type SourceCheck =
  | { ok: true; asymmetric?: { reverse: string } }
  | { ok: false; reason: 'rp-filter' | 'martian'; mode: RpFilterMode; reverse: string; detail: string };

/**
 * fib_validate_source for a packet that came in on `dev` from `src`: a source
 * that is one of our own addresses is a martian, whatever rp_filter says.
 * Then, with rp_filter on, the route back to the source is looked up: strict
 * (1) wants it to leave by `dev`, loose (2) only wants one to exist. A
 * default route always exists on a node, so loose mode passes everything
 * that is not ours. `asymmetric` marks a packet loose mode let through that
 * strict mode would have dropped.
 */
export function validateSource(ns: NetNs, dev: NetDevice, src: number): SourceCheck {
  if (src === 0) return { ok: true };
  const mode = rpFilterMode(ns.sysctl.rpFilter, dev);
  if (ns.isLocal(src)) {
    return { ok: false, reason: 'martian', mode, reverse: 'local', detail: `martian source ${formatIpv4(src)} from ${dev.name}: one of our own addresses` };
  }
  if (mode === 0) return { ok: true };
  const back = ns.fib.lookup(src);
  if (!back || back.type !== 'unicast' || !back.dev) {
    return { ok: false, reason: 'rp-filter', mode, reverse: 'none', detail: `rp_filter ${mode}: no route back to ${formatIpv4(src)} (IPReversePathFilter)` };
  }
  if (back.dev === dev) return { ok: true };
  const reverse = formatRoute(back);
  if (mode === 1) {
    return { ok: false, reason: 'rp-filter', mode, reverse, detail: `rp_filter 1 (strict): ${formatIpv4(src)} came in on ${dev.name} but the route back is ${reverse} (IPReversePathFilter)` };
  }
  return { ok: true, asymmetric: { reverse } };
}
