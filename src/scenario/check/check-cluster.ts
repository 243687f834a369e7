import { cidrBroadcast, cidrContains, cidrHost, cidrOverlaps, cidrSize, formatCidr, formatIpv4, parseCidr, parseIpv4, type Cidr } from '../../wire/addr.js';
import { labelMap } from './labels.js';
import { DEFAULT_POLICY_OPTIONS, type PolicyOptions } from '../../cluster/netpol/types.js';
import { FLANNEL_VXLAN_DEV } from '../../cluster/flannel/vxlan.js';
import { FLANNEL_TUN_DEV } from '../../cluster/flannel/udp.js';
import { KUBE_IPVS_DEV } from '../../cluster/node-import.js';
import { checkCostModel } from './check-cost-model.js';
import { checkIpvs } from './check-ipvs.js';
import { checkFlannel } from './check-flannel.js';
import { checkKubeProxy } from './check-kube-proxy.js';
import { isScalar, isSeq } from 'yaml';
import { checkSysctls } from './check-sysctls.js';
import { parseDuration, parseRate } from '../load/quantities.js';
import { readTaints, wellKnownNodeLabels, type NodeObject } from './check-node.js';
import { checkNodeImport, readNodeImport, type RawNodeImport } from './check-node-import.js';
import { parseSeedText } from '../load/seed.js';
import type { ClusterSpec, ExternalHostPort, ExternalHostSpec, NetworkBackend, NodeSpec, ProxyMode } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';
import type { PrintedClusterConfig, PrintedSetting } from './printed-config.js';
import type { PodNode } from './pod-nodes.js';

const CLUSTER_FIELDS = ['network', 'proxyMode', 'clusterCIDR', 'serviceCIDR', 'serviceNodePortRange', 'bridge', 'hairpinMode', 'podMTU', 'seed', 'underlay', 'nodes', 'externalHosts', 'dns', 'kubernetesService', 'networkPolicy', 'costModel', 'ipvs', 'kubeProxy', 'flannel', 'sysctls'];
const UNDERLAY_FIELDS = ['cidr', 'mtu', 'bandwidth', 'latency', 'gateway'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IFNAME = /^[^\s/:]{1,15}$/;

/** What else decides the cluster besides `cluster:` itself. */
export interface ClusterInputs {
  seed?: number;
  proxyMode?: ProxyMode;
  /** `kind: Node` objects among the resources (they add to, or fill in, `cluster.nodes`). */
  nodeObjects?: NodeObject[];
  /** Nodes to create when neither `cluster.nodes` nor Node objects name any (plain manifests). */
  defaultNodes?: string[];
  /** The nodes printed Pods run on: the cluster's, when neither `cluster.nodes` nor Node objects name any. */
  podNodes?: PodNode[];
  /** Cluster IPs of Services an API server printed: the service CIDR is inferred from them when not given. */
  printedServices?: PrintedServiceAddresses;
  /** The backend and proxy mode the printed cluster runs (Node annotations, ConfigMaps): the defaults when not given. */
  printed?: PrintedClusterConfig;
}

/** The cluster IPs of printed Services (with a `metadata.uid`), and the `default/kubernetes` one's. */
export interface PrintedServiceAddresses {
  clusterIPs: number[];
  kubernetes?: number;
  /** `--service-cluster-ip-range` of a printed kube-apiserver pod. */
  apiServerRange?: string;
}

/** Where a node came from, so that problems about its address point at the right file. */
type NodeEntry = NodeSpec & { importRaw?: RawNodeImport; explicitIp: boolean; explicitCidr: boolean; ipFromNode?: boolean; cidrFromNode?: boolean; rd: YamlReader; cidrRd: YamlReader; ipAt?: At; cidrAt?: At };

/** `cluster:` with every default applied, or undefined if it has problems (they are recorded). */
export function checkCluster(r: YamlReader, at: At, inputs: ClusterInputs = {}): ClusterSpec | undefined {
  const { seed: seedOverride, proxyMode: proxyModeOverride } = inputs;
  const before = r.problems.length;
  const f = r.map(at, CLUSTER_FIELDS) ?? new Map<string, At>();
  const network = (given(r, f.get('network'), r.oneOf<NetworkBackend>(f.get('network'), ['host-gw', 'flannel-vxlan', 'flannel-udp']), inputs.printed?.network, 'cluster.network', !inputs.defaultNodes, 'flannel-vxlan') ?? 'flannel-vxlan') as NetworkBackend;
  const proxyMode = proxyModeOverride ?? ((given(r, f.get('proxyMode'), r.oneOf<ProxyMode>(f.get('proxyMode'), ['iptables', 'ipvs', 'nftables']), inputs.printed?.proxyMode, 'cluster.proxyMode', !inputs.defaultNodes && proxyModeOverride === undefined, 'iptables') ?? 'iptables') as ProxyMode);
  const nodesAt = f.get('nodes') ?? { node: undefined, path: 'cluster.nodes', near: r.pos(at) };
  const nodes = readNodes(r, nodesAt, inputs);
  // Node objects copied from a real cluster bring their own addresses: the defaults widen to hold them.
  const clusterCIDR = cidr(r, f.get('clusterCIDR'), f.get('clusterCIDR') ? undefined : covering(nodes.filter((n) => n.cidrFromNode).map((n) => parseCidr(n.podCIDR)!), '10.244.0.0/16', 16));
  const serviceCIDR = cidr(r, f.get('serviceCIDR'), f.get('serviceCIDR') ? undefined : inferServiceCidr(inputs.printedServices, '10.96.0.0/12'));
  if (clusterCIDR && serviceCIDR && cidrOverlaps(clusterCIDR, serviceCIDR)) r.problem(f.get('serviceCIDR') ?? at, `serviceCIDR ${formatCidr(serviceCIDR)} overlaps clusterCIDR ${formatCidr(clusterCIDR)}`);
  const range = nodePortRange(r, f.get('serviceNodePortRange'));
  const bridge = r.str(f.get('bridge')) ?? 'cbr0';
  if (!IFNAME.test(bridge)) r.problem(f.get('bridge')!, `expected a Linux interface name (1-15 characters, no spaces, '/' or ':'), found "${bridge}"`);
  else {
    // `ip link add` of a name the node already has fails (EEXIST): the bridge plugin could not make it.
    const taken = nodeDeviceOwner(bridge, network, proxyMode);
    if (taken) r.problem(f.get('bridge')!, `${bridge} is taken on the nodes by ${taken}: expected another name, like cbr0 or cni0`);
  }
  const hairpinMode = r.bool(f.get('hairpinMode')) ?? true;
  const podMTU = r.int(f.get('podMTU'), 68, 65535);
  const seed = seedOverride ?? seedField(r, f.get('seed')) ?? 1;
  // Cluster DNS (coredns + the kube-dns Service) is on unless turned off, as in every kubeadm cluster.
  const dns = r.bool(f.get('dns')) ?? true;
  // The API server's own Service (default/kubernetes at the first service address), as in every cluster.
  const kubernetesService = r.bool(f.get('kubernetesService')) ?? true;
  // kube-dns lives at the 10th address of the service CIDR, so the CIDR must have one.
  if (dns && serviceCIDR && cidrSize(serviceCIDR) < 12) r.problem(f.get('serviceCIDR') ?? at, `serviceCIDR ${formatCidr(serviceCIDR)} has no 10th address for the kube-dns Service: use /28 or larger, or set cluster.dns: false`);

  const networkPolicy = policyOptions(r, f.get('networkPolicy'));
  const costModel = checkCostModel(r, f.get('costModel'));
  const ipvs = checkIpvs(r, f.get('ipvs'));
  const sysctls = checkSysctls(r, f.get('sysctls'));
  const kubeProxy = checkKubeProxy(r, f.get('kubeProxy'), clusterCIDR ? formatCidr(clusterCIDR) : '');
  const flannel = checkFlannel(r, f.get('flannel'));

  const u = r.map(f.get('underlay') ?? { node: undefined, path: 'cluster.underlay', near: r.pos(at) }, UNDERLAY_FIELDS) ?? new Map<string, At>();
  const underlayCidr = cidr(r, u.get('cidr'), u.get('cidr') ? undefined : covering(nodes.filter((n) => n.ipFromNode).map((n) => ({ network: parseIpv4(n.ip)!, prefix: 32, address: parseIpv4(n.ip)! })), '192.168.56.0/24', 24));
  const mtu = r.int(u.get('mtu'), 68, 65535) ?? 1500;
  // The overlay's headers must leave room for the 68 bytes every IPv4 link must carry.
  const overhead = network === 'flannel-vxlan' ? 50 : network === 'flannel-udp' ? 28 : 0;
  if (mtu - overhead < 68) r.problem(u.get('mtu') ?? at, `underlay MTU ${mtu} leaves ${mtu - overhead} bytes for pods after ${network}'s ${overhead} bytes of headers; IPv4 needs at least 68`);
  const bandwidthBps = r.quantity(u.get('bandwidth'), parseRate, 10e9);
  const latencyNs = r.quantity(u.get('latency'), parseDuration, 50_000);
  if (clusterCIDR && underlayCidr && cidrOverlaps(clusterCIDR, underlayCidr)) r.problem(f.get('clusterCIDR') ?? u.get('cidr') ?? at, `clusterCIDR ${formatCidr(clusterCIDR)} overlaps the underlay ${formatCidr(underlayCidr)}`);
  // The gateway is .1 unless a node already has that address (kind's nodes start at .2, but not every cluster's do).
  let gateway = underlayCidr ? cidrHost(underlayCidr, 1) : 0;
  for (let i = 2; underlayCidr && !gwAtGiven(u) && nodes.some((n) => n.explicitIp && parseIpv4(n.ip) === gateway) && i < cidrSize(underlayCidr) - 1; i++) gateway = cidrHost(underlayCidr, i);
  const gwAt = u.get('gateway');
  if (gwAt && underlayCidr) {
    const g = ip(r, gwAt);
    if (g !== undefined) {
      if (!usableHost(underlayCidr, g)) r.problem(gwAt, `gateway ${formatIpv4(g)} is not a usable address of the underlay ${formatCidr(underlayCidr)}`);
      gateway = g;
    }
  }

  const taken = new Map<number, string>([[gateway, 'the underlay gateway']]);
  const names = new Set(nodes.map((n) => n.name));

  const hosts: ExternalHostSpec[] = [];
  const hostAts: At[] = [];
  for (const item of r.list(f.get('externalHosts') ?? { node: undefined, path: 'cluster.externalHosts', near: r.pos(at) })) {
    const m = r.map(item, ['name', 'ip', 'ports']);
    if (!m) continue;
    const name = r.str(m.get('name') ?? r.missing(item, 'name'), true);
    const hip = ip(r, m.get('ip') ?? { node: undefined, path: `${item.path}.ip`, near: r.pos(item) }, true);
    const ports = hostPorts(r, m.get('ports'));
    if (name === undefined || hip === undefined) continue;
    if (!DNS_LABEL.test(name)) r.problem(m.get('name')!, `expected a DNS label, found "${name}"`);
    if (names.has(name) || name === 'underlay' || name === 'gateway') r.problem(m.get('name')!, `duplicate name ${name} (node and host names share one space; underlay and gateway are reserved)`);
    names.add(name);
    hosts.push({ name, ip: formatIpv4(hip), ports, pos: r.pos(item) });
    hostAts.push(m.get('ip')!);
  }

  if (underlayCidr) {
    // Explicit addresses first, so that defaults skip them.
    const claim = (addr: number, who: string, where: At, rd = r): void => {
      if (!usableHost(underlayCidr, addr)) rd.problem(where, `${formatIpv4(addr)} is not a usable host address of the underlay ${formatCidr(underlayCidr)}`);
      const other = taken.get(addr);
      if (other) rd.problem(where, `${formatIpv4(addr)} is already used by ${other}`);
      taken.set(addr, who);
    };
    for (const n of nodes) if (n.explicitIp) claim(parseIpv4(n.ip)!, `node ${n.name}`, n.ipAt!, n.rd);
    hosts.forEach((h, i) => claim(parseIpv4(h.ip)!, `host ${h.name}`, hostAts[i]!));
    let next = 11;
    for (const n of nodes) {
      if (n.explicitIp) continue;
      while (taken.has(cidrHost(underlayCidr, next))) next++;
      const addr = cidrHost(underlayCidr, next);
      if (!usableHost(underlayCidr, addr)) {
        r.problem(nodesAt, `no room left in the underlay ${formatCidr(underlayCidr)} for node ${n.name}`);
        break;
      }
      taken.set(addr, `node ${n.name}`);
      n.ip = formatIpv4(addr);
    }
  }

  if (clusterCIDR) {
    const used: { c: Cidr; who: string }[] = [];
    for (const n of nodes) {
      if (!n.explicitCidr) continue;
      const c = parseCidr(n.podCIDR)!;
      checkPodCidr(n.cidrRd, n.cidrAt!, c, clusterCIDR, serviceCIDR, underlayCidr, used, n.name);
    }
    let index = 1;
    for (const n of nodes) {
      if (n.explicitCidr) continue;
      let c: Cidr | undefined;
      for (; clusterCIDR.prefix <= 24 && index < cidrSize(clusterCIDR) / 256; index++) {
        const cand = { network: cidrHost(clusterCIDR, index * 256), prefix: 24, address: cidrHost(clusterCIDR, index * 256) };
        if (!used.some((u2) => cidrOverlaps(u2.c, cand))) {
          c = cand;
          index++;
          break;
        }
      }
      // The first /24, skipped above (the format's numbering starts at .1.0; kube-controller-manager's range allocator
      // starts at .0.0), is handed out last: a clusterCIDR of one /24 gives its one node all of it, as the allocator does.
      const first = { network: clusterCIDR.network, prefix: 24, address: clusterCIDR.network };
      if (!c && clusterCIDR.prefix <= 24 && !used.some((u2) => cidrOverlaps(u2.c, first))) c = first;
      if (!c) {
        r.problem(nodesAt, `no free /24 left in clusterCIDR ${formatCidr(clusterCIDR)} for node ${n.name}`);
        continue;
      }
      used.push({ c, who: n.name });
      n.podCIDR = formatCidr(c);
    }
  }

  if (r.problems.length > before || nodes.some((n) => n.rd.problems.length > 0 || n.cidrRd.problems.length > 0) || !clusterCIDR || !serviceCIDR || !underlayCidr) return undefined;
  // Saved node state is checked once the node's addresses and devices are settled.
  for (const n of nodes) {
    if (!n.importRaw) continue;
    checkNodeImport(r, n.importRaw, { node: n.name, proxyMode, network, bridge, underlay: underlayCidr, podCIDR: parseCidr(n.podCIDR)!, clusterCIDR });
    n.imported = n.importRaw.spec;
  }
  if (r.problems.length > before) return undefined;
  return {
    network,
    proxyMode,
    clusterCIDR: formatCidr(clusterCIDR),
    serviceCIDR: formatCidr(serviceCIDR),
    serviceNodePortRange: range,
    bridge,
    hairpinMode,
    ...(podMTU === undefined ? {} : { podMTU }),
    seed,
    underlay: { cidr: formatCidr(underlayCidr), mtu, bandwidthBps, latencyNs, gateway: formatIpv4(gateway) },
    nodes: nodes.map(({ name, ip: nip, podCIDR, labels, taints, unschedulable, pos, imported, cpus, vtepMac }) => ({ name, ip: nip, podCIDR, labels, taints, unschedulable, pos, ...(imported ? { imported } : {}), ...(cpus === undefined ? {} : { cpus }), ...(vtepMac === undefined ? {} : { vtepMac }) })),
    externalHosts: hosts,
    dns,
    kubernetesService,
    networkPolicy,
    ...(costModel ? { costModel } : {}),
    ipvs,
    kubeProxy,
    flannel,
    ...(sysctls ? { sysctls } : {}),
  };
}

/**
 * A setting the scenario gives, else the one the printed cluster runs; when
 * both are there and differ, the scenario's wins and a warning says what
 * the printed objects said (a walk of another set-up than the cluster's).
 */
function given<T extends string>(r: YamlReader, at: At | undefined, value: T | undefined, printed: PrintedSetting<T> | undefined, field: string, say: boolean, dflt: T): T | undefined {
  if (value === undefined) {
    // Said where the printed object is: a scenario that includes a dump walks another set-up than the default.
    if (printed && say && printed.value !== dflt) printed.r.warn(printed.at, `${field} not given: ${printed.value}, as ${printed.from} says`);
    return printed?.value;
  }
  if (printed && printed.value !== value) r.warn(at!, `${value} here, but the printed cluster runs ${printed.value} (${printed.from}): the walk follows ${field}`);
  return value;
}

/**
 * `cluster.nodes` (the short form) and `kind: Node` objects, merged by name:
 * a Node fills in what its short entry leaves out; saying two different
 * things about one node's address or podCIDR is an error at the short entry.
 * Order: `cluster.nodes`, then Nodes not listed there, in file order.
 */
function readNodes(r: YamlReader, nodesAt: At, inputs: ClusterInputs): NodeEntry[] {
  const nodes: NodeEntry[] = [];
  const names = new Set<string>();
  const items = r.list(nodesAt);
  for (const item of items) {
    const m = r.map(item, ['name', 'ip', 'podCIDR', 'labels', 'taints', 'cpus', 'import']);
    if (!m) continue;
    const name = r.str(m.get('name') ?? r.missing(item, 'name'), true);
    if (name === undefined) continue;
    if (!DNS_SUBDOMAIN.test(name)) r.problem(m.get('name')!, `expected a node name (a DNS subdomain: lowercase letters, digits, '-' and '.'), found "${name}"`);
    if (names.has(name)) r.problem(m.get('name')!, `duplicate name ${name}`);
    names.add(name);
    const ipAt = m.get('ip');
    const cidrAt = m.get('podCIDR');
    const nodeIp = ipAt ? ip(r, ipAt) : undefined;
    const pod = cidrAt ? cidr(r, cidrAt, undefined) : undefined;
    const labels = { ...wellKnownNodeLabels(name), ...labelMap(r, m.get('labels')) };
    const taints = readTaints(r, m.get('taints'));
    const importRaw = m.get('import') ? readNodeImport(r, m.get('import')!) : undefined;
    const cpus = r.int(m.get('cpus'), 1, 1024);
    nodes.push({ ...(importRaw ? { importRaw } : {}), ...(cpus === undefined ? {} : { cpus }), name, ip: nodeIp === undefined ? '' : formatIpv4(nodeIp), podCIDR: pod ? formatCidr(pod) : '', labels, taints, unschedulable: false, pos: r.pos(item), explicitIp: nodeIp !== undefined, explicitCidr: pod !== undefined, rd: r, cidrRd: r, ...(ipAt ? { ipAt } : {}), ...(cidrAt ? { cidrAt } : {}) });
  }
  const seenObjects = new Map<string, NodeObject>();
  for (const o of inputs.nodeObjects ?? []) {
    const where = `${o.pos.file}:${o.pos.line}:${o.pos.col}`;
    const dup = seenObjects.get(o.name);
    if (dup) {
      o.r.problem(o.at, `duplicate Node ${o.name} (also at ${dup.pos.file}:${dup.pos.line}:${dup.pos.col})`);
      continue;
    }
    seenObjects.set(o.name, o);
    // Kubernetes names Nodes with DNS subdomains (EKS: ip-10-0-1-11.ec2.internal); readHeader checked that.
    // The name names the node's network namespace (node/<name>, <name>:eth0), where a '/' or ':' would not parse.
    if (!DNS_SUBDOMAIN.test(o.name)) o.r.problem(o.at, `expected a Node name (a DNS subdomain: lowercase letters, digits, '-' and '.'), found "${o.name}"`);
    const short = nodes.find((n) => n.name === o.name);
    if (!short) {
      nodes.push({ name: o.name, ip: o.ip ?? '', podCIDR: o.podCIDR ?? '', labels: { ...wellKnownNodeLabels(o.name), ...o.labels }, taints: o.taints, unschedulable: o.unschedulable, pos: o.pos, explicitIp: o.ip !== undefined, explicitCidr: o.podCIDR !== undefined, ipFromNode: o.ip !== undefined, cidrFromNode: o.podCIDR !== undefined, rd: o.r, cidrRd: o.r, ...(o.ipAt ? { ipAt: o.ipAt } : {}), ...(o.cidrAt ? { cidrAt: o.cidrAt } : {}), ...(o.vtepMac ? { vtepMac: o.vtepMac } : {}) });
      continue;
    }
    if (short.explicitIp && o.ip !== undefined && o.ip !== short.ip) r.problem(short.ipAt!, `node ${o.name} has ip ${short.ip} here, but its Node object (${where}) has InternalIP ${o.ip}`);
    else if (!short.explicitIp && o.ip !== undefined) Object.assign(short, { ip: o.ip, explicitIp: true, ipFromNode: true, ipAt: o.ipAt, rd: o.r });
    if (short.explicitCidr && o.podCIDR !== undefined && o.podCIDR !== short.podCIDR) r.problem(short.cidrAt!, `node ${o.name} has podCIDR ${short.podCIDR} here, but its Node object (${where}) has spec.podCIDR ${o.podCIDR}`);
    else if (!short.explicitCidr && o.podCIDR !== undefined) Object.assign(short, { podCIDR: o.podCIDR, explicitCidr: true, cidrFromNode: true, cidrAt: o.cidrAt, cidrRd: o.r });
    short.labels = { ...short.labels, ...o.labels };
    short.taints = [...short.taints, ...o.taints.filter((t) => !short.taints.some((x) => x.key === t.key && x.effect === t.effect))];
    short.unschedulable = o.unschedulable;
    if (o.vtepMac) short.vtepMac = o.vtepMac;
  }
  // `kubectl get pods,svc -n shop -o yaml` (no right to list Nodes): the nodes its Pods name, as they name them.
  if (nodes.length === 0 && inputs.podNodes && inputs.podNodes.length > 0) {
    const pn = inputs.podNodes;
    for (const n of pn) {
      if (!DNS_SUBDOMAIN.test(n.name)) continue;
      nodes.push({ name: n.name, ip: n.ip ?? '', podCIDR: n.podCIDR ?? '', labels: wellKnownNodeLabels(n.name), taints: [], unschedulable: false, pos: n.r.pos(n.at), explicitIp: n.ip !== undefined, explicitCidr: n.podCIDR !== undefined, ipFromNode: n.ip !== undefined, cidrFromNode: n.podCIDR !== undefined, rd: n.r, cidrRd: n.r, ipAt: n.at, cidrAt: n.at });
    }
    const shown = pn.slice(0, 4).map((n) => `${n.name}${n.ip ? ` ${n.ip}` : ''}${n.podCIDR ? ` ${n.podCIDR}` : ''}`).join(', ');
    pn[0]!.r.warn(pn[0]!.at, `no Node objects: the nodes the printed Pods run on are assumed (${shown}${pn.length > 4 ? ', ...' : ''}: spec.nodeName, status.hostIP, and the /24 holding their pod IPs as podCIDR), with no labels or taints. Add \`nodes\` to \`kubectl get\` (or cluster.nodes) for theirs`);
  }
  if (nodes.length === 0 && inputs.defaultNodes) {
    for (const name of inputs.defaultNodes) nodes.push({ name, ip: '', podCIDR: '', labels: wellKnownNodeLabels(name), taints: [], unschedulable: false, pos: r.pos(nodesAt), explicitIp: false, explicitCidr: false, rd: r, cidrRd: r });
  }
  // Items that were written but are wrong have problems of their own: the list is not "empty" then.
  // (Nor is something that is not a list at all: r.list said so.)
  if (nodes.length === 0 && items.length === 0 && (nodesAt.node == null || isSeq(nodesAt.node) || (isScalar(nodesAt.node) && nodesAt.node.value === null))) r.problem(nodesAt, 'expected a list of at least one node (or kind: Node objects)');
  return nodes;
}

/** The default, or (when given CIDRs fall outside it) the smallest CIDR of at most `maxPrefix` bits holding them all. */
function covering(cidrs: Cidr[], dflt: string, maxPrefix: number): string {
  const d = parseCidr(dflt)!;
  if (cidrs.every((c) => cidrContains(d, c.network) && c.prefix >= d.prefix)) return dflt;
  for (let prefix = Math.min(maxPrefix, ...cidrs.map((c) => c.prefix)); prefix >= 8; prefix--) {
    const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
    const net = (cidrs[0]!.network & mask) >>> 0;
    if (cidrs.every((c) => ((c.network & mask) >>> 0) === net)) return `${formatIpv4(net)}/${prefix}`;
  }
  return dflt;
}

/**
 * The service CIDR of a cluster whose objects were printed: a printed
 * kube-apiserver's `--service-cluster-ip-range`; else the default if
 * it holds them all (and the kubernetes Service at its first address);
 * else, as kube-apiserver gives default/kubernetes the first address of its
 * `--service-cluster-ip-range`, the range starting just below that address:
 * the first of /12, /16, /20, /24 (kubeadm's, k3s' and EKS', GKE's sizes)
 * that holds every printed cluster IP, else the smallest that does; without a
 * printed kubernetes Service, the smallest /16 or larger holding them.
 */
function inferServiceCidr(printed: PrintedServiceAddresses | undefined, dflt: string): string {
  if (printed?.apiServerRange) return printed.apiServerRange;
  const ips = printed?.clusterIPs ?? [];
  if (ips.length === 0) return dflt;
  const d = parseCidr(dflt)!;
  const k = printed?.kubernetes;
  const holdsAll = (net: number, prefix: number): boolean => {
    const mask = (~0 << (32 - prefix)) >>> 0;
    return ((net & mask) >>> 0) === net && ips.every((ip) => ((ip & mask) >>> 0) === net);
  };
  if (holdsAll(d.network, d.prefix) && (k === undefined || k === d.network + 1)) return dflt;
  if (k !== undefined && k > 0) {
    const net = k - 1;
    for (const prefix of [12, 16, 20, 24]) if (holdsAll(net, prefix)) return `${formatIpv4(net)}/${prefix}`;
    for (let prefix = 28; prefix >= 8; prefix--) if (holdsAll(net, prefix)) return `${formatIpv4(net)}/${prefix}`;
  }
  return covering(ips.map((ip) => ({ network: ip, prefix: 32, address: ip })), dflt, 16);
}

function gwAtGiven(u: Map<string, At>): boolean {
  return u.has('gateway');
}

/** `cluster.networkPolicy`: the switches for what the NetworkPolicy API leaves to implementations. */
function policyOptions(r: YamlReader, at: At | undefined): PolicyOptions {
  const m = at ? (r.map(at, ['agent', 'denyAction', 'ipBlockMatchesPods', 'selfViaService', 'hostNetworkPeers']) ?? new Map<string, At>()) : new Map<string, At>();
  const d = DEFAULT_POLICY_OPTIONS;
  return {
    agent: r.oneOf(m.get('agent'), ['kube-router', 'none'] as const) ?? d.agent,
    denyAction: r.oneOf(m.get('denyAction'), ['drop', 'reject'] as const) ?? d.denyAction,
    ipBlockMatchesPods: r.bool(m.get('ipBlockMatchesPods')) ?? d.ipBlockMatchesPods,
    selfViaService: r.oneOf(m.get('selfViaService'), ['allow', 'enforce'] as const) ?? d.selfViaService,
    hostNetworkPeers: r.oneOf(m.get('hostNetworkPeers'), ['as-node', 'as-pod'] as const) ?? d.hostNetworkPeers,
  };
}

function checkPodCidr(r: YamlReader, at: At, c: Cidr, cluster: Cidr, service: Cidr | undefined, underlay: Cidr | undefined, used: { c: Cidr; who: string }[], who: string): void {
  if (c.prefix > 30) r.problem(at, `podCIDR ${formatCidr(c)} is too small: expected a prefix of /30 or shorter (room for the gateway and pods)`);
  if (!cidrContains(cluster, c.network) || c.prefix < cluster.prefix) r.problem(at, `podCIDR ${formatCidr(c)} is not inside clusterCIDR ${formatCidr(cluster)}`);
  if (service && cidrOverlaps(c, service)) r.problem(at, `podCIDR ${formatCidr(c)} overlaps serviceCIDR ${formatCidr(service)}`);
  if (underlay && cidrOverlaps(c, underlay)) r.problem(at, `podCIDR ${formatCidr(c)} overlaps the underlay ${formatCidr(underlay)}`);
  const clash = used.find((u) => cidrOverlaps(u.c, c));
  if (clash) r.problem(at, `podCIDR ${formatCidr(c)} overlaps node ${clash.who}'s ${formatCidr(clash.c)}`);
  used.push({ c, who });
}

function usableHost(c: Cidr, a: number): boolean {
  return cidrContains(c, a) && a !== c.network && a !== cidrBroadcast(c);
}

function cidr(r: YamlReader, at: At | undefined, dflt: string | undefined): Cidr | undefined {
  const s = r.str(at);
  if (s === undefined) return dflt === undefined ? undefined : parseCidr(dflt);
  const c = parseCidr(s);
  if (!c) {
    r.problem(at!, `expected an IPv4 CIDR like 10.244.1.0/24, found "${s}"`);
    return undefined;
  }
  if (c.address !== c.network) r.problem(at!, `${s} has host bits set (did you mean ${formatCidr(c)}?)`);
  return c;
}

function ip(r: YamlReader, at: At, required = false): number | undefined {
  const s = r.str(at, required);
  if (s === undefined) return undefined;
  const v = parseIpv4(s);
  if (v === undefined) r.problem(at, `expected an IPv4 address like 192.168.56.11, found "${s}"`);
  return v;
}

function nodePortRange(r: YamlReader, at: At | undefined): [number, number] {
  const s = r.str(at);
  if (s === undefined) return [30000, 32767];
  const m = /^([0-9]+)-([0-9]+)$/.exec(s);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!m || lo < 1 || hi > 65535 || lo >= hi) {
    r.problem(at!, `expected a port range like 30000-32767, found "${s}"`);
    return [30000, 32767];
  }
  return [lo, hi];
}

/** `cluster.seed`, by the same rule as `--seed` (see load/seed.ts): the digits as written, not what YAML makes of `0x10`. */
function seedField(r: YamlReader, at: At | undefined): number | undefined {
  if (!at || at.node == null) return undefined;
  const n = at.node;
  const text = isScalar(n) && n.type === 'PLAIN' && typeof n.value === 'number' ? (n.source ?? String(n.value)) : typeof r.scalar(at) === 'object' ? 'a mapping or list' : String(r.scalar(at));
  const v = parseSeedText(text);
  if (typeof v === 'string') {
    r.problem(at, v);
    return undefined;
  }
  return v;
}

/**
 * `externalHosts[].ports`: what the host's servers listen on (a database, an
 * API outside the cluster), on every address, like a pod's containerPorts:
 * TCP ports answer HTTP. Absent = nothing listens (a SYN meets a RST).
 */
function hostPorts(r: YamlReader, at: At | undefined): ExternalHostPort[] {
  const out: ExternalHostPort[] = [];
  if (!at) return out;
  for (const p of r.list(at)) {
    const pm = r.map(p, ['port', 'protocol']);
    if (!pm) continue;
    const port = r.int(pm.get('port') ?? r.missing(p, 'port'), 1, 65535);
    if (!pm.get('port')) r.problem(r.missing(p, 'port'), 'required, expected an integer between 1 and 65535');
    const protocol = r.oneOf(pm.get('protocol'), ['TCP', 'UDP', 'SCTP'] as const) ?? 'TCP';
    if (port === undefined) continue;
    if (out.some((x) => x.port === port && x.protocol === protocol)) r.problem(pm.get('port')!, `duplicate port ${port}/${protocol}`);
    else out.push({ port, protocol });
  }
  return out;
}

/** What already has the device name `name` on a node of this cluster (the bridge cannot take it), if anything. */
function nodeDeviceOwner(name: string, network: NetworkBackend, proxyMode: ProxyMode): string | undefined {
  if (name === 'lo') return 'the loopback device';
  if (name === 'eth0') return 'the NIC on the underlay';
  if (name === FLANNEL_VXLAN_DEV && network === 'flannel-vxlan') return "flannel's VXLAN device";
  if (name === FLANNEL_TUN_DEV && network === 'flannel-udp') return "flannel's TUN device";
  if (name === KUBE_IPVS_DEV && proxyMode === 'ipvs') return "kube-proxy's dummy device for IPVS virtual addresses";
  // The CNI bridge plugin names the host end of each pod's veth pair veth + 8 hex digits.
  if (/^veth[0-9a-f]{8}$/.test(name)) return 'the names of pod veth pairs (veth and 8 hex digits, as the CNI bridge plugin makes them)';
  return undefined;
}
