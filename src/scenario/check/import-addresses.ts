import { columnOf } from '../../kernel/dump-error.js';
import { Ipvs } from '../../kernel/ipvs/ipvs.js';
import { restoreIpvs } from '../../kernel/ipvs/ipvsadm-dump.js';
import { importIptablesSave, ruleAddresses, ruleInterfaces } from '../../kernel/netfilter/import.js';
import { Netfilter } from '../../kernel/netfilter/netfilter.js';
import { parseRouteDump } from '../../kernel/ipv4/route-dump.js';
import { cidrContains, cidrOverlaps, formatIpv4, parseCidr, parseIpv4, type Cidr } from '../../wire/addr.js';
import { formatAddrMask, maskToPrefix } from '../../kernel/netfilter/addr.js';
import type { ClusterSpec, EndpointSliceSpec, NodeImportPart, NodeSpec, PodSpec, Problem, ServiceSpec } from '../types.js';
import { nodeDevices } from './check-node-import.js';

/** At most this many unknown-address warnings per imported file (then one line counts the rest). */
const MAX_WARNINGS_PER_FILE = 20;

/** Ranges no scenario declares and every node knows: loopback, "any", link-local, multicast, broadcast. */
const ALWAYS_KNOWN = ['127.0.0.0/8', '0.0.0.0/32', '169.254.0.0/16', '224.0.0.0/4', '255.255.255.255/32'].map((c) => parseCidr(c)!);

interface Known {
  addresses: Set<number>;
  ranges: Cidr[];
}

/**
 * Warnings for the addresses an imported node's rules and routes name that
 * the scenario does not know — not a pod, node, Service (cluster, external
 * or load-balancer IP), endpoint or external host, nor inside the cluster's
 * ranges: in a snapshot from another cluster such a rule matches nothing
 * here (or, negated, everything). Each warning points at the dump's
 * file:line:col. Interfaces (`-i`/`-o`) the node does not have are warned
 * about the same way.
 */
export function importWarnings(cluster: ClusterSpec, pods: readonly PodSpec[], services: readonly ServiceSpec[], slices: readonly EndpointSliceSpec[], policies: number): Problem[] {
  const known = knownAddresses(cluster, pods, services, slices);
  const out: Problem[] = [];
  for (const node of cluster.nodes) {
    const imp = node.imported;
    if (!imp) continue;
    if (policies > 0 && imp.iptablesSave !== undefined) {
      out.push({ ...node.pos, path: `cluster.nodes[${cluster.nodes.indexOf(node)}].import.iptablesSave`, message: `node ${node.name} keeps its saved iptables rules as they are: podwalk's NetworkPolicy agent programs nothing there, so ${policies === 1 ? 'the NetworkPolicy applies' : `the ${policies} NetworkPolicies apply`} on it only as far as the policy agent's rules in ${imp.files.iptablesSave} do` });
    }
    const perFile = new Map<string, number>();
    const warn = (part: NodeImportPart, line: number, word: string, message: string): void => {
      const file = imp.files[part]!;
      const n = (perFile.get(file) ?? 0) + 1;
      perFile.set(file, n);
      if (n > MAX_WARNINGS_PER_FILE) return;
      const raw = imp[part]!.split('\n')[line - 1] ?? '';
      // `-o docker0`: point at the word after its option when the option is named.
      const flag = /^(-[sdio]|--to-destination|--to-source) /.exec(message)?.[1];
      const at = flag ? raw.indexOf(`${flag} ${word}`) : -1;
      out.push({ file, line, col: at >= 0 ? at + flag!.length + 2 : columnOf(raw, word), path: `cluster.nodes[${cluster.nodes.indexOf(node)}].import.${part}`, message });
    };
    if (imp.iptablesSave !== undefined) iptablesWarnings(node, imp.iptablesSave, imp.ipsetSave, known, cluster, warn);
    if (imp.ipvsadm !== undefined) ipvsWarnings(imp.ipvsadm, known, (line, word, what) => warn('ipvsadm', line, word, `${what} is not an address this scenario knows (no pod, node, Service, endpoint or external host has it)`));
    if (imp.ipRoute !== undefined) {
      for (const r of parseRouteDump(imp.ipRoute)) {
        if (r.via !== undefined && !isKnown(known, r.via, 0xffffffff)) warn('ipRoute', r.line, formatIpv4(r.via), `gateway ${formatIpv4(r.via)} is not an address this scenario knows (no node, gateway or external host has it)`);
      }
    }
    out.sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
    for (const [file, n] of perFile) {
      if (n > MAX_WARNINGS_PER_FILE) out.push({ file, line: 1, col: 1, path: `cluster.nodes[${cluster.nodes.indexOf(node)}].import`, message: `${n - MAX_WARNINGS_PER_FILE} more warnings like these in ${file} not shown` });
    }
  }
  return out;
}

function iptablesWarnings(node: NodeSpec, text: string, sets: string | undefined, known: Known, cluster: ClusterSpec, warn: (part: NodeImportPart, line: number, word: string, message: string) => void): void {
  const nf = new Netfilter();
  if (sets !== undefined) nf.ipsets.restore(sets);
  importIptablesSave(nf, text);
  for (const a of ruleAddresses(nf)) {
    if (isKnown(known, a.net, a.mask)) continue;
    const shown = a.mask === 0xffffffff ? formatIpv4(a.net) : formatAddrMask(a.net, a.mask);
    const word = wordFor(text, a.line, a.net, a.mask);
    const what = a.mask === 0xffffffff ? `${shown} is not an address this scenario knows (no pod, node, Service, endpoint or external host has it)` : `${shown} is outside every range this scenario knows (cluster, Service and underlay CIDRs, external hosts)`;
    warn('iptablesSave', a.line, word, `${a.role} ${what}: here the rule ${a.role.startsWith('--to') ? 'sends packets nowhere podwalk models' : 'never matches (or, negated, always does)'}`);
  }
  const devs = [...nodeDevices({ node: node.name, proxyMode: cluster.proxyMode, network: cluster.network, bridge: cluster.bridge, underlay: parseCidr(cluster.underlay.cidr)!, podCIDR: parseCidr(node.podCIDR)!, clusterCIDR: parseCidr(cluster.clusterCIDR)! }, node.imported?.ipvsadm !== undefined).keys()];
  // One warning per missing interface, at its first use, naming the other lines.
  const missing = new Map<string, { line: number; role: string; lines: number[] }>();
  for (const i of ruleInterfaces(nf)) {
    // Pods' host-side veths are named by podwalk (veth + 8 hex), so a prefix match on veth covers them.
    const exists = i.wildcard ? devs.some((d) => d.startsWith(i.name)) || 'veth'.startsWith(i.name) || i.name.startsWith('veth') : devs.includes(i.name);
    if (exists) continue;
    const name = `${i.name}${i.wildcard ? '+' : ''}`;
    const m = missing.get(name);
    if (m) m.lines.push(i.line);
    else missing.set(name, { line: i.line, role: i.role, lines: [] });
  }
  for (const [name, m] of missing) {
    const also = [...new Set(m.lines.filter((l) => l !== m.line))];
    warn('iptablesSave', m.line, name, `${m.role} ${name}: node ${node.name} has no such interface (it has ${devs.join(', ')} and the pods' veths): a match on it never holds here (negated, always)${also.length ? ` (also on line${also.length > 1 ? 's' : ''} ${also.join(', ')})` : ''}`);
  }
}

function ipvsWarnings(text: string, known: Known, warn: (line: number, word: string, what: string) => void): void {
  const ipvs = new Ipvs(undefined as never);
  restoreIpvs(ipvs, text);
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    for (const m of raw.matchAll(/([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+):[0-9]+/g)) {
      const ip = parseIpv4(m[1]!);
      if (ip !== undefined && !isKnown(known, ip, 0xffffffff)) warn(i + 1, m[0], m[1]!);
    }
  });
}

/** The word of the dump line that wrote this address (as given, `10.0.0.1` or `10.0.0.0/8`, maybe in a range). */
function wordFor(text: string, line: number, net: number, mask: number): string {
  const raw = text.split('\n')[line - 1] ?? '';
  const ip = formatIpv4(net);
  const word = raw.split(/\s+/).find((w) => w === ip || w.startsWith(`${ip}/`) || w.startsWith(`${ip}:`) || w.startsWith(`${ip}-`));
  return word ?? (mask === 0xffffffff ? ip : `${ip}/${maskToPrefix(mask)}`);
}

function isKnown(k: Known, net: number, mask: number): boolean {
  if (mask === 0xffffffff) return k.addresses.has(net) || ALWAYS_KNOWN.some((c) => cidrContains(c, net));
  const prefix = maskToPrefix(mask);
  if (prefix < 0) return true; // a non-contiguous mask says nothing simple about ranges
  const c = { network: net, prefix, address: net };
  return ALWAYS_KNOWN.some((r) => cidrOverlaps(r, c)) || k.ranges.some((r) => cidrOverlaps(r, c)) || [...k.addresses].some((a) => cidrContains(c, a));
}

function knownAddresses(cluster: ClusterSpec, pods: readonly PodSpec[], services: readonly ServiceSpec[], slices: readonly EndpointSliceSpec[]): Known {
  const addresses = new Set<number>();
  const add = (s: string | undefined): void => {
    const ip = s === undefined ? undefined : parseIpv4(s);
    if (ip !== undefined) addresses.add(ip);
  };
  for (const n of cluster.nodes) {
    add(n.ip);
    const c = parseCidr(n.podCIDR)!;
    // The bridge's .1 (the pods' gateway) and flannel's .0 on flannel.1 / flannel0.
    addresses.add(c.network);
    addresses.add((c.network + 1) >>> 0);
  }
  for (const h of cluster.externalHosts) add(h.ip);
  add(cluster.underlay.gateway);
  for (const p of pods) add(p.ip);
  for (const s of services) {
    add(s.clusterIP);
    s.externalIPs.forEach(add);
    s.loadBalancerIPs.forEach(add);
  }
  for (const sl of slices) for (const e of sl.endpoints) add(e.ip);
  const ranges = [cluster.clusterCIDR, cluster.serviceCIDR, cluster.underlay.cidr].map((c) => parseCidr(c)!);
  return { addresses, ranges };
}
