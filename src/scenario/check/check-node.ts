import { formatCidr, parseCidr, parseIpv4 } from '../../wire/addr.js';
import type { NodeTaint, SourcePos } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

const SPEC = ['podCIDR', 'podCIDRs', 'taints', 'unschedulable', 'providerID', 'externalID', 'configSource'];
const STATUS = ['addresses', 'capacity', 'allocatable', 'conditions', 'daemonEndpoints', 'nodeInfo', 'images', 'volumesInUse', 'volumesAttached', 'config', 'phase', 'runtimeHandlers', 'features', 'declaredFeatures'];
const ADDRESS = ['type', 'address'];
const TAINT = ['key', 'value', 'effect', 'timeAdded'];
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** A `kind: Node` as read: what the cluster's node list takes from it, and where each part was written. */
export interface NodeObject {
  name: string;
  ip?: string;
  podCIDR?: string;
  labels: Record<string, string>;
  taints: NodeTaint[];
  unschedulable: boolean;
  pos: SourcePos;
  r: YamlReader;
  at: At;
  ipAt?: At;
  cidrAt?: At;
  /** flannel's `backend-data` VtepMAC: the MAC of the node's flannel.1 (vxlan backend). */
  vtepMac?: string;
}

/** The annotations flanneld's kube subnet manager writes on its Node (pkg/subnet/kube/annotations.go, prefix flannel.alpha.coreos.com). */
const FLANNEL_PUBLIC_IP = 'flannel.alpha.coreos.com/public-ip';
const FLANNEL_BACKEND_DATA = 'flannel.alpha.coreos.com/backend-data';
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/**
 * A v1 Node as `kubectl get nodes -o yaml` prints it: its name, the
 * InternalIP of `status.addresses` (the address on the network joining the
 * nodes), `spec.podCIDR` (or the IPv4 entry of `spec.podCIDRs`), labels and
 * taints. Everything else a real Node carries (capacity, conditions, images,
 * nodeInfo ...) is accepted and not acted on.
 */
export function readNodeObject(r: YamlReader, top: Map<string, At>, at: At, name: string, labels: Record<string, string>, annotations: Map<string, At> = new Map()): NodeObject | undefined {
  const specAt = top.get('spec') ?? { node: undefined, path: `${at.path}.spec`, near: r.pos(at) };
  const spec = r.map(specAt, SPEC);
  const status = r.map(top.get('status') ?? { node: undefined, path: `${at.path}.status`, near: r.pos(at) }, STATUS);
  if (!spec || !status) return undefined;
  let ip: string | undefined;
  let ipAt: At | undefined;
  for (const a of status.get('addresses') ? r.list(status.get('addresses')!) : []) {
    const m = r.map(a, ADDRESS);
    const type = r.str(m?.get('type'));
    const addrAt = m?.get('address');
    const addr = r.str(addrAt);
    if (type !== 'InternalIP' || addr === undefined || ip !== undefined) continue;
    // Dual-stack nodes list an IPv6 InternalIP too: podwalk takes the IPv4 one.
    if (parseIpv4(addr) === undefined) {
      if (!addr.includes(':')) r.problem(addrAt!, `expected an IPv4 address, found "${addr}"`);
      continue;
    }
    ip = addr;
    ipAt = addrAt;
  }
  // flannel's leases are its Nodes' annotations, not their addresses (kube.go nodeToLease): the public-ip is the
  // address other nodes send to (VTEP, host-gw gateway, udp peer) — with --iface/--public-ip another NIC than the
  // InternalIP's (Vagrant: InternalIP 10.0.2.15 on every node's NAT NIC). podwalk gives a node one underlay
  // address: flannel's, when the Node has one.
  const publicIpAt = annotations.get(FLANNEL_PUBLIC_IP);
  const publicIp = r.str(publicIpAt);
  if (publicIpAt && publicIp !== undefined) {
    if (parseIpv4(publicIp) === undefined) r.problem(publicIpAt, `expected an IPv4 address (flanneld's --public-ip), found "${publicIp}"`);
    else {
      if (ip !== undefined && ip !== publicIp) r.warn(publicIpAt, `node ${name}: flannel's public-ip ${publicIp} is its underlay address here (the one other nodes' flannel sends to); its InternalIP ${ip} (another NIC) is not modelled: a node has one underlay address`);
      ip = publicIp;
      ipAt = publicIpAt;
    }
  }
  let vtepMac: string | undefined;
  const backendAt = annotations.get(FLANNEL_BACKEND_DATA);
  const backend = r.str(backendAt);
  if (backendAt && backend !== undefined) {
    let data: unknown;
    try {
      data = JSON.parse(backend);
    } catch {
      r.problem(backendAt, `expected JSON as flanneld writes it (vxlan: {"VNI":1,"VtepMAC":"…"}; others: null), found "${backend}"`);
    }
    const mac = data !== null && typeof data === 'object' ? (data as Record<string, unknown>)['VtepMAC'] : undefined;
    if (mac !== undefined) {
      if (typeof mac === 'string' && MAC.test(mac)) vtepMac = mac.toLowerCase();
      else r.problem(backendAt, `VtepMAC: expected a MAC address like 6e:2b:4c:1a:00:02, found ${JSON.stringify(mac)}`);
    }
  }
  let podCIDR: string | undefined;
  let cidrAt: At | undefined;
  const cidrs = [...(spec.get('podCIDR') ? [spec.get('podCIDR')!] : []), ...(spec.get('podCIDRs') ? r.list(spec.get('podCIDRs')!) : [])];
  for (const c of cidrs) {
    const s = r.str(c);
    if (s === undefined || s.includes(':')) continue;
    const parsed = parseCidr(s);
    if (!parsed) {
      r.problem(c, `expected an IPv4 CIDR like 10.244.1.0/24, found "${s}"`);
      continue;
    }
    if (podCIDR === undefined) {
      podCIDR = formatCidr(parsed);
      cidrAt = c;
    }
  }
  const taints = readTaints(r, spec.get('taints'));
  const unschedulable = r.bool(spec.get('unschedulable')) ?? false;
  return {
    name,
    ...(ip === undefined ? {} : { ip, ipAt: ipAt! }),
    ...(podCIDR === undefined ? {} : { podCIDR, cidrAt: cidrAt! }),
    ...(vtepMac === undefined ? {} : { vtepMac }),
    labels,
    taints,
    unschedulable,
    pos: r.pos(at),
    r,
    at,
  };
}

/** `taints:` of a Node (or of a `cluster.nodes[]` entry): key, value, effect. */
export function readTaints(r: YamlReader, at: At | undefined): NodeTaint[] {
  const out: NodeTaint[] = [];
  for (const t of at ? r.list(at) : []) {
    const m = r.map(t, TAINT);
    if (!m) continue;
    const key = r.str(m.get('key') ?? r.missing(t, 'key'), true);
    const value = r.str(m.get('value')) ?? '';
    const effect = r.oneOf(m.get('effect') ?? r.missing(t, 'effect'), TAINT_EFFECTS);
    if (!m.get('effect')) r.problem(r.missing(t, 'effect'), `required, expected one of ${TAINT_EFFECTS.join(', ')}`);
    if (key !== undefined && effect !== undefined) out.push({ key, value, effect });
  }
  return out;
}

/** Labels the kubelet puts on every node (kept if the Node already has them). */
export function wellKnownNodeLabels(name: string): Record<string, string> {
  return { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' };
}
