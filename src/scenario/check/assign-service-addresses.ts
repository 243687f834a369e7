import { ClusterIpAllocator, KUBERNETES_SERVICE_WHO, NodePortAllocator } from '../../cluster/control-plane/service-alloc.js';
import { formatIpv4, parseCidr, parseIpv4 } from '../../wire/addr.js';
import type { RawService } from './check-service.js';
import type { ClusterSpec, ServiceSpec } from '../types.js';

/**
 * Give Services their cluster IPs and node ports as kube-apiserver would on
 * create, but deterministically (rules in src/cluster/control-plane/service-alloc.ts).
 * Everything written explicitly is reserved first, in file order, so that an
 * allocated value never steals an address or port a later Service names;
 * then missing values are allocated in file order. `raws` lists the built-in
 * kube-dns first so its fixed address wins and a clash names the culprit.
 * `existing` are Services the API server already holds (Services created by
 * `steps:` are allocated after the scenario's own): their addresses and
 * ports are taken.
 */
export function assignServiceAddresses(raws: RawService[], cluster: ClusterSpec, existing: readonly ServiceSpec[] = []): ServiceSpec[] {
  const cidr = parseCidr(cluster.serviceCIDR)!;
  const ips = new ClusterIpAllocator(cidr);
  const nodePorts = new NodePortAllocator(cluster.serviceNodePortRange);
  const [lo, hi] = cluster.serviceNodePortRange;
  const who = (s: ServiceSpec): string => {
    if (s.namespace === 'default' && s.name === 'kubernetes') return KUBERNETES_SERVICE_WHO; // built in or as kubectl prints it
    return `Service ${s.namespace}/${s.name}${s.builtin ? ' (built-in cluster DNS; set cluster.dns: false to free it)' : ''}`;
  };

  for (const s of existing) {
    if (s.clusterIP !== undefined) ips.reserve(parseIpv4(s.clusterIP)!, who(s));
    for (const p of s.ports) if (p.nodePort !== undefined) nodePorts.reserve(p.nodePort, who(s));
    if (s.healthCheckNodePort !== undefined) nodePorts.reserve(s.healthCheckNodePort, `${who(s)} (healthCheckNodePort)`);
  }

  for (const raw of raws) {
    const s = raw.spec;
    const { r } = raw;
    if (s.clusterIP !== undefined) {
      const res = ips.reserve(parseIpv4(s.clusterIP)!, who(s));
      const at = raw.clusterIPAt ?? raw.at;
      if (res === 'outside') r.problem(at, `clusterIP ${s.clusterIP} is not inside serviceCIDR ${cluster.serviceCIDR} (set cluster.serviceCIDR to the cluster's service range, kube-apiserver's --service-cluster-ip-range)`);
      else if (res === 'network') r.problem(at, `clusterIP ${s.clusterIP} is the network address of serviceCIDR ${cluster.serviceCIDR}`);
      else if (res === 'broadcast') r.problem(at, `clusterIP ${s.clusterIP} is the broadcast address of serviceCIDR ${cluster.serviceCIDR}`);
      else if (res === 'taken') r.problem(at, `clusterIP ${s.clusterIP} is already used by ${ips.holder(parseIpv4(s.clusterIP)!)}`);
    }
    // One Service may give the same node port to its TCP and UDP ports; across Services a port number is taken whatever the protocol.
    const mine = new Set<number>();
    s.ports.forEach((p, i) => {
      if (p.nodePort === undefined || mine.has(p.nodePort)) return;
      mine.add(p.nodePort);
      const res = nodePorts.reserve(p.nodePort, who(s));
      const at = raw.nodePortAts[i] ?? raw.at;
      if (res === 'outside') r.problem(at, `nodePort ${p.nodePort} is outside serviceNodePortRange ${lo}-${hi}`);
      else if (res === 'taken') r.problem(at, `nodePort ${p.nodePort} is already used by ${nodePorts.holder(p.nodePort)}`);
    });
    if (s.healthCheckNodePort !== undefined && raw.healthCheckAt) {
      const res = mine.has(s.healthCheckNodePort) ? 'taken' : nodePorts.reserve(s.healthCheckNodePort, `${who(s)} (healthCheckNodePort)`);
      if (res === 'outside') r.problem(raw.healthCheckAt, `healthCheckNodePort ${s.healthCheckNodePort} is outside serviceNodePortRange ${lo}-${hi}`);
      else if (res === 'taken') r.problem(raw.healthCheckAt, `healthCheckNodePort ${s.healthCheckNodePort} is already used by ${nodePorts.holder(s.healthCheckNodePort) ?? 'a nodePort of this Service'}`);
    }
  }

  for (const raw of raws) {
    const s = raw.spec;
    if (s.clusterIP === undefined && !s.headless && s.type !== 'ExternalName') {
      const a = ips.allocate(who(s));
      if (a === undefined) raw.r.problem(raw.at, `no free cluster IP left in serviceCIDR ${cluster.serviceCIDR}`);
      else s.clusterIP = formatIpv4(a);
    }
    const wantsNodePorts = s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts);
    if (wantsNodePorts) {
      // Ports with the same number (53/UDP and 53/TCP) share one node port, as the API server allocates them.
      const byPort = new Map<number, number>();
      for (const p of s.ports) if (p.nodePort !== undefined && !byPort.has(p.port)) byPort.set(p.port, p.nodePort);
      for (const p of s.ports) {
        if (p.nodePort !== undefined) continue;
        let np = byPort.get(p.port);
        if (np === undefined) {
          np = nodePorts.allocate(who(s));
          if (np === undefined) {
            raw.r.problem(raw.at, `no free node port left in serviceNodePortRange ${lo}-${hi}`);
            break;
          }
          byPort.set(p.port, np);
        }
        p.nodePort = np;
      }
    }
    if (s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local' && s.healthCheckNodePort === undefined) {
      const np = nodePorts.allocate(`${who(s)} (healthCheckNodePort)`);
      if (np === undefined) raw.r.problem(raw.at, `no free node port left in serviceNodePortRange ${lo}-${hi} for the healthCheckNodePort`);
      else s.healthCheckNodePort = np;
    }
  }
  return raws.map((x) => x.spec);
}
