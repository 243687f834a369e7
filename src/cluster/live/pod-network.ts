import type { NetNs } from '../../kernel/netns.js';
import type { Cluster } from '../build.js';
import { addPod } from '../cni/bridge.js';
import { hostVethName } from '../cni/veth-names.js';
import { serveHttp } from '../http/server.js';
import type { PodInput } from '../spec.js';

/**
 * CNI ADD for a pod created while the cluster runs: the bridge plugin's veth
 * pair, address and default route, then the containers' listening sockets.
 */
export function startPodNetwork(cluster: Cluster, pod: PodInput): NetNs {
  const node = cluster.nodes.get(pod.nodeName)!;
  const nodeSpec = cluster.spec.nodes.find((n) => n.name === pod.nodeName)!;
  const ns = pod.hostNetwork ? node : addPod(node, cluster.bridges.get(pod.nodeName)!, pod, nodeSpec.podCIDR, cluster.spec.hairpinMode, cluster.spec.clusterCIDR);
  listen(ns, pod);
  const key = `${pod.namespace}/${pod.name}`;
  cluster.pods.set(key, ns);
  if (!pod.hostNetwork) cluster.netns.set(ns.name, ns);
  return ns;
}

/** The containers (re)start: their declared ports listen again (TCP ports serve HTTP, cluster/http/server.ts). */
export function listen(ns: NetNs, pod: PodInput): void {
  for (const port of pod.ports) {
    if (port.protocol === 'UDP') ns.sockets.listenUdp(port.containerPort);
    if (port.protocol === 'SCTP') ns.sockets.sctp.listen(port.containerPort);
  }
  serveHttp(ns, pod);
}

/**
 * CNI DEL: the pod's veth pair is deleted (its host side leaves the bridge,
 * taking its FDB entries), so nothing reaches the namespace any more.
 */
export function stopPodNetwork(cluster: Cluster, pod: PodInput): void {
  if (pod.hostNetwork) return;
  const node = cluster.nodes.get(pod.nodeName)!;
  const hostSide = node.device(hostVethName(pod.namespace, pod.name));
  if (hostSide) node.removeDevice(hostSide);
  // The namespace object stays in cluster.pods and cluster.netns: traces and flows still name it.
}
