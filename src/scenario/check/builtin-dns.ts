import { generatedSuffix, podTemplateHash } from '../../cluster/control-plane/generated-names.js';
import { KUBE_DNS_INDEX } from '../../cluster/control-plane/service-alloc.js';
import { builtinPod, clusterIPServiceDefaults, reservedServiceIP } from './builtin-service.js';
import type { RawPod } from './check-pod.js';
import type { RawService } from './check-service.js';
import type { ClusterSpec, ContainerPortSpec } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

export const DNS_NAMESPACE = 'kube-system';
export const DNS_DEPLOYMENT = 'coredns';
export const DNS_SERVICE = 'kube-dns';
export const DNS_REPLICAS = 2;
const LABELS = { 'k8s-app': 'kube-dns' };
const PORTS: ContainerPortSpec[] = [
  { containerPort: 53, protocol: 'UDP', name: 'dns' },
  { containerPort: 53, protocol: 'TCP', name: 'dns-tcp' },
  { containerPort: 9153, protocol: 'TCP', name: 'metrics' },
];

/**
 * The cluster DNS every kubeadm cluster has: the `kube-system/coredns`
 * Deployment (2 replicas) and the `kube-system/kube-dns` Service at the 10th
 * address of the service CIDR (kubelet's `--cluster-dns`). Pod names follow
 * the Deployment naming rule (check-deployment.ts). The pods are scheduled
 * round-robin from the first node and placed after every scenario pod, so
 * turning DNS on changes no scenario pod's node or address. Problems about
 * them point at `cluster:` (`at`).
 */
export function builtinDns(r: YamlReader, at: At, cluster: ClusterSpec): { service: RawService; pods: RawPod[] } {
  const pos = r.pos(at);
  const hash = podTemplateHash(`${DNS_NAMESPACE}/${DNS_DEPLOYMENT}`);
  const pods: RawPod[] = [];
  for (let i = 0; i < DNS_REPLICAS; i++) {
    pods.push(
      builtinPod(r, at, {
        namespace: DNS_NAMESPACE,
        name: `${DNS_DEPLOYMENT}-${hash}-${generatedSuffix(`${DNS_NAMESPACE}/${DNS_DEPLOYMENT}/${i}`)}`,
        labels: { ...LABELS, 'pod-template-hash': hash },
        nodeName: cluster.nodes[i % cluster.nodes.length]!.name,
        hostNetwork: false,
        ports: PORTS.map((p) => ({ ...p })),
        owner: { kind: 'Deployment', name: DNS_DEPLOYMENT },
      }),
    );
  }
  const clusterIP = reservedServiceIP(cluster, KUBE_DNS_INDEX);
  const service: RawService = {
    spec: {
      namespace: DNS_NAMESPACE,
      name: DNS_SERVICE,
      labels: { ...LABELS, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      ...clusterIPServiceDefaults(),
      clusterIP,
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
        { name: 'metrics', protocol: 'TCP', port: 9153, targetPort: 9153 },
      ],
      selector: { ...LABELS },
      pos,
    },
    r,
    at,
    nodePortAts: [undefined, undefined, undefined],
  };
  return { service, pods };
}
