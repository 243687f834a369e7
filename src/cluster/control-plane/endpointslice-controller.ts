import { generatedSuffix } from './generated-names.js';
import type { EndpointInput, EndpointSliceInput, ServiceInput } from '../spec.js';

/** What the controller needs to know about a pod. */
export interface ControllerPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  nodeName: string;
  ip: string;
  ports: { containerPort: number; protocol: 'TCP' | 'UDP' | 'SCTP'; name?: string; bind?: readonly string[] }[];
  /** The pod's Ready condition (status.conditions Ready=False makes it false). */
  ready: boolean;
  /** metadata.deletionTimestamp is set. */
  terminating: boolean;
  /** spec.hostname / spec.subdomain: a pod whose subdomain names the Service gets its hostname on its endpoint. */
  hostname?: string;
  subdomain?: string;
}

export type ControllerService = Pick<ServiceInput, 'namespace' | 'name' | 'type' | 'ports' | 'selector' | 'trafficDistribution'> & {
  publishNotReadyAddresses?: boolean;
};

const NO_ZONES: ReadonlyMap<string, string> = new Map();

/** The topology.kubernetes.io/zone label of each node that has one: the controller copies it into its endpoints' `zone`. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export function nodeZones(nodes: readonly { name: string; labels?: Record<string, string> }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of nodes) {
    const z = n.labels?.[ZONE_LABEL];
    if (z) out.set(n.name, z);
  }
  return out;
}

/**
 * The traffic-distribution heuristic (k8s.io/endpointslice trafficdist,
 * KEP-4444): for `PreferClose` (and its newer name `PreferSameZone`) every
 * ready endpoint gets a hint for its own zone, a ready endpoint without a
 * zone an empty hint (which makes kube-proxy ignore the hints), a not-ready
 * one none. `PreferSameNode` (node hints) is not modelled.
 */
function zoneHintsWanted(svc: ControllerService): boolean {
  return svc.trafficDistribution === 'PreferClose' || svc.trafficDistribution === 'PreferSameZone';
}

/** The controller's default `--max-endpoints-per-slice`. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/**
 * The EndpointSlices kube-controller-manager's EndpointSlice controller would
 * write for the Services that have a selector: one group of slices per
 * distinct set of resolved ports (a pod lacking a named targetPort simply has
 * that port missing, as upstream does), at most 100 endpoints per slice. A
 * selector that matches nothing still gets one empty slice, as upstream keeps
 * a placeholder. ExternalName Services and Services without a selector get
 * nothing here: their slices are written by hand.
 *
 * Slice names are `<service>-<5 chars>` from a hash of namespace/service/index
 * (upstream uses generateName, i.e. random characters).
 */
export function deriveEndpointSlices(services: readonly ControllerService[], pods: readonly ControllerPod[], nodeZones: ReadonlyMap<string, string> = NO_ZONES): EndpointSliceInput[] {
  const out: EndpointSliceInput[] = [];
  const byLabel = labelIndex(pods);
  for (const svc of services) {
    if (svc.type === 'ExternalName' || !svc.selector || Object.keys(svc.selector).length === 0) continue;
    const groups = new Map<string, { ports: EndpointSliceInput['ports']; endpoints: EndpointInput[] }>();
    for (const pod of candidates(byLabel, svc.namespace, svc.selector)) {
      if (pod.namespace !== svc.namespace || pod.ip === '' || !matches(svc.selector, pod.labels)) continue;
      const ports = resolvePorts(svc, pod);
      const key = ports.map((p) => `${p.name}/${p.port}/${p.protocol}`).join(',');
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { ports, endpoints: [] }));
      g.endpoints.push(endpointOf(pod, svc, svc.publishNotReadyAddresses ?? false, nodeZones.get(pod.nodeName)));
    }
    if (groups.size === 0) groups.set('', { ports: [], endpoints: [] });
    let index = 0;
    for (const g of groups.values()) {
      for (let from = 0; from === 0 || from < g.endpoints.length; from += MAX_ENDPOINTS_PER_SLICE) {
        out.push({
          namespace: svc.namespace,
          name: `${svc.name}-${generatedSuffix(`${svc.namespace}/${svc.name}/${index++}`)}`,
          serviceName: svc.name,
          ports: g.ports,
          endpoints: g.endpoints.slice(from, from + MAX_ENDPOINTS_PER_SLICE),
        });
      }
    }
  }
  return out;
}

/** Pods by `namespace/key=value`, in their original order: the informer's label index. */
function labelIndex(pods: readonly ControllerPod[]): Map<string, ControllerPod[]> {
  const index = new Map<string, ControllerPod[]>();
  for (const pod of pods) {
    for (const [k, v] of Object.entries(pod.labels)) {
      const key = `${pod.namespace}/${k}=${v}`;
      let list = index.get(key);
      if (!list) index.set(key, (list = []));
      list.push(pod);
    }
  }
  return index;
}

/**
 * The pods carrying the selector's first label (the rest is checked by
 * `matches`), so that 10,000 Services over 30,000 pods do not test every pod
 * against every selector.
 */
function candidates(index: Map<string, ControllerPod[]>, namespace: string, selector: Record<string, string>): readonly ControllerPod[] {
  const [k, v] = Object.entries(selector)[0]!;
  return index.get(`${namespace}/${k}=${v}`) ?? [];
}

/** Equality-based selector: every key/value of the selector is on the pod. */
export function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Service ports as this pod serves them: named targetPorts looked up by container port name and protocol. */
function resolvePorts(svc: ControllerService, pod: ControllerPod): EndpointSliceInput['ports'] {
  const out: EndpointSliceInput['ports'] = [];
  for (const sp of svc.ports) {
    let port: number | undefined;
    if (typeof sp.targetPort === 'number') port = sp.targetPort;
    else port = pod.ports.find((cp) => cp.name === sp.targetPort && cp.protocol === sp.protocol)?.containerPort;
    if (port !== undefined) out.push({ name: sp.name, port, protocol: sp.protocol });
  }
  return out;
}

/**
 * Conditions as upstream computes them: serving = the pod is Ready;
 * terminating = it has a deletionTimestamp; ready = serving and not
 * terminating, unless the Service publishes not-ready addresses.
 */
function endpointOf(pod: ControllerPod, svc: ControllerService, publishNotReady: boolean, zone: string | undefined): EndpointInput {
  const serving = pod.ready;
  // As upstream's podToEndpoint: the hostname only when the pod's subdomain is this Service.
  const hostname = pod.hostname && pod.subdomain === svc.name ? pod.hostname : undefined;
  const ready = publishNotReady || (serving && !pod.terminating);
  return {
    ip: pod.ip,
    ...(hostname ? { hostname } : {}),
    nodeName: pod.nodeName,
    targetRef: `${pod.namespace}/${pod.name}`,
    ready,
    serving,
    terminating: pod.terminating,
    ...(zone ? { zone } : {}),
    ...(zone && ready && zoneHintsWanted(svc) ? { forZones: [zone] } : {}),
  };
}
