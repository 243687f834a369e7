import { parseCidr, parseIpv4 } from '../../wire/addr.js';
import type { EndpointSliceInput, ServiceInput } from '../spec.js';
import type { ProxierConfig } from './config.js';
import { planProxyRules } from './iptables/iptables-proxier.js';
import { isProxied } from './service-port.js';

/**
 * What kube-proxy (IPv4, iptables mode) would skip, ignore or turn into a
 * REJECT/DROP for these inputs, as human-readable warnings. Never throws: the
 * rules are still written for everything that is usable, as kube-proxy does.
 */
export function validateProxyInput(cfg: ProxierConfig, services: readonly ServiceInput[], slices: readonly EndpointSliceInput[]): string[] {
  const out: string[] = [];
  if (cfg.clusterCIDR.trim() !== '' && parseCidr(cfg.clusterCIDR.trim()) === undefined) {
    out.push(`clusterCIDR "${cfg.clusterCIDR}" is not an IPv4 CIDR: the rules would use it verbatim and iptables-restore would fail`);
  }
  const known = new Map<string, ServiceInput>();
  for (const svc of services) {
    const id = `${svc.namespace}/${svc.name}`;
    if (known.has(id)) {
      out.push(`service ${id}: listed twice, the first one is used`);
      continue;
    }
    known.set(id, svc);
    if (svc.type === 'ExternalName') {
      out.push(`service ${id}: ExternalName, not proxied`);
      continue;
    }
    if (!isProxied(svc)) {
      out.push(`service ${id}: headless (no cluster IP), not proxied`);
      continue;
    }
    if (parseIpv4(svc.clusterIP ?? '') === undefined) {
      out.push(`service ${id}: cluster IP ${svc.clusterIP} is not IPv4, not proxied by the IPv4 proxier`);
      continue;
    }
    for (const ip of svc.externalIPs) if (parseIpv4(ip.trim()) === undefined) out.push(`service ${id}: external IP ${ip} is not IPv4, ignored`);
    for (const ip of svc.loadBalancerIPs) if (parseIpv4(ip.trim()) === undefined) out.push(`service ${id}: load balancer IP ${ip} is not IPv4, ignored`);
    for (const r of svc.loadBalancerSourceRanges) {
      if (r.trim() !== '' && parseCidr(r.trim()) === undefined) out.push(`service ${id}: loadBalancerSourceRanges entry "${r}" is not an IPv4 CIDR, ignored`);
    }
    if (svc.type === 'LoadBalancer' && svc.externalTrafficPolicy === 'Local' && !svc.healthCheckNodePort) {
      out.push(`service ${id}: externalTrafficPolicy Local without a healthCheckNodePort, no health check rule`);
    }
  }

  for (const slice of slices) {
    const id = `${slice.namespace}/${slice.name}`;
    const svc = known.get(`${slice.namespace}/${slice.serviceName}`);
    if (svc === undefined) out.push(`endpointslice ${id}: service ${slice.namespace}/${slice.serviceName} does not exist, ignored`);
    for (const p of slice.ports) {
      if (p.port === 0) out.push(`endpointslice ${id}: port "${p.name}" has port 0, ignored`);
      else if (svc !== undefined && !svc.ports.some((sp) => sp.name === p.name && sp.protocol === p.protocol)) {
        out.push(`endpointslice ${id}: port "${p.name}"/${p.protocol} matches no port of the service, ignored`);
      }
    }
    const seen = new Set<string>();
    for (const ep of slice.endpoints) {
      if (parseIpv4(ep.ip) === undefined) out.push(`endpointslice ${id}: endpoint ${ep.ip} is not IPv4, ignored`);
      else if (seen.has(ep.ip)) out.push(`endpointslice ${id}: endpoint ${ep.ip} listed twice`);
      seen.add(ep.ip);
    }
  }

  for (const p of planProxyRules(cfg, services, slices).ports) {
    const sp = p.info.nameString;
    const proto = p.info.protocol;
    if (!p.categorized.hasAny) {
      const why = p.endpoints.length === 0 ? 'no endpoints' : 'no ready or serving-terminating endpoints';
      out.push(`service port ${sp}/${proto}: ${why}, traffic is rejected (filter KUBE-SERVICES / KUBE-EXTERNAL-SERVICES)`);
      continue;
    }
    const usingTerminating = [...p.categorized.cluster, ...p.categorized.local].some((e) => !e.ready);
    if (usingTerminating) out.push(`service port ${sp}/${proto}: no ready endpoints, falling back to serving terminating ones`);
    if (p.internalChain === undefined) out.push(`service port ${sp}/${proto}: internalTrafficPolicy Local and no local endpoints, cluster IP traffic is dropped`);
    if (p.info.externalPolicyLocal && p.categorized.local.length === 0) {
      out.push(`service port ${sp}/${proto}: externalTrafficPolicy Local and no local endpoints, external traffic from outside the node is dropped`);
    }
  }
  return out;
}
