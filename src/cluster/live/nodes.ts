import { VxlanDevice } from '../../kernel/devices/vxlan.js';
import { cidrHost, formatIpv4, parseCidr, parseIpv4 } from '../../wire/addr.js';
import type { Cluster } from '../build.js';
import { forgetUdpLease, learnUdpLease } from '../flannel/udp.js';
import { FLANNEL_VXLAN_DEV } from '../flannel/vxlan.js';
import type { ControlLoop } from './control-loop.js';

/**
 * The node lifecycle controller's node-monitor-grace-period: a silent node's pods turn NotReady after it.
 * kube-controller-manager's default since Kubernetes 1.32 (kubernetes/kubernetes#126287; 40 s before).
 */
export const NODE_MONITOR_GRACE_NS = 50e9;

/**
 * A node goes down: its NIC loses link, so nothing reaches it or its pods.
 * After node-monitor-grace-period the node lifecycle controller marks its pods
 * NotReady (kube-proxies elsewhere then stop choosing them); if `withdrawAfterNs`
 * is given, flannel on the other nodes removes the node's routes (and VXLAN
 * neighbour and FDB entries; with the udp backend, flanneld's own lease table)
 * once its subnet lease is gone.
 */
export function nodeDown(cluster: Cluster, loop: ControlLoop, name: string, o: { graceNs: number; withdrawAfterNs?: number }): void {
  const ns = cluster.nodes.get(name)!;
  ns.device('eth0')!.carrier = false;
  loop.down.add(name);
  cluster.world.change(name, 'node-down', `eth0 on ${name} lost its link (NO-CARRIER): the node and its pods are cut off`);
  cluster.loadBalancer?.nodeChanged(name);
  loop.apiReachabilityChanged(o.graceNs);
  if (o.withdrawAfterNs !== undefined) {
    cluster.sched.after(o.withdrawAfterNs, () => {
      if (loop.down.has(name)) withdrawRoutes(cluster, name);
    });
  }
}

export function nodeUp(cluster: Cluster, loop: ControlLoop, name: string): void {
  const ns = cluster.nodes.get(name)!;
  ns.device('eth0')!.carrier = true;
  loop.down.delete(name);
  cluster.world.change(name, 'node-up', `eth0 on ${name} has its link again (LOWER_UP)`);
  cluster.loadBalancer?.nodeChanged(name);
  restoreRoutes(cluster, name);
  loop.apiReachabilityChanged(NODE_MONITOR_GRACE_NS);
}

const withdrawn = new WeakMap<Cluster, Set<string>>();

function withdrawRoutes(cluster: Cluster, name: string): void {
  const node = cluster.spec.nodes.find((n) => n.name === name)!;
  const subnet = parseCidr(node.podCIDR)!;
  let n = 0;
  for (const [other, ns] of cluster.nodes) {
    if (other === name) continue;
    n += ns.fib.delete((r) => r.table === 'main' && r.dst.network === subnet.network && r.dst.prefix === subnet.prefix);
    // The udp backend has no per-node route (flannel0 holds the whole cluster prefix): flanneld's table is the route.
    if (cluster.spec.network === 'flannel-udp') n += forgetUdpLease(ns, node.podCIDR);
    const dev = ns.device(FLANNEL_VXLAN_DEV);
    if (dev instanceof VxlanDevice) {
      const remote = cluster.nodes.get(name)!.device(FLANNEL_VXLAN_DEV)!;
      ns.neigh.remove(dev, cidrHost(subnet, 0));
      dev.removeFdb(remote.mac);
    }
  }
  let set = withdrawn.get(cluster);
  if (!set) withdrawn.set(cluster, (set = new Set()));
  set.add(name);
  // What withdrawRoutesAfter stands for: flannel's kube subnet manager (the one modelled) removes a node's lease only
  // when its Node object is deleted (the informer's delete event); only the etcd subnet manager's leases expire (24 h).
  cluster.world.change('cluster', 'routes', `flannel: the lease for ${node.podCIDR} (${name}) is removed (its Node object deleted, or an etcd lease not renewed within 24 h); ${n} route(s) to it withdrawn on the other nodes`);
}

function restoreRoutes(cluster: Cluster, name: string): void {
  if (!withdrawn.get(cluster)?.delete(name)) return;
  const node = cluster.spec.nodes.find((n) => n.name === name)!;
  const subnet = parseCidr(node.podCIDR)!;
  const gw = formatIpv4(cidrHost(subnet, 0));
  for (const [other, ns] of cluster.nodes) {
    if (other === name) continue;
    const dev = ns.device(FLANNEL_VXLAN_DEV);
    if (dev instanceof VxlanDevice) {
      const remote = cluster.nodes.get(name)!.device(FLANNEL_VXLAN_DEV)!;
      ns.neigh.addPermanent(dev, cidrHost(subnet, 0), remote.mac);
      dev.addFdb(remote.mac, parseIpv4(node.ip)!);
      ns.addRoute(node.podCIDR, { via: gw, dev, onlink: true });
    } else if (cluster.spec.network === 'host-gw') {
      ns.addRoute(node.podCIDR, { via: node.ip, dev: ns.device('eth0')! });
    } else learnUdpLease(ns, node.podCIDR, node.ip);
  }
  cluster.world.change('cluster', 'routes', `flannel: ${name} has a lease for ${node.podCIDR} again (its Node object back, or its etcd lease renewed); routes to it restored`);
}
