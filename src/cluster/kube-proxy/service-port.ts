import { formatCidr, formatIpv4, parseCidr, parseIpv4 } from '../../wire/addr.js';
import type { ServiceInput, ServicePortInput } from '../spec.js';
import { servicePortChains, servicePortName, type ServicePortChains } from './chain-names.js';

/**
 * One service port as kube-proxy's IPv4 proxier holds it (upstream's
 * BaseServicePortInfo plus the chain names the iptables proxier precomputes):
 * the API object reduced to what the rules depend on, with addresses of the
 * other family dropped and the traffic-policy questions answered once.
 */
export interface ServicePortInfo {
  namespace: string;
  serviceName: string;
  portName: string;
  /** `"<ns>/<svc>:<port>"` (or `"<ns>/<svc>"`), the text in rule comments. */
  nameString: string;
  protocol: ServicePortInput['protocol'];
  /** Lowercase protocol, as it appears in `-m tcp -p tcp`. */
  proto: string;
  clusterIP: string;
  port: number;
  /** 0 when the port has none (upstream writes no NodePort rule then). */
  nodePort: number;
  externalIPs: string[];
  loadBalancerVIPs: string[];
  /** Normalized `a.b.c.d/n` with host bits cleared, as Go's IPNet prints it. */
  loadBalancerSourceRanges: string[];
  /** Set only for LoadBalancer Services with externalTrafficPolicy Local. */
  healthCheckNodePort: number;
  sessionAffinityClientIP: boolean;
  stickyMaxAgeSeconds: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  chains: ServicePortChains;
}

/** Whether kube-proxy proxies the Service at all (it skips headless and ExternalName ones). */
export function isProxied(svc: ServiceInput): boolean {
  return svc.type !== 'ExternalName' && svc.clusterIP !== undefined && svc.clusterIP !== '' && svc.clusterIP !== 'None';
}

/** The Service type can be reached from outside the cluster (apiservice.ExternallyAccessible). */
function serviceExternallyAccessible(svc: ServiceInput): boolean {
  return svc.type === 'LoadBalancer' || svc.type === 'NodePort' || (svc.type === 'ClusterIP' && svc.externalIPs.length > 0);
}

function ipv4s(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of list) {
    const n = parseIpv4(s.trim());
    if (n !== undefined) out.push(formatIpv4(n));
  }
  return out;
}

function ipv4Cidrs(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of list) {
    const c = parseCidr(s.trim());
    if (c !== undefined) out.push(formatCidr(c));
  }
  return out;
}

/**
 * newBaseServiceInfo's source ranges: the IPv4 ones, none at all when one is
 * zero-masked (`0.0.0.0/0` means "allow any", the same as no ranges: no
 * firewall in any mode, kubernetes#132719, fixed in 1.34; before, ipvs mode's
 * `ipset add` of a /0 net failed on every sync).
 */
function sourceRanges(list: readonly string[]): string[] {
  const cidrs = ipv4Cidrs(list);
  return cidrs.some((c) => c.endsWith('/0')) ? [] : cidrs;
}

/** The IPv4 service port infos of one Service (none if kube-proxy skips it). */
export function servicePortInfos(svc: ServiceInput): ServicePortInfo[] {
  if (!isProxied(svc)) return [];
  const clusterIP = parseIpv4(svc.clusterIP ?? '');
  if (clusterIP === undefined) return [];
  const externalPolicyLocal = serviceExternallyAccessible(svc) && svc.externalTrafficPolicy === 'Local';
  const needsHealthCheck = svc.type === 'LoadBalancer' && externalPolicyLocal;
  return svc.ports.map((p) => {
    const nameString = servicePortName(svc.namespace, svc.name, p.name);
    return {
      namespace: svc.namespace,
      serviceName: svc.name,
      portName: p.name,
      nameString,
      protocol: p.protocol,
      proto: p.protocol.toLowerCase(),
      clusterIP: formatIpv4(clusterIP),
      port: p.port,
      nodePort: p.nodePort ?? 0,
      externalIPs: ipv4s(svc.externalIPs),
      loadBalancerVIPs: ipv4s(svc.loadBalancerIPs),
      loadBalancerSourceRanges: sourceRanges(svc.loadBalancerSourceRanges),
      healthCheckNodePort: needsHealthCheck ? (svc.healthCheckNodePort ?? 0) : 0,
      sessionAffinityClientIP: svc.sessionAffinity === 'ClientIP',
      stickyMaxAgeSeconds: svc.sessionAffinity === 'ClientIP' ? svc.affinityTimeoutSeconds : 0,
      externalPolicyLocal,
      internalPolicyLocal: svc.internalTrafficPolicy === 'Local',
      chains: servicePortChains(nameString, p.protocol),
    };
  });
}

/** Reachable by NodePort, load balancer IP or external IP. */
export function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.loadBalancerVIPs.length > 0 || sp.externalIPs.length > 0;
}

/** Cluster endpoints are needed for internal Cluster policy, and for any external traffic (short-circuiting). */
export function usesClusterEndpoints(sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || externallyAccessible(sp);
}

export function usesLocalEndpoints(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyAccessible(sp));
}

/** Upstream's iteration order is a Go map's; we sort like its tests do: by `<ns>/<svc>`, then port name and protocol. */
export function compareServicePorts(a: ServicePortInfo, b: ServicePortInfo): number {
  const ka = `${a.namespace}/${a.serviceName}`;
  const kb = `${b.namespace}/${b.serviceName}`;
  if (ka !== kb) return ka < kb ? -1 : 1;
  if (a.portName !== b.portName) return a.portName < b.portName ? -1 : 1;
  return a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0;
}
