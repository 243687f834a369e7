import { KUBERNETES_SERVICE_INDEX } from '../../cluster/control-plane/service-alloc.js';
import { builtinPod, clusterIPServiceDefaults, reservedServiceIP } from './builtin-service.js';
import type { RawPod } from './check-pod.js';
import type { RawService } from './check-service.js';
import type { ClusterSpec, EndpointSliceSpec, NodeSpec } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

export const APISERVER_NAMESPACE = 'default';
export const APISERVER_SERVICE = 'kubernetes';
/** kube-apiserver's `--secure-port` (kubeadm's default). */
export const APISERVER_PORT = 6443;
/** kubeadm labels (and taints) the nodes it runs the control plane on with this. */
export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';

/**
 * The control-plane nodes: those labelled `node-role.kubernetes.io/control-plane`
 * (kubeadm's label), else the first node (kind's and kubeadm's first node is the one `kubeadm init` ran on).
 */
export function controlPlaneNodes(cluster: ClusterSpec): NodeSpec[] {
  const labelled = cluster.nodes.filter((n) => CONTROL_PLANE_LABEL in n.labels);
  return labelled.length > 0 ? labelled : cluster.nodes.slice(0, 1);
}

/** Where the API servers run and listen: their nodes and their `--secure-port`. */
export interface ApiServerPlacement {
  nodes: NodeSpec[];
  port: number;
}

/**
 * What every cluster has without anyone writing it: the API server, reached
 * from pods through the `default/kubernetes` Service. kube-apiserver creates
 * that Service itself (the first address of the service CIDR, port `https`
 * 443 → its secure port, no selector, labels `component: apiserver`,
 * `provider: kubernetes`) and keeps its endpoints: one per API server, its
 * advertise address (the control-plane node's IP) on its secure port, in an
 * EndpointSlice named `kubernetes` (no node name, no target). The API server
 * itself is a static hostNetwork pod, `kube-system/kube-apiserver-<node>`,
 * listening on its secure port on each control-plane node.
 */
export function builtinApiServer(r: YamlReader, at: At, cluster: ClusterSpec, where: ApiServerPlacement = { nodes: controlPlaneNodes(cluster), port: APISERVER_PORT }): { service: RawService; slice: EndpointSliceSpec; pods: RawPod[] } {
  const pos = r.pos(at);
  const { nodes, port } = where;
  const pods: RawPod[] = nodes.map((n) =>
    builtinPod(r, at, {
      namespace: 'kube-system',
      name: `kube-apiserver-${n.name}`,
      labels: { component: 'kube-apiserver', tier: 'control-plane' },
      nodeName: n.name,
      hostNetwork: true,
      ports: [{ containerPort: port, protocol: 'TCP', name: 'https' }],
    }),
  );
  const clusterIP = reservedServiceIP(cluster, KUBERNETES_SERVICE_INDEX);
  const service: RawService = {
    spec: {
      namespace: APISERVER_NAMESPACE,
      name: APISERVER_SERVICE,
      labels: { component: 'apiserver', provider: 'kubernetes' },
      ...clusterIPServiceDefaults(),
      clusterIP,
      ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: port }],
      pos,
    },
    r,
    at,
    nodePortAts: [undefined],
  };
  const slice: EndpointSliceSpec = {
    namespace: APISERVER_NAMESPACE,
    name: APISERVER_SERVICE,
    serviceName: APISERVER_SERVICE,
    ports: [{ name: 'https', port, protocol: 'TCP' }],
    endpoints: nodes.map((n) => ({ ip: n.ip, ready: true, serving: true, terminating: false })),
    derived: false,
    pos,
  };
  return { service, slice, pods };
}
