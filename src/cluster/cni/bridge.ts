import type { Bridge } from '../../kernel/devices/bridge.js';
import { NetNs } from '../../kernel/netns.js';
import { cidrHost, formatIpv4, parseCidr } from '../../wire/addr.js';
import { hostVethName, podNetnsName } from './veth-names.js';
import { podCpu } from '../node-cpus.js';
import type { PodInput } from '../spec.js';

/**
 * The CNI `bridge` plugin with host-local IPAM, as flannel's CNI plugin runs
 * it: the node's bridge holds the subnet's gateway `.1`; each pod gets a veth
 * pair (`eth0` inside, `vethXXXXXXXX` on the bridge, hairpin as configured), its
 * IP with the subnet's prefix (so its /24 is on-link), a default route via the
 * gateway (isDefaultGateway) and a route to the whole flannel network via the
 * gateway (flannel's plugin appends FLANNEL_NETWORK to the IPAM routes; a route
 * without a gateway gets the interface's). The plugins add addresses through
 * the netlink library, which sets an IPv4 address's broadcast when it has none:
 * `ip addr` shows `brd`.
 */
export function setupNodeBridge(node: NetNs, name: string, podCIDR: string, mtu: number): Bridge {
  const c = parseCidr(podCIDR)!;
  const br = node.addBridge(name, mtu);
  node.addAddress(br, `${formatIpv4(cidrHost(c, 1))}/${c.prefix}`, { broadcast: true });
  return br;
}

export function addPod(node: NetNs, br: Bridge, pod: PodInput, podCIDR: string, hairpin: boolean, clusterCIDR: string): NetNs {
  const c = parseCidr(podCIDR)!;
  const ns = new NetNs(node.world, podNetnsName(pod.namespace, pod.name));
  ns.cpu = podCpu(node); // a pod's packets are processed by its node's kernel, on the CPU its processes run on
  ns.kernel = node.kernel; // one kernel: nf_nat's rovers and the release's behaviour are the node's
  const [hostSide, eth0] = node.addVethPair(hostVethName(pod.namespace, pod.name), ns, 'eth0', br.mtu);
  br.addPort(hostSide, hairpin);
  ns.addAddress(eth0, `${pod.ip}/${c.prefix}`, { broadcast: true });
  const gw = formatIpv4(cidrHost(c, 1));
  ns.addRoute('default', { via: gw, dev: eth0 });
  // A cluster CIDR that is the node's subnet itself (cluster-cidr-one-subnet): the kernel takes that route as a second
  // one for the prefix, before the link route (RouteAddEcmp: NLM_F_CREATE without EXCL); not modelled, left out.
  const cluster = parseCidr(clusterCIDR);
  if (cluster && cluster.prefix < c.prefix) ns.addRoute(clusterCIDR, { via: gw, dev: eth0 });
  return ns;
}
