import { NODE_SYSCTL_DEFAULTS, type NodeSysctlsInput } from '../../cluster/spec.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

/** The node sysctls the kernel model reads, by their Linux names. */
const NAMES = ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.ipv4.conf.all.route_localnet'] as const;

/**
 * `cluster.sysctls`: node sysctls by their Linux names, 0 or 1. Defaults are a
 * kubeadm node's: ip_forward 1 and bridge-nf-call-iptables 1 (kubeadm's
 * preflight checks refuse a node without them), route_localnet as kube-proxy
 * sets it (1 when it serves localhost NodePorts).
 */
export function checkSysctls(r: YamlReader, at: At | undefined): NodeSysctlsInput | undefined {
  if (!at || at.node == null) return undefined;
  const m = r.map(at, [...NAMES]) ?? new Map<string, At>();
  const flag = (name: (typeof NAMES)[number]): boolean | undefined => {
    const v = r.int(m.get(name), 0, 1);
    return v === undefined ? undefined : v === 1;
  };
  const routeLocalnet = flag('net.ipv4.conf.all.route_localnet');
  return {
    ipForward: flag('net.ipv4.ip_forward') ?? NODE_SYSCTL_DEFAULTS.ipForward,
    bridgeNfCallIptables: flag('net.bridge.bridge-nf-call-iptables') ?? NODE_SYSCTL_DEFAULTS.bridgeNfCallIptables,
    ...(routeLocalnet === undefined ? {} : { routeLocalnet }),
  };
}
