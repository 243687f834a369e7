import { PodIpam, roundRobin } from '../cluster/pod-ipam.js';
import { formatIpv4, parseCidr, parseIpv4 } from '../wire/addr.js';
import type { ClusterSpec, ContainerPortSpec, IgnoredResource, NamespaceSpec, PodSpec } from './types.js';
import { suggest, type At, type YamlReader } from './yaml-reader.js';

const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** Kinds podwalk reads but does not act on yet, with the apiVersion kubectl expects. */
const IGNORED_KINDS: Record<string, string> = {
  Service: 'v1',
  Endpoints: 'v1',
  ConfigMap: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  DaemonSet: 'apps/v1',
};
const TOP = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
const META = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
const POD_SPEC = ['volumes', 'initContainers', 'containers', 'ephemeralContainers', 'restartPolicy', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken', 'nodeName', 'hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'hostname', 'subdomain', 'affinity', 'schedulerName', 'tolerations', 'hostAliases', 'priorityClassName', 'priority', 'dnsConfig', 'readinessGates', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy', 'overhead', 'topologySpreadConstraints', 'setHostnameAsFQDN', 'os', 'hostUsers', 'schedulingGates', 'resourceClaims', 'resources'];
const CONTAINER = ['name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty'];
const PORT = ['containerPort', 'protocol', 'name', 'hostPort', 'hostIP'];
const STATUS = ['podIP', 'podIPs', 'hostIP', 'hostIPs', 'phase', 'conditions', 'containerStatuses', 'initContainerStatuses', 'qosClass', 'startTime', 'message', 'reason', 'nominatedNodeName'];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;

interface RawPod extends Omit<PodSpec, 'nodeName' | 'ip'> {
  nodeName?: string;
  ip?: string;
  nodeAt?: At;
  ipAt?: At;
}

export interface Resources {
  namespaces: NamespaceSpec[];
  pods: PodSpec[];
  ignored: IgnoredResource[];
}

/** Read every Kubernetes object (inline and included); schedule pods and assign their IPs. */
export function checkResources(docs: { r: YamlReader; at: At }[], cluster: ClusterSpec | undefined): Resources {
  const namespaces: NamespaceSpec[] = BUILTIN_NAMESPACES.map((name) => ({ name, labels: { 'kubernetes.io/metadata.name': name } }));
  const pods: RawPod[] = [];
  const ignored: IgnoredResource[] = [];
  const podAts: { r: YamlReader; at: At; nsAt: At | undefined }[] = [];

  for (const { r, at } of docs) {
    const top = r.map(at, null);
    if (!top) continue;
    const kind = r.str(top.get('kind') ?? { ...at, path: `${at.path}.kind` }, true);
    const apiVersion = r.str(top.get('apiVersion') ?? { ...at, path: `${at.path}.apiVersion` }, true);
    if (kind === undefined || apiVersion === undefined) continue;
    const expectedApi = kind === 'Namespace' || kind === 'Pod' ? 'v1' : IGNORED_KINDS[kind];
    if (expectedApi === undefined) {
      const known = ['Namespace', 'Pod', ...Object.keys(IGNORED_KINDS)];
      const hint = suggest(kind, known);
      r.problem(top.get('kind')!, `unknown kind ${kind}${hint ? ` (did you mean ${hint}?)` : ''}; podwalk reads: ${known.join(', ')}`);
      continue;
    }
    if (apiVersion !== expectedApi) {
      r.problem(top.get('apiVersion')!, `expected apiVersion ${expectedApi} for ${kind}, found ${apiVersion}`);
      continue;
    }
    const meta = r.map(top.get('metadata') ?? { node: undefined, path: `${at.path}.metadata`, near: r.pos(at) }, kind === 'Pod' || kind === 'Namespace' ? META : null);
    const nameAt = meta?.get('name') ?? { node: undefined, path: `${at.path}.metadata.name`, near: r.pos(at) };
    const name = r.str(nameAt, true);
    if (name === undefined) continue;
    if (!DNS_SUBDOMAIN.test(name)) r.problem(nameAt, `expected a DNS-1123 name (lowercase letters, digits, '-', '.'), found "${name}"`);
    if (kind !== 'Pod' && kind !== 'Namespace') {
      ignored.push({ kind, name, pos: r.pos(at) });
      r.warn(top.get('kind')!, `${kind} ${name} is read but not acted on: ${kind}s are not modelled in this version`);
      continue;
    }
    for (const key of top.keys()) if (!TOP.includes(key)) r.problem(top.get(key)!, `unknown field ${key}`);
    const labels = stringMap(r, meta?.get('labels'));
    if (kind === 'Namespace') {
      if (namespaces.some((n) => n.name === name)) r.problem(nameAt, `duplicate Namespace ${name}`);
      else namespaces.push({ name, labels: { ...labels, 'kubernetes.io/metadata.name': name }, pos: r.pos(at) });
      continue;
    }
    const nsAt = meta?.get('namespace');
    const namespace = r.str(nsAt) ?? 'default';
    if (pods.some((p) => p.namespace === namespace && p.name === name)) {
      r.problem(nameAt, `duplicate Pod ${namespace}/${name}`);
      continue;
    }
    const pod = readPod(r, top, at, namespace, name, labels);
    if (pod) {
      pods.push(pod);
      podAts.push({ r, at, nsAt });
    }
  }

  // Namespaces may be declared after the pods that use them, as with kubectl apply -f dir/.
  pods.forEach((p, i) => {
    if (!namespaces.some((n) => n.name === p.namespace)) {
      const { r, at, nsAt } = podAts[i]!;
      r.problem(nsAt ?? at, `namespace ${p.namespace} not found (declare a Namespace)`);
    }
  });
  if (!cluster) return { namespaces, pods: [], ignored };
  return { namespaces, pods: place(pods, podAts, cluster), ignored };
}

function readPod(r: YamlReader, top: Map<string, At>, at: At, namespace: string, name: string, labels: Record<string, string>): RawPod | undefined {
  const specAt = top.get('spec') ?? { node: undefined, path: `${at.path}.spec`, near: r.pos(at) };
  const spec = r.map(specAt, POD_SPEC);
  if (!spec) return undefined;
  const containersAt = spec.get('containers') ?? { node: undefined, path: `${specAt.path}.containers`, near: r.pos(specAt) };
  const containers = r.list(containersAt);
  if (containers.length === 0) r.problem(containersAt, 'expected at least one container');
  const ports: ContainerPortSpec[] = [];
  for (const c of containers) {
    const cm = r.map(c, CONTAINER);
    if (!cm) continue;
    r.str(cm.get('name') ?? { ...c, path: `${c.path}.name` }, true);
    r.str(cm.get('image') ?? { ...c, path: `${c.path}.image` }, true);
    for (const p of r.list(cm.get('ports') ?? { node: undefined, path: `${c.path}.ports`, near: r.pos(c) })) {
      const pm = r.map(p, PORT);
      if (!pm) continue;
      const containerPort = r.int(pm.get('containerPort') ?? { ...p, path: `${p.path}.containerPort` }, 1, 65535);
      if (!pm.get('containerPort')) r.problem({ ...p, path: `${p.path}.containerPort` }, 'required, expected an integer between 1 and 65535');
      const protocol = (r.oneOf(pm.get('protocol'), ['TCP', 'UDP', 'SCTP'] as const) ?? 'TCP') as ContainerPortSpec['protocol'];
      const portName = r.str(pm.get('name'));
      if (portName !== undefined && !PORT_NAME.test(portName)) r.problem(pm.get('name')!, `expected a port name (at most 15 lowercase letters, digits and '-', with a letter), found "${portName}"`);
      if (containerPort === undefined) continue;
      if (ports.some((x) => x.containerPort === containerPort && x.protocol === protocol)) r.problem(pm.get('containerPort')!, `duplicate containerPort ${containerPort}/${protocol} in pod ${namespace}/${name}`);
      ports.push({ containerPort, protocol, ...(portName === undefined ? {} : { name: portName }) });
    }
  }
  const hostNetwork = r.bool(spec.get('hostNetwork')) ?? false;
  const status = r.map(top.get('status') ?? { node: undefined, path: `${at.path}.status`, near: r.pos(at) }, STATUS);
  const ipAt = status?.get('podIP');
  const ipText = r.str(ipAt);
  if (ipText !== undefined && parseIpv4(ipText) === undefined) r.problem(ipAt!, `expected an IPv4 address, found "${ipText}"`);
  const nodeAt = spec.get('nodeName');
  const nodeName = r.str(nodeAt);
  return {
    namespace,
    name,
    labels,
    hostNetwork,
    ports,
    pos: r.pos(at),
    ...(nodeName === undefined ? {} : { nodeName, nodeAt: nodeAt! }),
    ...(ipText === undefined || parseIpv4(ipText) === undefined ? {} : { ip: ipText, ipAt: ipAt! }),
  };
}

/** Schedule unscheduled pods round-robin, then IPAM: explicit podIPs first, then the rest in order. */
function place(pods: RawPod[], ats: { r: YamlReader; at: At }[], cluster: ClusterSpec): PodSpec[] {
  const nodeNames = cluster.nodes.map((n) => n.name);
  const picks = roundRobin(nodeNames, pods.filter((p) => p.nodeName === undefined).length);
  const ipam = new Map(cluster.nodes.map((n) => [n.name, new PodIpam(parseCidr(n.podCIDR)!)]));
  const out: PodSpec[] = [];
  let pick = 0;
  for (const [i, p] of pods.entries()) {
    const r = ats[i]!.r;
    const nodeName = p.nodeName ?? picks[pick++]!;
    if (!nodeNames.includes(nodeName)) r.problem(p.nodeAt!, `no node named ${nodeName} (nodes: ${nodeNames.join(', ')})`);
    out.push({ namespace: p.namespace, name: p.name, labels: p.labels, nodeName, ip: p.ip ?? '', hostNetwork: p.hostNetwork, ports: p.ports, pos: p.pos });
  }
  out.forEach((p, i) => {
    const raw = pods[i]!;
    const node = cluster.nodes.find((n) => n.name === p.nodeName);
    if (!node) return;
    const r = ats[i]!.r;
    if (p.hostNetwork) {
      if (raw.ip !== undefined && raw.ip !== node.ip) r.problem(raw.ipAt!, `a hostNetwork pod has its node's IP ${node.ip}, found ${raw.ip}`);
      p.ip = node.ip;
      // The overlay's own UDP socket already holds its port in the node's namespace.
      const taken = cluster.network === 'flannel-vxlan' ? 8472 : cluster.network === 'flannel-udp' ? 8285 : undefined;
      if (p.ports.some((x) => x.protocol === 'UDP' && x.containerPort === taken)) {
        r.problem(ats[i]!.at, `hostNetwork pod ${p.namespace}/${p.name} wants UDP port ${taken}, which ${cluster.network} already uses on node ${node.name}`);
      }
      return;
    }
    if (raw.ip === undefined) return;
    const pool = ipam.get(node.name)!;
    const addr = parseIpv4(raw.ip)!;
    if (!pool.allocatable(addr)) r.problem(raw.ipAt!, `podIP ${raw.ip} is not a pod address of node ${node.name}'s podCIDR ${node.podCIDR} (not the network, the bridge gateway .1 or broadcast)`);
    else if (!pool.reserve(addr)) r.problem(raw.ipAt!, `podIP ${raw.ip} is already used by another pod`);
  });
  out.forEach((p, i) => {
    if (p.ip !== '' || !cluster.nodes.some((n) => n.name === p.nodeName)) return;
    const a = ipam.get(p.nodeName)!.allocate();
    if (a === undefined) ats[i]!.r.problem(ats[i]!.at, `no free pod IP left on node ${p.nodeName}`);
    else p.ip = formatIpv4(a);
  });
  return out;
}

function stringMap(r: YamlReader, at: At | undefined): Record<string, string> {
  const m = at ? r.map(at, null) : undefined;
  const out: Record<string, string> = {};
  if (!m) return out;
  for (const [k, v] of m) {
    const s = r.str(v);
    if (s !== undefined) out[k] = s;
  }
  return out;
}
