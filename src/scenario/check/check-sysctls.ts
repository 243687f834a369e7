import { NODE_RP_FILTER_DEFAULT, NODE_SYSCTL_DEFAULTS, type NodeSysctlsInput } from '../../cluster/spec.js';
import type { RpFilterMode } from '../../kernel/ipv4/rp-filter.js';
import { KERNEL_LIMIT_NAMES, KERNEL_LIMITS, type KernelLimitsInput } from '../../kernel/limits.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

/**
 * rp_filter per device, for the node devices podwalk makes, by the names
 * sysctl gives them (a dot in an interface name becomes a slash).
 */
const RP_FILTER_DEVICES = ['eth0', 'cbr0', 'flannel/1', 'flannel0'] as const;
const rpKey = (d: string): string => `net.ipv4.conf.${d}.rp_filter`;

/** The node sysctls the kernel model reads, by their Linux names (switches and modes: kernel/sysctls.ts). */
export const SWITCH_NAMES = [
  'net.ipv4.ip_forward',
  'net.bridge.bridge-nf-call-iptables',
  'net.ipv4.conf.all.route_localnet',
  'net.ipv4.conf.all.ignore_routes_with_linkdown',
  rpKey('all'),
  rpKey('default'),
  ...RP_FILTER_DEVICES.map(rpKey),
] as const;

/**
 * `cluster.sysctls`: node sysctls by their Linux names: switches and modes, and table limits
 * (integers, kernel/limits.ts). Defaults are a
 * kubeadm node's: ip_forward 1 and bridge-nf-call-iptables 1 (kubeadm's
 * preflight checks refuse a node without them), route_localnet as kube-proxy
 * sets it (1 when it serves localhost NodePorts), rp_filter 2 in `all` and
 * `default` as Ubuntu and systemd's 50-default.conf set it.
 */
export function checkSysctls(r: YamlReader, at: At | undefined): NodeSysctlsInput | undefined {
  if (!at || at.node == null) return undefined;
  const m = r.map(at, [...SWITCH_NAMES, ...KERNEL_LIMIT_NAMES]) ?? new Map<string, At>();
  const flag = (name: string): boolean | undefined => {
    const v = r.int(m.get(name), 0, 1);
    return v === undefined ? undefined : v === 1;
  };
  const mode = (name: string): RpFilterMode | undefined => r.int(m.get(name), 0, 2) as RpFilterMode | undefined;
  const routeLocalnet = flag('net.ipv4.conf.all.route_localnet');
  const ignoreRoutesWithLinkdown = flag('net.ipv4.conf.all.ignore_routes_with_linkdown');
  const dev: Record<string, RpFilterMode> = {};
  for (const d of RP_FILTER_DEVICES) {
    const v = mode(rpKey(d));
    if (v !== undefined) dev[d.replaceAll('/', '.')] = v;
  }
  const limits = readLimits(r, m);
  return {
    ...(limits ? { limits } : {}),
    ipForward: flag('net.ipv4.ip_forward') ?? NODE_SYSCTL_DEFAULTS.ipForward,
    bridgeNfCallIptables: flag('net.bridge.bridge-nf-call-iptables') ?? NODE_SYSCTL_DEFAULTS.bridgeNfCallIptables,
    ...(routeLocalnet === undefined ? {} : { routeLocalnet }),
    ...(ignoreRoutesWithLinkdown ? { ignoreRoutesWithLinkdown } : {}),
    rpFilter: { all: mode(rpKey('all')) ?? NODE_RP_FILTER_DEFAULT.all, default: mode(rpKey('default')) ?? NODE_RP_FILTER_DEFAULT.default, dev },
  };
}

/**
 * The switches and modes among `entries` (a sysctl step), by their Linux names: 0 or 1, rp_filter 0 to 2.
 */
export function readSwitches(r: YamlReader, entries: Map<string, At>): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  let any = false;
  for (const name of SWITCH_NAMES) {
    const v = r.int(entries.get(name), 0, name.endsWith('.rp_filter') ? 2 : 1);
    if (v === undefined) continue;
    out[name] = v;
    any = true;
  }
  return any ? out : undefined;
}

/**
 * The table limits among `entries` (cluster.sysctls or a sysctl step): integers in the kernel's range.
 * gc_thresh1 <= gc_thresh2 <= gc_thresh3 is not required by Linux and not checked here either.
 */
export function readLimits(r: YamlReader, entries: Map<string, At>): KernelLimitsInput | undefined {
  const out: KernelLimitsInput = {};
  let any = false;
  for (const name of KERNEL_LIMIT_NAMES) {
    const v = r.int(entries.get(name), KERNEL_LIMITS[name].min, KERNEL_LIMITS[name].max);
    if (v === undefined) continue;
    out[name] = v;
    any = true;
  }
  return any ? out : undefined;
}
