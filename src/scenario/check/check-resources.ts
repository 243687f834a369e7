import { deriveEndpointSlices, nodeZones } from '../../cluster/control-plane/endpointslice-controller.js';
import { labelMap } from './labels.js';
import type { EndpointSliceInput } from '../../cluster/spec.js';
import { assignServiceAddresses } from './assign-service-addresses.js';
import { readEndpoints, readEndpointSlice, resolveSlices, type RawSlice } from './check-endpointslice.js';
import { daemonSetPods, readWorkload, type Workload } from './check-deployment.js';
import { admitIngresses, ingressWarningAt, ingressWarnings, readIngress, readIngressClass, type IngressClassSpec, type IngressSpec } from './check-ingress.js';
import { readNetworkPolicy, type NetworkPolicySpec } from './check-networkpolicy.js';
import { placePods, podTemplateSpec, readPod, stringMap, type RawPod } from './check-pod.js';
import { warnResolvConfLimits } from './check-pod-dns.js';
import { readService, type RawService } from './check-service.js';
import { builtinDns, DNS_DEPLOYMENT, DNS_NAMESPACE, DNS_SERVICE } from './builtin-dns.js';
import { APISERVER_NAMESPACE, APISERVER_PORT, APISERVER_SERVICE, builtinApiServer, controlPlaneNodes, type ApiServerPlacement } from './builtin-apiserver.js';
import type { ClusterSpec, EndpointSliceSpec, IgnoredResource, NamespaceSpec, PodSpec, PodTemplateSpec, ServiceSpec } from '../types.js';
import { isMap, isScalar, isSeq } from 'yaml';
import { parseCidr, parseIpv4 } from '../../wire/addr.js';
import type { PrintedServiceAddresses } from './check-cluster.js';
import { kindOf } from '../load/documents.js';
import { ignoredKind, ignoredWarning, NEUTRAL_KINDS, type IgnoredKind } from './ignored-kinds.js';
import { suggest, type At, type YamlReader } from '../load/yaml-reader.js';
import { readNodeObject, type NodeObject } from './check-node.js';
import { isClusterConfigMap } from './printed-config.js';
import { matchPrintedPods, readControllerRef, type OwnerRef, type WorkloadObject } from './printed-pods.js';

const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const OBJECT = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
/** Kinds podwalk models, with the apiVersion kubectl expects and their top-level fields. */
const MODELLED: Record<string, { api: string; top: string[] }> = {
  Namespace: { api: 'v1', top: OBJECT },
  Pod: { api: 'v1', top: OBJECT },
  Service: { api: 'v1', top: OBJECT },
  Endpoints: { api: 'v1', top: ['apiVersion', 'kind', 'metadata', 'subsets'] },
  EndpointSlice: { api: 'discovery.k8s.io/v1', top: ['apiVersion', 'kind', 'metadata', 'addressType', 'endpoints', 'ports'] },
  Deployment: { api: 'apps/v1', top: OBJECT },
  ReplicaSet: { api: 'apps/v1', top: OBJECT },
  StatefulSet: { api: 'apps/v1', top: OBJECT },
  DaemonSet: { api: 'apps/v1', top: OBJECT },
  // status: printed as {} by 1.24-1.27 API servers, whose NetworkPolicy had one (conditions; never set by in-tree code).
  NetworkPolicy: { api: 'networking.k8s.io/v1', top: OBJECT },
  Node: { api: 'v1', top: OBJECT },
  Ingress: { api: 'networking.k8s.io/v1', top: OBJECT },
  IngressClass: { api: 'networking.k8s.io/v1', top: ['apiVersion', 'kind', 'metadata', 'spec'] },
};
const META = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export interface Resources {
  namespaces: NamespaceSpec[];
  /** Declared pods, then Deployment/ReplicaSet pods, then the built-in coredns pods. */
  pods: PodSpec[];
  /** The templates of Deployments and ReplicaSets at `replicas: 0` (what a scale step makes pods from). */
  podTemplates: PodTemplateSpec[];
  /** Pods no node could take (namespace/name -> the scheduler's FailedScheduling message): not run. */
  pending: Map<string, string>;
  /** Printed pods that have finished (namespace/name -> status.phase, Succeeded or Failed): not run. */
  finished: Map<string, string>;
  /** Declared Services, then the built-in kube-dns. */
  services: ServiceSpec[];
  /** Hand-written (and mirrored) slices, then the controller's. */
  endpointSlices: EndpointSliceSpec[];
  networkPolicies: NetworkPolicySpec[];
  ingresses: IngressSpec[];
  ingressClasses: IngressClassSpec[];
  ignored: IgnoredResource[];
}

/** Where built-in objects are blamed and positioned: the scenario's `cluster:` mapping. */
export interface BuiltinSource {
  r: YamlReader;
  at: At;
}

/**
 * Read every Kubernetes object (inline and included), then do what the
 * control plane would: add the cluster DNS, schedule pods and assign their
 * IPs, allocate Service addresses, and derive EndpointSlices from selectors.
 */
export function checkResources(docs: { r: YamlReader; at: At }[], cluster: ClusterSpec | undefined, builtin?: BuiltinSource): Resources {
  const namespaces: NamespaceSpec[] = BUILTIN_NAMESPACES.map((name) => ({ name, labels: { 'kubernetes.io/metadata.name': name } }));
  let declared: RawPod[] = [];
  const printedRefs: { pod: RawPod; ref?: OwnerRef }[] = [];
  const workloads: WorkloadObject[] = [];
  const services: RawService[] = [];
  const slices: RawSlice[] = [];
  const networkPolicies: NetworkPolicySpec[] = [];
  let ingresses: IngressSpec[] = [];
  const ingressClasses: IngressClassSpec[] = [];
  const classAt = new Map<string, { r: YamlReader; at: At }>();
  const ingressAt = new Map<string, { r: YamlReader; at: At; top: Map<string, At> }>();
  const ignored: IgnoredResource[] = [];
  const seen = new Set<string>();
  const namespaced: { r: YamlReader; at: At; nsAt: At | undefined; namespace: string; printed: boolean }[] = [];
  const dns = cluster?.dns === true;
  const finished: { r: YamlReader; at: At; key: string; phase: string }[] = [];
  const ignoredKinds = new Map<string, { r: YamlReader; at: At; kind: string; apiVersion: string; n: number; how: IgnoredKind }>();

  for (const { r, at } of docs) {
    // Nodes were read before the cluster (readNodeObjects): they decide it.
    if (kindOf(at) === 'Node') continue;
    const head = readHeader(r, at);
    if (!head) continue;
    const { kind, top, meta, name, nameAt } = head;
    const modelled = MODELLED[kind];
    // kube-proxy's and flannel's ConfigMaps are read before the cluster (readPrintedConfig): not ignored.
    if (kind === 'ConfigMap' && head.apiVersion === 'v1' && isClusterConfigMap(r.str(meta?.get('namespace')) ?? 'default', name)) continue;
    if (!modelled) {
      ignored.push({ kind, name, pos: r.pos(at) });
      const seenKind = ignoredKinds.get(`${head.apiVersion} ${kind}`);
      if (seenKind) seenKind.n++;
      else ignoredKinds.set(`${head.apiVersion} ${kind}`, { r, at: top.get('kind')!, kind, apiVersion: head.apiVersion, n: 1, how: head.ignore });
      continue;
    }
    const labels = labelMap(r, meta?.get('labels'));
    if (kind === 'Namespace') {
      const builtinNs = namespaces.find((n) => n.name === name && !n.pos);
      // kubectl get ns prints the built-in namespaces too: they are the same namespaces (with the labels given).
      if (builtinNs) Object.assign(builtinNs, { labels: { ...labels, 'kubernetes.io/metadata.name': name }, pos: r.pos(at) });
      else if (namespaces.some((n) => n.name === name)) r.problem(nameAt, `duplicate Namespace ${name}`);
      else namespaces.push({ name, labels: { ...labels, 'kubernetes.io/metadata.name': name }, pos: r.pos(at) });
      continue;
    }
    if (kind === 'IngressClass') {
      // Cluster-scoped, like a Namespace.
      if (ingressClasses.some((c) => c.name === name)) r.problem(nameAt, `duplicate IngressClass ${name}`);
      else {
        const c = readIngressClass(r, top, at, meta, name);
        if (c) ingressClasses.push(c);
        classAt.set(name, { r, at });
      }
      continue;
    }
    const nsAt = meta?.get('namespace');
    const namespace = r.str(nsAt) ?? 'default';
    const key = `${kind} ${namespace}/${name}`;
    if (seen.has(key)) {
      r.problem(nameAt, `duplicate ${kind} ${namespace}/${name}`);
      continue;
    }
    seen.add(key);
    namespaced.push({ r, at, nsAt, namespace, printed: printedByApiServer(r, meta) });
    if (dns && namespace === DNS_NAMESPACE && ((kind === 'Service' && name === DNS_SERVICE) || (kind === 'Deployment' && name === DNS_DEPLOYMENT))) {
      // Printed by a real API server (it has a uid): the cluster's own DNS, which the built-in one stands for.
      if (meta?.get('uid')) r.warn(nameAt, `${kind} ${namespace}/${name} is replaced by podwalk's built-in cluster DNS (coredns, kube-dns at the 10th service address); set cluster.dns: false to use this one`);
      else r.problem(nameAt, `${kind} ${namespace}/${name} is built in (cluster DNS); set cluster.dns: false to declare your own`);
      // Its ReplicaSets and printed pods go with it (printed-pods.ts).
      if (kind === 'Deployment') workloads.push({ kind, namespace, name, ...uidOf(r, meta), replicas: 0, pods: [], replaced: true, r, at });
      continue;
    }
    if (kind === 'Pod') {
      const phase = podPhase(r, top.get('status'));
      if (phase?.value === 'Succeeded' || phase?.value === 'Failed') {
        finished.push({ r, at: phase.at, key: `${namespace}/${name}`, phase: phase.value });
        continue;
      }
      const terminating = meta?.get('deletionTimestamp') !== undefined && r.str(meta.get('deletionTimestamp')) !== undefined;
      const pod = readPod({ r, at, annotations: stringMap(r, meta?.get('annotations')), specAt: top.get('spec') ?? { node: undefined, path: `${at.path}.spec`, near: r.pos(at) }, statusAt: top.get('status') ?? { node: undefined, path: `${at.path}.status`, near: r.pos(at) }, namespace, name, labels, terminating });
      if (pod) {
        declared.push(pod);
        printedRefs.push({ pod, ref: readControllerRef(r, meta) });
      }
    } else if (kind === 'Service') {
      const svc = readService(r, top, at, namespace, name, labels);
      if (svc) services.push(svc);
    } else if (kind === 'EndpointSlice') {
      const slice = readEndpointSlice(r, top, at, meta, namespace, name);
      if (slice) slices.push(slice);
    } else if (kind === 'NetworkPolicy') {
      const np = readNetworkPolicy(r, top, at, namespace, name);
      if (np) networkPolicies.push(np);
    } else if (kind === 'Ingress') {
      const ing = readIngress(r, top, at, meta, namespace, name);
      if (ing) {
        ingresses.push(ing);
        ingressAt.set(`${namespace}/${name}`, { r, at, top });
      }
    } else if (kind === 'Endpoints') {
      slices.push(...readEndpoints(r, top, at, nameAt, namespace, name));
    } else {
      const { pods, template } = readWorkload(r, kind as Workload, top, at, namespace, name);
      const controller = readControllerRef(r, meta);
      const annotations = stringMap(r, meta?.get('annotations'));
      const revision = Number(annotations['deployment.kubernetes.io/revision']);
      workloads.push({
        kind: kind as Workload,
        namespace,
        name,
        ...uidOf(r, meta),
        ...(controller ? { controller } : {}),
        ...(Number.isInteger(revision) ? { revision } : {}),
        ...(labels['pod-template-hash'] ? { templateHash: labels['pod-template-hash'] } : {}),
        replicas: pods.length,
        pods,
        ...(template ? { template } : {}),
        r,
        at,
      });
    }
  }
  // One warning per kind: `kubectl get -A` prints hundreds of Secrets and RoleBindings.
  for (const k of ignoredKinds.values()) k.r.warn(k.at, ignoredWarning(k.kind, k.apiVersion, k.n, k.how));
  // A dual-stack cluster prints many dual-stack Services: one warning for all.
  const dual = services.filter((s) => s.dualStackAt);
  if (dual.length > 0) {
    const names = dual.slice(0, 3).map((s) => `${s.spec.namespace}/${s.spec.name}`).join(', ');
    dual[0]!.r.warn(dual[0]!.dualStackAt!, `${dual.length} dual-stack Service${dual.length > 1 ? 's' : ''} (${names}${dual.length > 3 ? ', ...' : ''}): podwalk models ${dual.length > 1 ? 'their' : 'its'} IPv4 family only (cluster IP, endpoints, node ports on IPv4 addresses); IPv6 is not modelled`);
  }
  if (finished.length > 0) {
    const first = finished[0]!;
    const n = finished.length;
    first.r.warn(first.at, `${n} printed pod${n > 1 ? 's have' : ' has'} finished (status.phase Succeeded or Failed: completed Job pods, evicted pods; first ${first.key}): skipped, as kubelet keeps no sandbox for ${n > 1 ? 'them' : 'it'} and the EndpointSlice controller leaves ${n > 1 ? 'them' : 'it'} out`);
  }
  // Pods kubectl printed for a workload in the input are its replicas (printed-pods.ts).
  const matched = matchPrintedPods(workloads, printedRefs);
  declared = declared.filter((p) => !matched.dropped.has(p));
  const owned = matched.owned;

  // Namespaces may be declared after the objects that use them, as with kubectl apply -f dir/.
  namespaces.push(...missingNamespaces(namespaced, new Set(namespaces.map((n) => n.name))));
  ingresses = admitIngresses(ingresses, ingressClasses, (c, message) => {
    const where = classAt.get(c.name)!;
    where.r.warn(where.at, message);
  });
  if (!cluster) return { namespaces, pods: [], podTemplates: [], pending: new Map(), finished: finishedMap(finished), services: [], endpointSlices: [], networkPolicies, ingresses, ingressClasses, ignored };

  const dnsObjects = dns && builtin ? builtinDns(builtin.r, builtin.at, cluster) : undefined;
  // The API server and its default/kubernetes Service, unless the scenario turns them off. A printed Service
  // (`kubectl get svc -A`) is used as printed; its endpoints are the API servers' own, whatever was printed.
  const printedKubernetes = services.find((x) => x.spec.namespace === APISERVER_NAMESPACE && x.spec.name === APISERVER_SERVICE);
  const api = cluster.kubernetesService && builtin ? builtinApiServer(builtin.r, builtin.at, cluster, apiServerPlacement(declared, printedKubernetes, cluster)) : undefined;
  if (api) replaceApiServerSlices(slices, api.slice);
  // A printed kube-apiserver static pod is the API server itself.
  const apiPods = (api?.pods ?? []).filter((p) => !declared.some((d) => d.namespace === p.namespace && d.name === p.name));
  // Declared pods first, then Deployment pods, then the API server's static pod, then coredns: adding any never moves a declared pod.
  const raws = [...declared, ...owned.flatMap((p) => (p.perNode ? daemonSetPods(p, cluster.nodes) : [p])), ...apiPods, ...(dnsObjects?.pods ?? [])];
  const names = new Set<string>();
  const unique = raws.filter((p) => {
    const k = `${p.namespace}/${p.name}`;
    if (names.has(k)) {
      p.r.problem(p.at, `duplicate Pod ${k}${p.owner ? ` (made by ${p.owner.kind} ${p.owner.name})` : ''}`);
      return false;
    }
    names.add(k);
    return true;
  });
  const pending = new Map<string, string>();
  const pods = placePods(unique, cluster, new Map(namespaces.map((n) => [n.name, n.labels])), pending);
  warnResolvConfLimits(unique, cluster);
  const svcs = assignServiceAddresses([...(api && !printedKubernetes ? [api.service] : []), ...(dnsObjects ? [dnsObjects.service] : []), ...services], cluster);
  const ordered = [...svcs.filter((s) => !s.builtin), ...svcs.filter((s) => s.builtin)];
  const endpointSlices = [...resolveSlices(slices, ordered, cluster), ...derivedSlices(ordered, services, pods, nodeZones(cluster.nodes)), ...(api ? [api.slice] : [])];
  for (const ing of ingresses) {
    const where = ingressAt.get(`${ing.namespace}/${ing.name}`)!;
    for (const w of ingressWarnings(ing, ordered, ingressClasses, pods)) where.r.warn(ingressWarningAt(where.r, where.top, where.at, w.field), w.message);
  }
  return { namespaces, pods, podTemplates: matched.templates.map(podTemplateSpec), pending, finished: finishedMap(finished), services: ordered, endpointSlices, networkPolicies, ingresses, ingressClasses, ignored };
}

const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

/** A printed Pod's `status.phase` (problems about the rest of status are readPod's). */
function podPhase(r: YamlReader, statusAt: At | undefined): { value: string; at: At } | undefined {
  if (!statusAt || !isMap(statusAt.node)) return undefined;
  const at = r.map(statusAt, null)?.get('phase');
  const value = r.oneOf(at, POD_PHASES);
  return value === undefined ? undefined : { value, at: at! };
}

/** What every object has: kind and apiVersion (checked against the kinds podwalk reads), metadata and a name. */
export function readHeader(r: YamlReader, at: At): { kind: string; apiVersion: string; ignore?: IgnoredKind; top: Map<string, At>; meta: Map<string, At> | undefined; name: string; nameAt: At } | undefined {
  const top = r.map(at, null);
  if (!top) return undefined;
  const kind = r.str(top.get('kind') ?? r.missing(at, 'kind'), true);
  const apiVersion = r.str(top.get('apiVersion') ?? r.missing(at, 'apiVersion'), true);
  if (kind === undefined || apiVersion === undefined) return undefined;
  const expectedApi = MODELLED[kind]?.api;
  if (kind === 'Scenario') {
    r.problem(top.get('kind')!, 'a Scenario cannot be a resource or an included file: resources:, include: and podwalk init take Kubernetes manifests (a scenario file holds one Scenario document)');
    return undefined;
  }
  const ignore = expectedApi === undefined ? ignoredKind(kind, apiVersion) : undefined;
  if (ignore?.kind === 'wrong-group') {
    r.problem(top.get('apiVersion')!, `expected apiVersion ${ignore.group ? `${ignore.group}/<version>` : 'v1'} for ${kind}, found ${apiVersion}`);
    return undefined;
  }
  if (expectedApi === undefined && ignore === undefined) {
    const hint = suggest(kind, [...Object.keys(MODELLED), ...NEUTRAL_KINDS]);
    r.problem(top.get('kind')!, `unknown kind ${kind} in apiVersion ${apiVersion}${hint ? ` (did you mean ${hint}?)` : ''}; podwalk models ${Object.keys(MODELLED).join(', ')}, and ignores built-in kinds that do not change how packets go and custom resources`);
    return undefined;
  }
  if (expectedApi !== undefined && apiVersion !== expectedApi) {
    r.problem(top.get('apiVersion')!, `expected apiVersion ${expectedApi} for ${kind}, found ${apiVersion}`);
    return undefined;
  }
  const modelled = MODELLED[kind];
  const meta = r.map(top.get('metadata') ?? { node: undefined, path: `${at.path}.metadata`, near: r.pos(at) }, modelled ? META : null);
  const nameAt = meta?.get('name') ?? { node: undefined, path: `${at.path}.metadata.name`, near: r.pos(at) };
  const name = r.str(nameAt, true);
  if (name === undefined) return undefined;
  if (!DNS_SUBDOMAIN.test(name)) r.problem(nameAt, `expected a DNS-1123 name (lowercase letters, digits, '-', '.'), found "${name}"`);
  if (modelled) for (const key of top.keys()) if (!modelled.top.includes(key)) r.problem(top.get(key)!, `unknown field ${key}`);
  return { kind, apiVersion, ...(ignore ? { ignore } : {}), top, meta, name, nameAt };
}

/** The `kind: Node` objects among the resources (cluster-scoped: no namespace). Read before the cluster, which they define. */
export function readNodeObjects(docs: { r: YamlReader; at: At }[]): NodeObject[] {
  const out: NodeObject[] = [];
  for (const { r, at } of docs) {
    if (kindOf(at) !== 'Node') continue;
    const head = readHeader(r, at);
    if (!head) continue;
    if (head.meta?.get('namespace')) r.warn(head.meta.get('namespace')!, 'Nodes are cluster-scoped: metadata.namespace is ignored');
    const annotations = head.meta?.get('annotations') ? r.map(head.meta.get('annotations')!, null) : undefined;
    const node = readNodeObject(r, head.top, at, head.name, stringMap(r, head.meta?.get('labels')), annotations ?? new Map());
    if (node) out.push(node);
  }
  return out;
}

/**
 * Where the API servers are: the nodes of the printed kube-apiserver static
 * pods (hostNetwork, in kube-system), on their `--secure-port`; without
 * any, the control-plane nodes, on the printed Service's target port (the
 * API server writes its secure port there) or 6443.
 */
function apiServerPlacement(declared: RawPod[], printed: RawService | undefined, cluster: ClusterSpec): ApiServerPlacement {
  const running = declared.filter((p) => p.apiServerPort !== undefined && p.hostNetwork && p.namespace === 'kube-system' && p.nodeName !== undefined);
  const nodes = cluster.nodes.filter((n) => running.some((p) => p.nodeName === n.name));
  if (nodes.length > 0) return { nodes, port: running[0]!.apiServerPort! };
  const target = printed?.spec.ports.find((p) => p.name === 'https')?.targetPort ?? printed?.spec.ports[0]?.targetPort;
  return { nodes: controlPlaneNodes(cluster), port: typeof target === 'number' ? target : APISERVER_PORT };
}

/**
 * kube-apiserver's endpoint reconciler writes the kubernetes Service's
 * endpoints (Endpoints and EndpointSlice `kubernetes`) itself: printed ones
 * give way to what the API servers here advertise, with a warning when
 * they said something else (another cluster's, or a managed control plane
 * outside the nodes).
 */
function replaceApiServerSlices(slices: RawSlice[], own: EndpointSliceSpec): void {
  const key = (s: EndpointSliceSpec): string => `${s.endpoints.map((e) => e.ip).sort().join(',')} ${s.ports.map((p) => p.port).join(',')}`;
  for (let i = slices.length - 1; i >= 0; i--) {
    const raw = slices[i]!;
    if (raw.spec.namespace !== APISERVER_NAMESPACE || raw.spec.serviceName !== APISERVER_SERVICE) continue;
    slices.splice(i, 1);
    if (key(raw.spec) === key(own)) continue;
    const was = raw.spec.endpoints.map((e) => `${e.ip}:${raw.spec.ports[0]?.port ?? '?'}`).join(', ') || 'none';
    const now = own.endpoints.map((e) => `${e.ip}:${own.ports[0]!.port}`).join(', ');
    raw.r.warn(raw.serviceAt, `${raw.mirrored ? 'Endpoints' : 'EndpointSlice'} ${raw.spec.namespace}/${raw.mirrored ? raw.spec.serviceName : raw.spec.name} replaced: kube-apiserver keeps the kubernetes Service's endpoints itself; here it listens at ${now} (printed: ${was})`);
  }
}

/**
 * The cluster IPs of Services printed by an API server (they carry a
 * `metadata.uid`), read before the cluster is checked: they tell its
 * service CIDR. Hand-written Services do not widen it; problems are the
 * Service check's, later.
 */
export function printedServiceAddresses(docs: { at: At }[]): PrintedServiceAddresses {
  const out: PrintedServiceAddresses = { clusterIPs: [] };
  const get = (n: unknown, k: string): unknown => (isMap(n) ? n.get(k, true) : undefined);
  const text = (n: unknown): string | undefined => (isScalar(n) && typeof n.value === 'string' ? n.value : undefined);
  for (const { at } of docs) {
    const kind = kindOf(at);
    if (kind === 'Pod') {
      // A printed kube-apiserver names the range itself.
      const flag = apiServerServiceRange(get(get(at.node, 'spec'), 'containers'));
      if (flag) out.apiServerRange = flag;
      continue;
    }
    if (kind !== 'Service') continue;
    const meta = get(at.node, 'metadata');
    if (text(get(meta, 'uid')) === undefined) continue;
    const ip = parseIpv4(text(get(get(at.node, 'spec'), 'clusterIP')) ?? '');
    if (ip === undefined) continue;
    out.clusterIPs.push(ip);
    if (text(get(meta, 'name')) === APISERVER_SERVICE && (text(get(meta, 'namespace')) ?? 'default') === APISERVER_NAMESPACE) out.kubernetes = ip;
  }
  return out;
}

/** `--service-cluster-ip-range` of a container running kube-apiserver (its first, IPv4 range). */
function apiServerServiceRange(containers: unknown): string | undefined {
  if (!isSeq(containers)) return undefined;
  for (const c of containers.items) {
    if (!isMap(c)) continue;
    const words = ['command', 'args'].flatMap((k) => {
      const l = c.get(k, true);
      return isSeq(l) ? l.items.map((w) => (isScalar(w) && typeof w.value === 'string' ? w.value : '')) : [];
    });
    if (!words.some((w) => w === 'kube-apiserver' || w.endsWith('/kube-apiserver'))) continue;
    for (const w of words) {
      const m = /^--?service-cluster-ip-range=(.*)$/.exec(w);
      const range = m?.[1]!.split(',').find((x) => parseCidr(x) !== undefined);
      if (range) return range;
    }
  }
  return undefined;
}

function finishedMap(list: { key: string; phase: string }[]): Map<string, string> {
  return new Map(list.map((f) => [f.key, f.phase]));
}

/**
 * Whether an API server printed this object (`kubectl get -o yaml`): it has a
 * uid, a resourceVersion or a creationTimestamp (a client-side dry run prints
 * `creationTimestamp: null`). Its namespace exists, printed or not.
 */
function printedByApiServer(r: YamlReader, meta: Map<string, At> | undefined): boolean {
  return ['uid', 'resourceVersion', 'creationTimestamp'].some((k) => r.str(meta?.get(k)) !== undefined);
}

/**
 * The namespaces objects use but no Namespace declares. One an API server's
 * printed objects are in exists (`kubectl get pods,svc -A` without `ns`): it is
 * assumed, with its one automatic label, and one warning for all of them. One
 * only hand-written manifests use is an error, once per namespace (a dump has
 * hundreds of objects in each).
 */
function missingNamespaces(objects: readonly { r: YamlReader; at: At; nsAt: At | undefined; namespace: string; printed: boolean }[], known: ReadonlySet<string>): NamespaceSpec[] {
  const byNs = new Map<string, (typeof objects)[number][]>();
  for (const o of objects) {
    if (known.has(o.namespace)) continue;
    const list = byNs.get(o.namespace);
    if (list) list.push(o);
    else byNs.set(o.namespace, [o]);
  }
  const assumed: NamespaceSpec[] = [];
  let printed = 0;
  for (const [name, list] of byNs) {
    const proof = list.find((o) => o.printed);
    if (proof) {
      assumed.push({ name, labels: { 'kubernetes.io/metadata.name': name }, pos: proof.r.pos(proof.at) });
      printed += list.filter((o) => o.printed).length;
      continue;
    }
    const first = list[0]!;
    const more = list.length > 1 ? `; ${list.length} objects are in it, the first here` : '';
    first.r.problem(first.nsAt ?? first.at, `namespace ${name} not found (declare a Namespace)${more}`);
  }
  if (assumed.length > 0) {
    const first = byNs.get(assumed[0]!.name)!.find((o) => o.printed)!;
    const names = assumed.map((n) => n.name);
    const shown = names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ');
    const one = names.length === 1;
    first.r.warn(
      first.nsAt ?? first.at,
      `namespace${one ? '' : 's'} ${shown} assumed: ${printed} object${printed === 1 ? '' : 's'} an API server printed (metadata.uid, resourceVersion) ${printed === 1 ? 'is' : 'are'} in ${one ? 'it' : 'them'}, and no Namespace was given; ${one ? 'it has' : 'they have'} only the kubernetes.io/metadata.name label. Add \`ns\` to \`kubectl get\` for ${one ? 'its' : 'their'} labels (namespaceSelectors read them)`,
    );
  }
  return assumed;
}

function uidOf(r: YamlReader, meta: Map<string, At> | undefined): { uid?: string } {
  const uid = r.str(meta?.get('uid'));
  return uid ? { uid } : {};
}

/** The EndpointSlice controller's slices; a selector that selects no pod is worth a warning (not an error: pods may come later). */
function derivedSlices(services: ServiceSpec[], raws: RawService[], pods: PodSpec[], zones: ReadonlyMap<string, string>): EndpointSliceSpec[] {
  const out: EndpointSliceSpec[] = [];
  // One controller pass over every Service (it indexes pods by label once), then each Service's share.
  const all = new Map<string, EndpointSliceInput[]>();
  for (const s of deriveEndpointSlices(services, pods, zones)) {
    const k = `${s.namespace}/${s.serviceName}`;
    const list = all.get(k);
    if (list) list.push(s);
    else all.set(k, [s]);
  }
  const rawOf = new Map(raws.map((x) => [x.spec, x]));
  // By name: the selected pods are read from the slices' endpoints, not by matching every pod (10,000 Services × 150,000 pods).
  const podByRef = new Map(pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  for (const svc of services) {
    const mine = (all.get(`${svc.namespace}/${svc.name}`) ?? []).map((s) => ({ ...s, derived: true, pos: svc.pos }));
    const raw = rawOf.get(svc);
    if (raw?.selectorAt && mine.every((s) => s.endpoints.length === 0)) {
      const sel = Object.entries(svc.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
      raw.r.warn(raw.selectorAt, `selector ${sel} matches no pod in namespace ${svc.namespace}: Service ${svc.namespace}/${svc.name} has no endpoints`);
    } else if (raw) warnUndeclaredTargetPorts(svc, raw, [...new Set(mine.flatMap((s) => s.endpoints.flatMap((e) => (e.targetRef ? [podByRef.get(e.targetRef)!].filter((p) => p && !p.builtin) : []))))]);
    for (const slice of mine) out.push(slice);
  }
  return out;
}

/**
 * A numeric targetPort none of the selected pods declares. Kubernetes does not need a containerPort to be
 * declared (it is informational: the process listens where it listens), but a pod here listens only on the
 * ports it declares, so every connection to this one is reset: said once per Service port, as a bring-your-own
 * cluster whose manifests leave ports out would otherwise read as a cluster that refuses its own Services.
 */
function warnUndeclaredTargetPorts(svc: ServiceSpec, raw: RawService, selected: PodSpec[]): void {
  if (!svc.selector || !raw.selectorAt) return;
  if (selected.length === 0) return;
  for (const port of svc.ports) {
    if (typeof port.targetPort !== 'number') continue;
    const target = port.targetPort;
    if (selected.some((p) => p.ports.some((c) => c.containerPort === target && c.protocol === port.protocol))) continue;
    const names = selected.slice(0, 2).map((p) => p.name).join(', ');
    raw.r.warn(
      raw.selectorAt,
      `Service ${svc.namespace}/${svc.name} port ${port.name || port.port}: no pod it selects (${names}${selected.length > 2 ? ', ...' : ''}) declares containerPort ${target}/${port.protocol}; a pod here listens only on its declared ports, so connections to it are reset (on a real cluster the app may listen without declaring it: add the containerPort to walk that)`,
    );
  }
}
