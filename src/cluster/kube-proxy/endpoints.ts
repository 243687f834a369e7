import { formatIpv4, parseIpv4 } from '../../wire/addr.js';
import type { EndpointSliceInput } from '../spec.js';
import { endpointChain } from './chain-names.js';
import { usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from './service-port.js';

/** One endpoint of one service port, as kube-proxy's endpoints map holds it. */
export interface ProxyEndpoint {
  ip: string;
  port: number;
  /** `"<ip>:<port>"`, the endpoint's identity (Endpoint.String()). */
  key: string;
  /** Runs on this node (the slice's nodeName is the proxier's nodeName). */
  local: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** The KUBE-SEP-* chain that DNATs to it. */
  chain: string;
  /** Its `hints.forZones` (EndpointSlice): the zones whose kube-proxies should send to it; empty = no hint. */
  zoneHints: readonly string[];
}

const NO_HINTS: readonly string[] = [];

/** Slices grouped by `<namespace>/<service>`, each group in the original order. */
export function slicesByService(slices: readonly EndpointSliceInput[]): Map<string, EndpointSliceInput[]> {
  const out = new Map<string, EndpointSliceInput[]>();
  for (const s of slices) {
    const k = `${s.namespace}/${s.serviceName}`;
    const list = out.get(k);
    if (list) list.push(s);
    else out.set(k, [s]);
  }
  return out;
}

/**
 * The endpoints of one service port, gathered from every slice of its Service
 * the way upstream's EndpointSliceCache does: slice ports match the service
 * port by name and protocol, port 0 is ignored, only IPv4 addresses count
 * (this is the IPv4 proxier), the same `ip:port` seen twice keeps the
 * non-terminating copy, and the list is sorted by `ip:port` as a string.
 */
export function endpointsFor(sp: ServicePortInfo, slices: readonly EndpointSliceInput[], nodeName: string): ProxyEndpoint[] {
  const byKey = new Map<string, ProxyEndpoint>();
  for (const slice of slices) {
    if (slice.namespace !== sp.namespace || slice.serviceName !== sp.serviceName) continue;
    for (const port of slice.ports) {
      if (port.name !== sp.portName || port.protocol !== sp.protocol || port.port === 0) continue;
      for (const ep of slice.endpoints) {
        const n = parseIpv4(ep.ip);
        if (n === undefined) continue;
        const ip = formatIpv4(n);
        const key = `${ip}:${port.port}`;
        // A pod IP reused before the old pod object is gone shows up twice: prefer the running one.
        if (byKey.has(key) && ep.terminating) continue;
        byKey.set(key, {
          ip,
          port: port.port,
          key,
          local: nodeName !== '' && ep.nodeName === nodeName,
          ready: ep.ready,
          serving: ep.serving,
          terminating: ep.terminating,
          chain: endpointChain(sp.nameString, sp.protocol, key),
          zoneHints: ep.forZones ?? NO_HINTS,
        });
      }
    }
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The endpoint sets one service port's rules are built from (upstream's CategorizeEndpoints). */
export interface CategorizedEndpoints {
  /** Usable under Cluster policy; empty when the port never uses Cluster policy. */
  cluster: ProxyEndpoint[];
  /** Usable under Local policy (this node's); empty when the port never uses Local policy. */
  local: ProxyEndpoint[];
  /** Every endpoint this node can send to: the union of the two, each gets a KUBE-SEP chain. */
  reachable: ProxyEndpoint[];
  /** The Service has a usable endpoint somewhere in the cluster (even if none is reachable from here). */
  hasAny: boolean;
}

const servingTerminating = (ep: ProxyEndpoint): boolean => ep.serving && ep.terminating;

/**
 * pkg/proxy/topology.go topologyModeFromHints, zones only: use zone hints
 * when every ready endpoint carries one and at least one is for this node's
 * zone; otherwise (an endpoint without a hint, a node without a zone label,
 * no endpoint hinted for this zone) they are ignored and every ready
 * endpoint is used. Node hints (PreferSameNode) are not modelled.
 */
export function usesZoneHints(endpoints: readonly ProxyEndpoint[], zone: string): boolean {
  let all = true;
  let forZone = false;
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    if (ep.zoneHints.length === 0) all = false;
    else if (ep.zoneHints.includes(zone)) forZone = true;
  }
  return all && forZone;
}

/**
 * Ready endpoints by default; if there is none, serving-and-terminating ones,
 * decided separately for Cluster and Local policy, so a draining Service keeps
 * working until its last pod is gone. Under Cluster policy, zone hints
 * (`usesZoneHints`) narrow the ready endpoints to those hinted for `zone`,
 * the node's; the serving-terminating fallback ignores them, as upstream's.
 */
export function categorizeEndpoints(sp: ServicePortInfo, endpoints: readonly ProxyEndpoint[], zone = ''): CategorizedEndpoints {
  let cluster: ProxyEndpoint[] = [];
  let local: ProxyEndpoint[] = [];
  let hasAny = false;
  let topology = false;
  const useCluster = usesClusterEndpoints(sp);
  if (useCluster) {
    topology = usesZoneHints(endpoints, zone);
    cluster = endpoints.filter((ep) => ep.ready && (!topology || ep.zoneHints.includes(zone)));
    if (cluster.length === 0) cluster = endpoints.filter(servingTerminating);
    hasAny = cluster.length > 0;
  }
  if (!usesLocalEndpoints(sp)) return { cluster, local, reachable: cluster, hasAny };

  let localReady = false;
  let localTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAny = true;
      if (ep.local) localReady = true;
    } else if (servingTerminating(ep)) {
      hasAny = true;
      if (ep.local) localTerminating = true;
    }
  }
  let usesTerminating = false;
  if (localReady) {
    local = endpoints.filter((ep) => ep.local && ep.ready);
  } else if (localTerminating) {
    usesTerminating = true;
    local = endpoints.filter((ep) => ep.local && servingTerminating(ep));
  }
  if (!useCluster) return { cluster, local, reachable: local, hasAny };
  // Without topology, ready cluster endpoints include every ready local one.
  if (!topology && !usesTerminating) return { cluster, local, reachable: cluster, hasAny };
  const seen = new Set(cluster.map((ep) => ep.key));
  return { cluster, local, reachable: [...cluster, ...local.filter((ep) => !seen.has(ep.key))], hasAny };
}
