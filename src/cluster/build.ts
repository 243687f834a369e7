import type { KernelLimitName } from '../kernel/limits.js';
import { Rng } from '../engine/rng.js';
import { Scheduler } from '../engine/scheduler.js';
import type { Bridge } from '../kernel/devices/bridge.js';
import { NetNs } from '../kernel/netns.js';
import { World } from '../kernel/world.js';
import { Tracer } from '../trace/tracer.js';
import { addPod, setupNodeBridge } from './cni/bridge.js';
import { setNodeCpus } from './node-cpus.js';
import { FLANNEL_UDP_OVERHEAD, programFlannelUdp } from './flannel/udp.js';
import { programFlannelIptables } from './flannel/iptables.js';
import { flannelVxlanMtu, programFlannelVxlan } from './flannel/vxlan.js';
import { programHostGw } from './flannel/host-gw.js';
import { routeExternalAddresses, type CloudLoadBalancer, type HealthProbe } from './control-plane/cloud-lb.js';
import { installCoreDns, type CoreDns } from './dns/coredns.js';
import { listen } from './live/pod-network.js';
import { installIngressControllers, type IngressWatch } from './ingress/controller.js';
import { PolicyAgent } from './netpol/agent.js';
import { localServiceIps, policyWorld } from './netpol/world.js';
import { importRoutes } from './node-import.js';
import { programProxies, type NodeProxy } from './kube-proxy/node-proxy.js';
import { localReadyEndpoints } from './kube-proxy/health-server.js';
import { NODE_RP_FILTER_DEFAULT, NODE_SYSCTL_DEFAULTS, type ClusterInput, type ControlPlaneInput, type PodInput } from './spec.js';
import { Underlay } from './underlay.js';

/** Everything a run needs: the world and every namespace by the name traces use. */
export interface Cluster {
  world: World;
  sched: Scheduler;
  underlay: Underlay;
  gateway: NetNs;
  nodes: Map<string, NetNs>;
  pods: Map<string, NetNs>; // key `<ns>/<name>`; hostNetwork pods map to their node's namespace
  hosts: Map<string, NetNs>;
  /** Every namespace, by its trace name. */
  netns: Map<string, NetNs>;
  /** kube-proxy on each node: what it programmed (for `show` and traces). */
  proxies: Map<string, NodeProxy>;
  /** The NetworkPolicy agent, when the control plane has policies (see controlPlane.networkPolicy). */
  policyAgent?: PolicyAgent;
  /** Each node's CNI bridge (pods created later plug into it). */
  bridges: Map<string, Bridge>;
  /** CoreDNS, serving in the kube-dns pods. */
  dns: CoreDns;
  /** Each ingress-nginx controller's watch on Services and EndpointSlices. */
  ingress: IngressWatch[];
  /** What the cluster was built from (controllers that change it later start here). */
  spec: ClusterInput;
  /**
   * The API objects: the build's, then the Services and EndpointSlices as the controllers (cluster/live/) leave
   * them after each change. Policies are the agent's (`policyAgent.world`), which steps change.
   */
  controlPlane: ControlPlaneInput;
  /** The cloud load balancer in front of LoadBalancer Services (its health checks follow the nodes). */
  loadBalancer?: CloudLoadBalancer;
}

/**
 * Bring a cluster up the way its components would: cable the machines,
 * configure node networking, let the network backend program routes, run the
 * CNI plugin for every pod, and open the pods' listening sockets.
 */
export function buildCluster(spec: ClusterInput, pods: PodInput[], opts: { detailed?: boolean; controlPlane?: ControlPlaneInput } = {}): Cluster {
  const sched = new Scheduler();
  const world = new World(sched, new Rng(spec.seed), new Tracer(opts.detailed ?? true));
  world.costs = spec.costModel; // on unless the scenario says cluster.costModel: false
  const underlay = new Underlay(world, spec.underlay);
  const gateway = underlay.addGateway();
  const nodes = new Map<string, NetNs>();
  const bridges = new Map<string, Bridge>();
  const netns = new Map<string, NetNs>([
    ['underlay', underlay.ns],
    ['gateway', gateway],
  ]);

  // The overlay's headers come out of the pods' MTU (flannel's subnet.env FLANNEL_MTU).
  const podMtu =
    spec.podMTU ??
    (spec.network === 'flannel-vxlan' ? flannelVxlanMtu(spec.underlay.mtu) : spec.network === 'flannel-udp' ? spec.underlay.mtu - FLANNEL_UDP_OVERHEAD : spec.underlay.mtu);
  for (const n of spec.nodes) {
    const ns = new NetNs(world, n.name);
    if (n.cpus !== undefined) setNodeCpus(ns, n.cpus);
    // A kubeadm node: ip_forward and bridge-nf-call-iptables are 1 (its preflight checks both), unless the scenario says otherwise.
    const sysctls = spec.sysctls ?? NODE_SYSCTL_DEFAULTS;
    ns.sysctl.ipForward = sysctls.ipForward;
    ns.sysctl.bridgeNfCallIptables = sysctls.bridgeNfCallIptables;
    if (sysctls.ignoreRoutesWithLinkdown) ns.sysctl.ignoreRoutesWithLinkdown = true;
    const rp = sysctls.rpFilter ?? NODE_RP_FILTER_DEFAULT;
    ns.sysctl.rpFilter = { all: rp.all, default: rp.default, dev: new Map(Object.entries(rp.dev)) };
    for (const [name, value] of Object.entries(sysctls.limits ?? {}) as [KernelLimitName, number][]) ns.setLimit(name, value);
    const eth0 = underlay.plug(ns, n.ip, `port-${n.name}`);
    ns.addRoute('default', { via: spec.underlay.gateway, dev: eth0 });
    bridges.set(n.name, setupNodeBridge(ns, spec.bridge, n.podCIDR, podMtu));
    nodes.set(n.name, ns);
    netns.set(n.name, ns);
  }
  if (spec.network === 'host-gw') programHostGw(nodes, spec);
  else if (spec.network === 'flannel-vxlan') programFlannelVxlan(nodes, spec);
  else programFlannelUdp(nodes, spec, spec.clusterCIDR);

  const hosts = new Map<string, NetNs>();
  for (const h of spec.externalHosts) {
    const ns = new NetNs(world, h.name);
    const eth0 = underlay.plug(ns, h.ip, `port-${h.name}`);
    ns.addRoute('default', { via: spec.underlay.gateway, dev: eth0 });
    // Its servers listen as a host-network pod's containers would (TCP ones answer HTTP).
    listen(ns, { namespace: '', name: h.name, nodeName: h.name, ip: h.ip, hostNetwork: true, ports: (h.ports ?? []).map((p) => ({ containerPort: p.port, protocol: p.protocol })) });
    hosts.set(h.name, ns);
    netns.set(h.name, ns);
  }

  const podNs = new Map<string, NetNs>();
  // By name: 150,000 pods on 5,000 nodes must not scan the node list per pod.
  const nodeSpecs = new Map(spec.nodes.map((n) => [n.name, n]));
  for (const p of pods) {
    const node = nodes.get(p.nodeName)!;
    const nodeSpec = nodeSpecs.get(p.nodeName)!;
    const ns = p.hostNetwork ? node : addPod(node, bridges.get(p.nodeName)!, p, nodeSpec.podCIDR, spec.hairpinMode, spec.clusterCIDR);
    listen(ns, p);
    podNs.set(`${p.namespace}/${p.name}`, ns);
    if (!p.hostNetwork) netns.set(ns.name, ns);
  }
  const controlPlane = opts.controlPlane ?? { services: [], endpointSlices: [] };
  const proxies = programProxies(nodes, spec, controlPlane);
  programFlannelIptables(nodes, spec);
  // A node's saved `ip route` replaces the main table the backend programmed (after kube-proxy: a route may name kube-ipvs0).
  for (const n of spec.nodes) if (n.imported?.ipRoute) importRoutes(nodes.get(n.name)!, n.imported.ipRoute);
  // The load balancer's probes: kube-proxy's health server (healthCheckNodePort for eTP Local, else /healthz), or silence from a node that is down.
  const probe: HealthProbe = (svc, node) => {
    const ns = nodes.get(node)!;
    if (ns.device('eth0')?.up === false) return 'timeout';
    if (svc.externalTrafficPolicy !== 'Local') return 200;
    // Until the node's kube-proxy has synced the Service, nothing listens on its healthCheckNodePort.
    if (svc.healthCheckNodePort === undefined || !ns.sockets.listensTcp(svc.healthCheckNodePort)) return 'refused';
    return localReadyEndpoints(proxies.get(node)!.synced, svc, node) > 0 ? 200 : 503;
  };
  const loadBalancer = routeExternalAddresses(gateway, spec, controlPlane.services, controlPlane.endpointSlices, probe);
  const dns = installCoreDns(podNs, spec, controlPlane);
  const ingress = installIngressControllers(podNs, pods, controlPlane);
  const np = controlPlane.networkPolicy;
  let policyAgent: PolicyAgent | undefined;
  if (np) {
    // A node with a saved iptables rule set keeps it as it is: whatever policy agent it runs, its rules are in the snapshot.
    const agentNodes = new Map([...nodes].filter(([name]) => !nodeSpecs.get(name)?.imported?.iptablesSave));
    policyAgent = new PolicyAgent(agentNodes, localServiceIps(spec.proxyMode, controlPlane.services));
    policyAgent.sync(policyWorld(np, pods, nodes));
  }
  return { world, sched, underlay, gateway, nodes, pods: podNs, hosts, netns, proxies, ...(policyAgent ? { policyAgent } : {}), bridges, dns, ingress, spec, controlPlane, ...(loadBalancer ? { loadBalancer } : {}) };
}
