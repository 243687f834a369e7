import { isMap, isScalar } from 'yaml';
import { formatCidr, formatIpv4, parseIpv4 } from '../../wire/addr.js';
import { kindOf, type ObjectDoc } from '../load/documents.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

/**
 * A node that printed Pods run on, when no Node object says more. A
 * developer with rights in one namespace cannot list Nodes, so
 * `kubectl get pods,svc,deploy -n shop -o yaml` names nodes only in its Pods:
 * `spec.nodeName`, and `status.hostIP` (the node's InternalIP, as the kubelet
 * reports it). The pod subnet is the /24 (kube-controller-manager's default
 * `--node-cidr-mask-size`) holding the node's pod IPs, widened until it holds
 * them all when they do not fit one; unknown when only hostNetwork pods run there.
 */
export interface PodNode {
  name: string;
  ip?: string;
  podCIDR?: string;
  r: YamlReader;
  /** The first printed Pod naming it (its spec.nodeName). */
  at: At;
}

/** The nodes printed Pods (an API server's: uid, resourceVersion or creationTimestamp) run on, in the order they first appear. */
export function nodesOfPrintedPods(docs: ObjectDoc[]): PodNode[] {
  const nodes = new Map<string, PodNode & { podIps: number[] }>();
  for (const { r, at } of docs) {
    if (kindOf(at) !== 'Pod' || !isMap(at.node)) continue;
    const meta = at.node.get('metadata', true);
    if (!isMap(meta) || !['uid', 'resourceVersion', 'creationTimestamp'].some((k) => text(meta.get(k, true)) !== undefined)) continue;
    const spec = at.node.get('spec', true);
    const status = at.node.get('status', true);
    const nodeNameNode = isMap(spec) ? spec.get('nodeName', true) : undefined;
    const name = text(nodeNameNode);
    if (name === undefined || name === '') continue;
    // A finished pod's address may be another's by now; its node still exists.
    const phase = isMap(status) ? text(status.get('phase', true)) : undefined;
    const hostIp = isMap(status) ? parseIpv4(text(status.get('hostIP', true)) ?? '') : undefined;
    const podIp = isMap(status) ? parseIpv4(text(status.get('podIP', true)) ?? '') : undefined;
    const hostNetwork = isMap(spec) && isScalar(spec.get('hostNetwork', true)) && (spec.get('hostNetwork', true) as { value: unknown }).value === true;
    let n = nodes.get(name);
    if (!n) {
      n = { name, r, at: { node: nodeNameNode as At['node'], path: `${at.path}.spec.nodeName`, near: r.pos(at) }, podIps: [] };
      nodes.set(name, n);
    }
    if (n.ip === undefined && hostIp !== undefined) n.ip = formatIpv4(hostIp);
    if (!hostNetwork && podIp !== undefined && phase !== 'Succeeded' && phase !== 'Failed') n.podIps.push(podIp);
  }
  return [...nodes.values()].map(({ podIps, ...n }) => (podIps.length > 0 ? { ...n, podCIDR: subnetOf(podIps) } : n));
}

/** The /24 holding every address, or the longest shorter prefix that does. */
function subnetOf(ips: number[]): string {
  for (let prefix = 24; prefix >= 8; prefix--) {
    const mask = (~0 << (32 - prefix)) >>> 0;
    const net = (ips[0]! & mask) >>> 0;
    if (ips.every((ip) => ((ip & mask) >>> 0) === net)) return formatCidr({ network: net, prefix, address: net });
  }
  return formatCidr({ network: (ips[0]! & 0xff000000) >>> 0, prefix: 8, address: (ips[0]! & 0xff000000) >>> 0 });
}

function text(n: unknown): string | undefined {
  return isScalar(n) && typeof n.value === 'string' ? n.value : undefined;
}

