import { isMap, isScalar } from 'yaml';
import { bind, schedule, schedulingContext } from '../../cluster/scheduler/schedule.js';
import type { BoundPod, HostPort, PlacementNode, PlacementPod, SchedulingContext, Taint } from '../../cluster/scheduler/types.js';
import { nodeAffinityAllows } from '../../cluster/scheduler/node-affinity.js';
import { hostPortsConflict, NODE_PORTS_REASON } from '../../cluster/scheduler/node-ports.js';
import { tolerates } from '../../cluster/scheduler/taints.js';
import { readPlacement } from './check-scheduling.js';
import { readPodDns } from './check-pod-dns.js';
import { processListeners } from './process-listeners.js';
import { PodIpam } from '../../cluster/cni/pod-ipam.js';
import { formatIpv4, parseCidr, parseIpv4 } from '../../wire/addr.js';
import { DEFAULT_CONTROLLER_FLAGS, type IngressControllerFlags } from '../../cluster/ingress/types.js';
import type { ClusterSpec, ContainerPortSpec, PodOwner, PodSpec, PodTemplateSpec } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

const POD_SPEC = ['volumes', 'initContainers', 'containers', 'ephemeralContainers', 'restartPolicy', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken', 'nodeName', 'hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'hostname', 'subdomain', 'affinity', 'schedulerName', 'tolerations', 'hostAliases', 'priorityClassName', 'priority', 'dnsConfig', 'readinessGates', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy', 'overhead', 'topologySpreadConstraints', 'setHostnameAsFQDN', 'os', 'hostUsers', 'schedulingGates', 'resourceClaims', 'resources'];
const CONTAINER = ['name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty'];
const PORT = ['containerPort', 'protocol', 'name', 'hostPort', 'hostIP'];
const STATUS = ['podIP', 'podIPs', 'hostIP', 'hostIPs', 'phase', 'conditions', 'containerStatuses', 'initContainerStatuses', 'qosClass', 'startTime', 'message', 'reason', 'nominatedNodeName'];
const CONDITION = ['type', 'status', 'lastProbeTime', 'lastTransitionTime', 'reason', 'message', 'observedGeneration'];
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;

/** A pod as read, before scheduling and IPAM; `r`/`at` point at what to blame for placement problems. */
export interface RawPod extends Omit<PodSpec, 'nodeName' | 'ip'> {
  nodeName?: string;
  /** What decides which nodes may run it. */
  placement: PlacementPod;
  /** A DaemonSet's template: copied once per eligible node once the nodes are known. */
  perNode?: boolean;
  /** A DaemonSet's template: nodes whose pod was printed (kubectl get pods) and is not made again. */
  skipNodes?: string[];
  ip?: string;
  /** A container runs kube-apiserver: its `--secure-port` (listened on whatever the pod declares). */
  apiServerPort?: number;
  nodeAt?: At;
  ipAt?: At;
  r: YamlReader;
  at: At;
}

/** Where a pod's fields are: a Pod object, or a Deployment's `spec.template` (no status there). */
export interface PodSource {
  r: YamlReader;
  /** The object the pod stands for (problems about the pod as a whole point here). */
  at: At;
  specAt: At;
  statusAt?: At;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** `metadata.annotations` (HTTP answers of podwalk's servers: see readHttpAnswer). */
  annotations?: Record<string, string>;
  terminating: boolean;
  owner?: PodOwner;
}

/** Read a pod spec (and status) into a RawPod; problems are recorded on the reader. */
export function readPod(src: PodSource): RawPod | undefined {
  const { r, specAt, namespace, name } = src;
  const spec = r.map(specAt, POD_SPEC);
  if (!spec) return undefined;
  const containersAt = spec.get('containers') ?? { node: undefined, path: `${specAt.path}.containers`, near: r.pos(specAt) };
  const containers = r.list(containersAt);
  if (containers.length === 0) r.problem(containersAt, 'expected at least one container');
  const hostNetwork = r.bool(spec.get('hostNetwork')) ?? false;
  const ports: ContainerPortSpec[] = [];
  const hostPorts: HostPort[] = [];
  let ingressController: IngressControllerFlags | undefined;
  let apiServerPort: number | undefined;
  const undeclared: ContainerPortSpec[] = [];
  /** Port names seen, each with where it was first declared and by which container (index). */
  const portNames = new Map<string, { at: At; container: number }>();
  // Native sidecars (an init container with restartPolicy Always, Kubernetes 1.29+) run for the pod's life and
  // listen as its containers do; the EndpointSlice controller finds named ports in them too (FindPort), after the
  // containers'. Other init containers have exited before the containers start: their ports are not open.
  const sidecars = (spec.get('initContainers') ? r.list(spec.get('initContainers')!) : []).filter((c) => {
    const rp = isMap(c.node) ? c.node.get('restartPolicy', true) : undefined;
    return isScalar(rp) && rp.value === 'Always';
  });
  for (const [ci, c] of [...containers, ...sidecars].entries()) {
    const cm = r.map(c, CONTAINER);
    if (!cm) continue;
    r.str(cm.get('name') ?? r.missing(c, 'name'), true);
    r.str(cm.get('image') ?? r.missing(c, 'image'), true);
    ingressController ??= ingressControllerFlags(r, cm);
    const proc = processListeners(commandWords(r, cm));
    if (proc?.refused) r.warn(cm.get('command') ?? cm.get('args') ?? c, `${proc.binary} in pod ${namespace}/${name} would exit at start (${proc.refused}): it listens on nothing`);
    for (const l of proc?.listeners ?? []) undeclared.push({ containerPort: l.port, protocol: 'TCP', ...(l.bind ? { bind: l.bind } : {}) });
    if (proc?.binary === 'kube-apiserver') apiServerPort ??= proc.listeners[0]?.port;
    for (const p of r.list(cm.get('ports') ?? { node: undefined, path: `${c.path}.ports`, near: r.pos(c) })) {
      const pm = r.map(p, PORT);
      if (!pm) continue;
      const containerPort = r.int(pm.get('containerPort') ?? r.missing(p, 'containerPort'), 1, 65535);
      if (!pm.get('containerPort')) r.problem(r.missing(p, 'containerPort'), 'required, expected an integer between 1 and 65535');
      const protocol = (r.oneOf(pm.get('protocol'), ['TCP', 'UDP', 'SCTP'] as const) ?? 'TCP') as ContainerPortSpec['protocol'];
      const portName = r.str(pm.get('name'));
      if (portName !== undefined && !PORT_NAME.test(portName)) r.problem(pm.get('name')!, `expected a port name (at most 15 lowercase letters, digits and '-', with a letter), found "${portName}"`);
      else if (portName !== undefined) checkPortName(r, portNames, portName, p, pm.get('name')!, ci);
      const hostPort = r.int(pm.get('hostPort'), 0, 65535);
      const hostIP = r.str(pm.get('hostIP'));
      if (hostIP !== undefined && parseIpv4(hostIP) === undefined) r.problem(pm.get('hostIP')!, `expected an IPv4 address, found "${hostIP}"`);
      if (containerPort === undefined) continue;
      // API defaulting: a host-network pod's container ports are its host ports; validation wants them equal.
      if (hostNetwork && hostPort !== undefined && hostPort !== 0 && hostPort !== containerPort) r.problem(pm.get('hostPort')!, `must match containerPort (${containerPort}) when hostNetwork is true, found ${hostPort}`);
      const published = hostNetwork ? containerPort : hostPort;
      if (published) hostPorts.push({ ip: hostIP !== undefined && parseIpv4(hostIP) !== undefined ? hostIP : '0.0.0.0', port: published, protocol });
      if (ports.some((x) => x.containerPort === containerPort && x.protocol === protocol)) r.problem(pm.get('containerPort')!, `duplicate containerPort ${containerPort}/${protocol} in pod ${namespace}/${name}`);
      ports.push({ containerPort, protocol, ...(portName === undefined ? {} : { name: portName }) });
    }
  }
  // ingress-nginx on the host network (nginx on the node's 80/443) or behind a hostPort is not modelled: say so, and
  // do not count a host-network pod as a controller (its container answers as a plain HTTP server).
  if (ingressController && hostNetwork) {
    r.warn(spec.get('hostNetwork')!, `ingress controller pod ${namespace}/${name} runs with hostNetwork: not modelled (nginx would listen on the node's 80/443); it answers as a plain HTTP server, no Ingress rule applies`);
    ingressController = undefined;
  } else if (ingressController && hostPorts.length > 0) {
    r.warn(containersAt, `ingress controller pod ${namespace}/${name} publishes hostPort ${hostPorts.map((h) => h.port).join(', ')}: not modelled (the node's port answers nothing); reach the controller through its Service or pod IP`);
  }
  // Control-plane processes listen where their flags say; kubeadm's static pods declare no ports (only probes on them).
  for (const u of undeclared) if (!ports.some((x) => x.containerPort === u.containerPort && x.protocol === 'TCP')) ports.push(u);
  const status = src.statusAt ? r.map(src.statusAt, STATUS) : undefined;
  const ipAt = status?.get('podIP');
  const ipText = r.str(ipAt);
  if (ipText !== undefined && parseIpv4(ipText) === undefined) r.problem(ipAt!, `expected an IPv4 address, found "${ipText}"`);
  const ready = readReady(r, status?.get('conditions'));
  const nodeAt = spec.get('nodeName');
  const nodeName = r.str(nodeAt);
  const dns = readPodDns(r, spec, specAt);
  const placement = { ...readPlacement(r, spec, src.labels), ...(hostPorts.length > 0 ? { hostPorts } : {}) };
  const terminationGracePeriodSeconds = r.int(spec.get('terminationGracePeriodSeconds'), 0, 9007199254740991);
  const hostname = r.str(spec.get('hostname'));
  const subdomain = r.str(spec.get('subdomain'));
  return {
    placement,
    ...(hostname === undefined ? {} : { hostname }),
    ...(subdomain === undefined ? {} : { subdomain }),
    namespace,
    name,
    labels: src.labels,
    hostNetwork,
    ...dns,
    ports,
    ready,
    terminating: src.terminating,
    builtin: false,
    ...(terminationGracePeriodSeconds === undefined ? {} : { terminationGracePeriodSeconds }),
    ...(src.annotations && Object.keys(src.annotations).length > 0 ? { annotations: src.annotations } : {}),
    ...(ingressController ? { ingressController } : {}),
    ...(apiServerPort === undefined ? {} : { apiServerPort }),
    ...(src.owner ? { owner: src.owner } : {}),
    pos: r.pos(src.at),
    r,
    at: src.at,
    ...(nodeName === undefined ? {} : { nodeName, nodeAt: nodeAt! }),
    ...(ipText === undefined || parseIpv4(ipText) === undefined ? {} : { ip: ipText, ipAt: ipAt! }),
  };
}

/**
 * An ingress-nginx controller container: its command or args run
 * `/nginx-ingress-controller` (as in the project's deploy manifests); the
 * flags that decide which Ingresses it serves are read from its args.
 */
function ingressControllerFlags(r: YamlReader, cm: Map<string, At>): IngressControllerFlags | undefined {
  const all = commandWords(r, cm);
  if (!all.some((w) => w === 'nginx-ingress-controller' || w.endsWith('/nginx-ingress-controller'))) return undefined;
  const flags = { ...DEFAULT_CONTROLLER_FLAGS };
  for (const w of all) {
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(w);
    if (!m) continue;
    if (m[1] === 'controller-class' && m[2]) flags.controllerClass = m[2];
    else if (m[1] === 'ingress-class' && m[2]) flags.ingressClass = m[2];
    else if (m[1] === 'watch-ingress-without-class') flags.watchWithoutClass = m[2] === undefined || m[2] === 'true';
  }
  return flags;
}

/** A container's command then args, as words. */
function commandWords(r: YamlReader, cm: Map<string, At>): string[] {
  const words = (k: string): string[] => (cm.get(k) ? r.list(cm.get(k)!) : []).map((w) => r.str(w)).filter((w): w is string => w !== undefined);
  return [...words('command'), ...words('args')];
}

/** The Ready condition: a pod in this model is ready unless its status says `Ready: "False"`. */
function readReady(r: YamlReader, at: At | undefined): boolean {
  let ready = true;
  for (const c of at ? r.list(at) : []) {
    const m = r.map(c, CONDITION);
    if (!m) continue;
    const type = r.str(m.get('type') ?? r.missing(c, 'type'), true);
    const status = r.oneOf(m.get('status') ?? r.missing(c, 'status'), ['True', 'False', 'Unknown'] as const);
    if (!m.get('status')) r.problem(r.missing(c, 'status'), 'required, expected one of True, False, Unknown');
    if (type === 'Ready' && status !== undefined) ready = status === 'True';
  }
  return ready;
}

/**
 * The kubelet's admission of a pod bound to its node without the scheduler
 * (lifecycle/predicate.go generalFilter): the scheduler's AdmissionCheck
 * (NodeAffinity with the nodeSelector, NodePorts; resources are not modelled),
 * then a NoExecute taint the pod does not tolerate (the kubelet looks at no
 * other effect). The first failure is the reason.
 */
function admissionRefuses(p: RawPod, node: PlacementNode, ctx: SchedulingContext): { plugin: string; why: string; taint?: Taint } | undefined {
  if (!nodeAffinityAllows(p.placement, node)) return { plugin: 'NodeAffinity', why: "node(s) didn't match Pod's node affinity/selector" };
  if (hostPortsConflict(p.placement.hostPorts, ctx.hostPorts.get(node.name))) return { plugin: 'NodePorts', why: NODE_PORTS_REASON };
  const taint = node.taints.find((t) => t.effect === 'NoExecute' && !p.placement.tolerations.some((x) => tolerates(x, t)));
  if (taint) return { plugin: 'TaintToleration', why: "node(s) had taints that the pod didn't tolerate", taint };
  return undefined;
}

/**
 * A port name repeated in one container is invalid (validateContainerPorts); across containers the API server
 * accepts it and warns (pkg/api/pod/warnings.go): Services and probes use the first, NetworkPolicy agents every one.
 */
function checkPortName(r: YamlReader, seen: Map<string, { at: At; container: number }>, name: string, port: At, nameAt: At, container: number): void {
  const first = seen.get(name);
  if (!first) {
    seen.set(name, { at: port, container });
    return;
  }
  const where = (a: At): string => a.path.slice(a.path.indexOf('spec.'));
  if (first.container === container) r.problem(nameAt, `Duplicate value: "${name}" (port names must be unique within a container)`);
  else r.warn(nameAt, `duplicate port name "${name}" with ${where(first.at)}, services and probes that select ports by name will use ${where(first.at)} (a NetworkPolicy port "${name}" allows each of them)`);
}

/**
 * Placement and IPAM (docs/scenario-format.md "Placement"): pods with a
 * nodeName are bound first, each admitted by its kubelet (admissionRefuses:
 * a pod it rejects is not run, and traffic naming it is an error); the others are scheduled one at a time in the
 * order given (declared Pods in file order, then each workload's pods by
 * replica index, workloads in file order), each seeing the pods bound before
 * it (cluster/scheduler/schedule.ts: filters, scores, then round-robin in
 * node order among the best nodes). A pod no node can take stays
 * Pending: a warning in the scheduler's words, and it is not run.
 * Addresses: explicit podIPs first; then pods written as Pods get .2, .3,
 * ... of their node's podCIDR in file order; then pods made by controllers
 * (and the built-in coredns pods) get an address picked by a hash of their
 * name (PodIpam.allocateFor). So a pod added at the end moves no other pod,
 * and a controller pod's address does not depend on the pods before it
 * (short of two hashing to one address on one node).
 */
export function placePods(all: RawPod[], cluster: ClusterSpec, namespaceLabels: ReadonlyMap<string, Record<string, string>> = new Map(), pending?: Map<string, string>): PodSpec[] {
  const nodeNames = cluster.nodes.map((n) => n.name);
  // By name: 150,000 pods on 5,000 nodes (Kubernetes' largest cluster) must not scan the node list per pod.
  const nodesByName = new Map(cluster.nodes.map((n) => [n.name, n]));
  const ipam = new Map(cluster.nodes.map((n) => [n.name, new PodIpam(parseCidr(n.podCIDR)!)]));
  const ctx = schedulingContext(cluster.nodes, namespaceLabels);
  const view = (p: RawPod, nodeName: string): BoundPod => ({ namespace: p.namespace, name: p.name, labels: p.labels, terminating: p.terminating, placement: p.placement, nodeName });
  const rejected = new Set<RawPod>();
  for (const p of all) {
    if (p.nodeName === undefined) continue;
    const node = nodesByName.get(p.nodeName);
    if (!node) {
      p.r.problem(p.nodeAt ?? p.at, `no node named ${p.nodeName} (nodes: ${nodeNames.join(', ')})`);
      continue;
    }
    // podwalk's own pods (the API server's static pod, coredns) are placed as kubeadm places them.
    const refusal = p.builtin ? undefined : admissionRefuses(p, node, ctx);
    if (refusal === undefined) bind(ctx, view(p, p.nodeName));
    else if (p.placement.daemon) {
      // The DaemonSet controller leaves the binding to the scheduler (a required node affinity to its one node): it stays Pending.
      const others = ctx.nodes.length - 1;
      const why = `0/${ctx.nodes.length} nodes are available: ${[`1 ${refusal.why}`, ...(others > 0 ? [`${others} node(s) didn't match Pod's node affinity/selector`] : [])].sort().join(', ')}.`;
      p.r.warn(p.at, `pod ${p.namespace}/${p.name} stays Pending and is not run (FailedScheduling: ${why})`);
      pending?.set(`${p.namespace}/${p.name}`, `is Pending, not running: no node could take it (${why})`);
      rejected.add(p);
    } else if (p.ip !== undefined) {
      // Printed with a pod IP (kubectl get): it was admitted and ran when printed; node affinity is IgnoredDuringExecution, so labels may have changed since.
      p.r.warn(p.nodeAt ?? p.at, `pod ${p.namespace}/${p.name} was printed running on node ${node.name}, which a new pod like it would not pass (kubelet admission: Predicate ${refusal.plugin} failed: ${refusal.why}): run as printed`);
      bind(ctx, view(p, p.nodeName));
    } else {
      const what =
        refusal.plugin === 'TaintToleration'
          ? // The taint eviction controller deletes such a pod too, at once, whatever admitted it.
            `is rejected by the kubelet on node ${node.name} (status.phase Failed, reason TaintToleration: Predicate TaintToleration failed: ${refusal.why}; the node's taint ${refusal.taint!.key}${refusal.taint!.value ? `=${refusal.taint!.value}` : ''}:NoExecute, which the taint eviction controller also deletes it for)`
          : `is rejected by the kubelet on node ${node.name} (status.phase Failed, reason ${refusal.plugin}: Predicate ${refusal.plugin} failed: ${refusal.why})`;
      p.r.warn(p.nodeAt ?? p.at, `pod ${p.namespace}/${p.name} ${what}: not run`);
      pending?.set(`${p.namespace}/${p.name}`, `${what}, not running`);
      rejected.add(p);
    }
  }
  const pods: RawPod[] = [];
  const out: PodSpec[] = [];
  for (const p of all) {
    if (rejected.has(p)) continue;
    let nodeName = p.nodeName;
    if (nodeName === undefined) {
      const d = schedule(view(p, ''), ctx);
      if ('pending' in d) {
        p.r.warn(p.at, `pod ${p.namespace}/${p.name} stays Pending and is not run (FailedScheduling: ${d.pending})`);
        pending?.set(`${p.namespace}/${p.name}`, `is Pending, not running: no node could take it (${d.pending})`);
        continue;
      }
      nodeName = d.node;
      bind(ctx, view(p, nodeName));
    }
    const { r: _r, at: _at, nodeAt: _n, ipAt: _i, placement: _p, perNode: _d, skipNodes: _s, apiServerPort: _a, ...rest } = p;
    pods.push(p);
    out.push({ ...rest, ...(p.placement.tolerations.length > 0 ? { tolerations: p.placement.tolerations } : {}), nodeName, ip: p.ip ?? '' });
  }
  // Who holds each podIP written in the input, to name the first holder when a later pod repeats it.
  const written = new Map<number, PodSpec>();
  out.forEach((p, i) => {
    const raw = pods[i]!;
    const node = nodesByName.get(p.nodeName);
    if (!node) return;
    const r = raw.r;
    if (p.hostNetwork) {
      if (raw.ip !== undefined && raw.ip !== node.ip) r.problem(raw.ipAt!, `a hostNetwork pod has its node's IP ${node.ip}, found ${raw.ip}`);
      p.ip = node.ip;
      // The overlay's own UDP socket already holds its port in the node's namespace.
      const taken = cluster.network === 'flannel-vxlan' ? 8472 : cluster.network === 'flannel-udp' ? 8285 : undefined;
      if (p.ports.some((x) => x.protocol === 'UDP' && x.containerPort === taken)) {
        r.problem(raw.at, `hostNetwork pod ${p.namespace}/${p.name} wants UDP port ${taken}, which ${cluster.network} already uses on node ${node.name}`);
      }
      return;
    }
    if (raw.ip === undefined) return;
    const pool = ipam.get(node.name)!;
    const addr = parseIpv4(raw.ip)!;
    if (!pool.allocatable(addr)) r.problem(raw.ipAt!, `podIP ${raw.ip} is not a pod address of node ${node.name}'s podCIDR ${node.podCIDR} (not the network, the bridge gateway .1 or broadcast)`);
    else if (!pool.reserve(addr)) {
      const first = written.get(addr);
      const holder = first ? `pod ${first.namespace}/${first.name}` : 'another pod';
      r.problem(raw.ipAt!, `podIP ${raw.ip} is already used by ${holder}: no two pods share an address; give pod ${p.namespace}/${p.name} another one of node ${node.name}'s podCIDR ${node.podCIDR}, or leave its podIP out and podwalk allocates one`);
    } else written.set(addr, p);
  });
  const allocate = (p: PodSpec, i: number, hashed: boolean): void => {
    if (p.ip !== '' || !nodesByName.has(p.nodeName)) return;
    const pool = ipam.get(p.nodeName)!;
    const a = hashed ? pool.allocateFor(`${p.namespace}/${p.name}`) : pool.allocate();
    if (a === undefined) pods[i]!.r.problem(pods[i]!.at, `no free pod IP left on node ${p.nodeName}`);
    else p.ip = formatIpv4(a);
  };
  // Pods written as Pods: in order.
  out.forEach((p, i) => {
    if (!p.owner) allocate(p, i, false);
  });
  // Controller pods (the built-in coredns too) in name order, so that which of two colliding pods keeps the address does not depend on file order.
  const owned = out.map((p, i) => [p, i] as const).filter(([p]) => p.owner);
  owned.sort(([a], [b]) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
  for (const [p, i] of owned) allocate(p, i, true);
  return out;
}

/** A workload's pod template as read (placePods' PodSpec, less what only the loader needs, and no node or address yet). */
export function podTemplateSpec(p: RawPod): PodTemplateSpec {
  const { r: _r, at: _at, nodeAt: _n, ipAt: _i, placement: _p, perNode: _d, skipNodes: _s, apiServerPort: _a, nodeName: _nn, ip: _ip, ...rest } = p;
  return { ...rest, ...(p.placement.tolerations.length > 0 ? { tolerations: p.placement.tolerations } : {}) };
}

/** A `map[string]string` field (labels, selector, annotations). */
export function stringMap(r: YamlReader, at: At | undefined): Record<string, string> {
  const m = at ? r.map(at, null) : undefined;
  const out: Record<string, string> = {};
  if (!m) return out;
  for (const [k, v] of m) {
    const s = r.str(v);
    if (s !== undefined) out[k] = s;
  }
  return out;
}
