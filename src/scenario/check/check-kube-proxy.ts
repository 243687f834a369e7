import type { KubeProxyInput } from '../../cluster/spec.js';
import { formatCidr, parseCidr } from '../../wire/addr.js';
import { parseGoDuration } from '../load/quantities.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

const FIELDS = ['masqueradeAll', 'clusterCIDR', 'detectLocalMode', 'nodePortAddresses', 'localhostNodePorts', 'randomFully', 'minSyncPeriod'];

/**
 * `cluster.kubeProxy`: the KubeProxyConfiguration settings every proxy mode
 * reads, with kube-proxy's (and kubeadm's) defaults:
 * - `masqueradeAll` false (`--masquerade-all`);
 * - `clusterCIDR` = `cluster.clusterCIDR` (kubeadm copies networking.podSubnet into it); `''` = unset;
 * - `detectLocalMode` ClusterCIDR (`NodeCIDR`: the node's podCIDR decides "local");
 * - `nodePortAddresses` [] (NodePorts on every local address); CIDRs, or `primary` (the node IP);
 * - `localhostNodePorts` true (`--iptables-localhost-nodeports`);
 * - `randomFully` true: kube-proxy adds `--random-fully` to its MASQUERADE rule whenever the
 *   iptables binary supports it (iptables >= 1.6.2, every current distribution);
 * - `minSyncPeriod`: absent = the mode's default (1s in iptables and nftables modes, 0s in ipvs mode);
 *   written as kube-proxy reads it, a Go duration (`1m`, `1h30m`, `500ms`, `1.5s`).
 */
export function checkKubeProxy(r: YamlReader, at: At | undefined, clusterCIDR: string): KubeProxyInput {
  const m = at && at.node != null ? (r.map(at, FIELDS) ?? new Map<string, At>()) : new Map<string, At>();
  let cidr = clusterCIDR;
  const cidrAt = m.get('clusterCIDR');
  const text = r.str(cidrAt);
  if (text !== undefined) {
    const c = text.trim() === '' ? undefined : parseCidr(text);
    if (text.trim() !== '' && !c) r.problem(cidrAt!, `expected an IPv4 CIDR like 10.244.0.0/16 (or '' for none), found "${text}"`);
    cidr = c ? formatCidr(c) : '';
  }
  const detectLocalMode = r.oneOf(m.get('detectLocalMode'), ['ClusterCIDR', 'NodeCIDR'] as const) ?? 'ClusterCIDR';
  const nodePortAddresses: string[] = [];
  const npa = m.get('nodePortAddresses');
  for (const item of npa ? r.list(npa) : []) {
    const s = r.str(item, true);
    if (s === undefined) continue;
    if (s === 'primary') nodePortAddresses.push(s);
    else {
      const c = parseCidr(s);
      if (!c) r.problem(item, `expected an IPv4 CIDR like 192.168.56.0/24 or "primary", found "${s}"`);
      else nodePortAddresses.push(formatCidr(c));
    }
  }
  return {
    masqueradeAll: r.bool(m.get('masqueradeAll')) ?? false,
    clusterCIDR: cidr,
    detectLocalMode,
    nodePortAddresses,
    localhostNodePorts: r.bool(m.get('localhostNodePorts')) ?? true,
    randomFully: r.bool(m.get('randomFully')) ?? true,
    ...(m.get('minSyncPeriod') ? { minSyncPeriodNs: r.quantity(m.get('minSyncPeriod'), parseGoDuration, 0) } : {}),
  };
}
