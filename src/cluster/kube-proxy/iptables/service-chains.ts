import type { EndpointSliceInput, ServiceInput } from '../../spec.js';
import type { ProxierConfig } from '../config.js';
import { planProxyRules } from './iptables-proxier.js';

/** One endpoint of a service port and the chain that DNATs to it. */
export interface EndpointChainEntry {
  /** `"<ip>:<port>"`. */
  endpoint: string;
  /** KUBE-SEP-*; written only if `reachable`. */
  chain: string;
  local: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** Listed in the KUBE-SVC chain (Cluster policy candidates). */
  inClusterChain: boolean;
  /** Listed in the KUBE-SVL chain (Local policy candidates). */
  inLocalChain: boolean;
  /** Has a KUBE-SEP chain on this node. */
  reachable: boolean;
}

/** Which chains kube-proxy wrote for one service port, so a trace can name the candidate endpoints. */
export interface ServiceChainsEntry {
  /** `"<ns>/<svc>:<port>"` or `"<ns>/<svc>"`. */
  servicePort: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  clusterIP: string;
  port: number;
  nodePort: number;
  /** The chain cluster-IP traffic jumps to; absent when it is rejected or dropped in filter KUBE-SERVICES. */
  internalChain?: string;
  /** KUBE-SVC-*, when written. */
  clusterChain?: string;
  /** KUBE-SVL-*, when written. */
  localChain?: string;
  /** KUBE-EXT-*, when written. */
  externalChain?: string;
  /** KUBE-FW-*, when written. */
  firewallChain?: string;
  endpoints: EndpointChainEntry[];
}

/** Per service port (sorted like the rules), the chains written and every known endpoint. */
export function serviceChains(cfg: ProxierConfig, services: readonly ServiceInput[], slices: readonly EndpointSliceInput[]): ServiceChainsEntry[] {
  return planProxyRules(cfg, services, slices).ports.map((p) => {
    const inCluster = new Set(p.clusterChain?.endpoints.map((e) => e.key));
    const inLocal = new Set(p.localChain?.endpoints.map((e) => e.key));
    const reachable = new Set(p.categorized.reachable.map((e) => e.key));
    const entry: ServiceChainsEntry = {
      servicePort: p.info.nameString,
      namespace: p.info.namespace,
      name: p.info.serviceName,
      portName: p.info.portName,
      protocol: p.info.protocol,
      clusterIP: p.info.clusterIP,
      port: p.info.port,
      nodePort: p.info.nodePort,
      endpoints: p.endpoints.map((e) => ({
        endpoint: e.key,
        chain: e.chain,
        local: e.local,
        ready: e.ready,
        serving: e.serving,
        terminating: e.terminating,
        inClusterChain: inCluster.has(e.key),
        inLocalChain: inLocal.has(e.key),
        reachable: reachable.has(e.key),
      })),
    };
    if (p.internalChain !== undefined) entry.internalChain = p.internalChain;
    if (p.clusterChain !== undefined) entry.clusterChain = p.clusterChain.chain;
    if (p.localChain !== undefined) entry.localChain = p.localChain.chain;
    if (p.externalChain !== undefined) entry.externalChain = p.externalChain;
    if (p.firewallChain !== undefined) entry.firewallChain = p.firewallChain;
    return entry;
  });
}

/** What a KUBE-SVC/SVL/EXT/FW/SEP chain belongs to. */
export interface ChainOwner {
  servicePort: string;
  kind: 'cluster' | 'local' | 'external' | 'firewall' | 'endpoint';
  /** For `endpoint` chains: `"<ip>:<port>"`. */
  endpoint?: string;
}

/** Index of every per-service chain by name (e.g. to label a `-j KUBE-SEP-...` in a trace). */
export function chainOwners(entries: readonly ServiceChainsEntry[]): Map<string, ChainOwner> {
  const out = new Map<string, ChainOwner>();
  for (const e of entries) {
    const sp = e.servicePort;
    if (e.clusterChain !== undefined) out.set(e.clusterChain, { servicePort: sp, kind: 'cluster' });
    if (e.localChain !== undefined) out.set(e.localChain, { servicePort: sp, kind: 'local' });
    if (e.externalChain !== undefined) out.set(e.externalChain, { servicePort: sp, kind: 'external' });
    if (e.firewallChain !== undefined) out.set(e.firewallChain, { servicePort: sp, kind: 'firewall' });
    for (const ep of e.endpoints) if (ep.reachable) out.set(ep.chain, { servicePort: sp, kind: 'endpoint', endpoint: ep.endpoint });
  }
  return out;
}
