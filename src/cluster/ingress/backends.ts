import { parseIpv4 } from '../../wire/addr.js';
import type { ControlPlaneInput } from '../spec.js';
import { clusterIpPortFor, servicePortFor } from './backend-port.js';
import { externalNamePort, externalNameRefusal } from './external-name.js';
import type { Server } from './routing.js';
import type { IngressBackendInput } from './types.js';

/** One address:port nginx may connect to for a backend. */
export interface Upstream {
  addr: number;
  port: number;
  text: string;
  /** The balancer's node could not be made the peer (an ExternalName that did not resolve): why; addr:port is then the placeholder. */
  unset?: string;
  /** With `unset`: the balancer's node (`name:port`). */
  node?: string;
}

/**
 * What the Lua balancer holds for one backend (ingress-nginx's upstream): the
 * endpoints (or the Service's cluster IP with service-upstream) it balances
 * over; for an ExternalName Service the name and port, which the worker
 * resolves itself (external-name.ts); or why it has none, in which case
 * balancer.rewrite() answers 503.
 */
export type Backend = { upstreams: Upstream[]; upstreamIs: 'endpoint' | 'service' } | { externalName: string; port: number } | { none: string };

/** The name a backend goes by in events and in the balancer's table: `ns/service:port`. */
export function backendName(namespace: string, backend: IngressBackendInput): string {
  return `${namespace}/${backend.service}:${'number' in backend.port ? backend.port.number : backend.port.name}`;
}

/** The balancer's key for a location's backend (a service-upstream location has an upstream of its own). */
export function backendKey(namespace: string, backend: IngressBackendInput, serviceUpstream: boolean): string {
  return `${backendName(namespace, backend)}${serviceUpstream ? ' service-upstream' : ''}`;
}

/** The backend name of a balancer key. */
export function nameOfKey(key: string): string {
  return key.replace(/ service-upstream$/, '');
}

/**
 * The backend as the controller computes it from the Services and
 * EndpointSlices in its informer cache (getBackendServers): the Service's
 * cluster IP with service-upstream, else the ready endpoints of the port; an
 * ExternalName Service (no cluster IP, so service-upstream falls back to
 * its endpoints too) is one endpoint, its name with the port
 * externalNamePorts picks.
 */
export function resolveBackend(cp: ControlPlaneInput, namespace: string, backend: IngressBackendInput, serviceUpstream: boolean): Backend {
  const svc = cp.services.find((x) => x.namespace === namespace && x.name === backend.service);
  if (!svc) return { none: `Service ${namespace}/${backend.service} not found` };
  const clusterPort = serviceUpstream ? clusterIpPortFor(svc, backend.port) : undefined;
  if (clusterPort !== undefined) return { upstreams: [{ addr: parseIpv4(svc.clusterIP!)!, port: clusterPort, text: `${svc.clusterIP}:${clusterPort}` }], upstreamIs: 'service' };
  if (svc.type === 'ExternalName') {
    const name = svc.externalName ?? '';
    const refused = externalNameRefusal(name);
    return refused ? { none: `ExternalName ${name}: ${refused}` } : { externalName: name, port: externalNamePort(svc, backend.port) };
  }
  const sp = servicePortFor(svc.ports, backend.port);
  if (!sp) return { none: `Service ${namespace}/${backend.service} has no such port` };
  const upstreams = readyEndpoints(cp, namespace, backend.service, sp.name);
  return upstreams.length === 0 ? { none: 'the Service has no ready endpoints' } : { upstreams, upstreamIs: 'endpoint' };
}

/**
 * Ready endpoints of the Service port, as getEndpointsFromSlices reads them:
 * an endpoint whose `ready` condition is false is skipped (a terminating
 * pod's, even while it still serves), duplicates once.
 */
function readyEndpoints(cp: ControlPlaneInput, namespace: string, service: string, portName: string): Upstream[] {
  const out: Upstream[] = [];
  for (const slice of cp.endpointSlices) {
    if (slice.namespace !== namespace || slice.serviceName !== service) continue;
    const port = slice.ports.find((p) => p.name === portName && p.protocol === 'TCP');
    if (!port) continue;
    for (const e of slice.endpoints) {
      const text = `${e.ip}:${port.port}`;
      if (e.ready && !out.some((o) => o.text === text)) out.push({ addr: parseIpv4(e.ip)!, port: port.port, text });
    }
  }
  return out;
}

/** Every backend the servers' locations name, resolved against `cp` (the configuration the controller would post to Lua). */
export function backendsFor(servers: readonly Server[], cp: ControlPlaneInput): Map<string, Backend> {
  const out = new Map<string, Backend>();
  for (const s of servers) {
    for (const l of s.locations) {
      if (l.backend.kind !== 'service') continue;
      const key = backendKey(l.backend.namespace, l.backend.backend, l.serviceUpstream);
      if (!out.has(key)) out.set(key, resolveBackend(cp, l.backend.namespace, l.backend.backend, l.serviceUpstream));
    }
  }
  return out;
}

/** Whether two backends differ as the balancer sees them (its nodes: the upstream addresses). */
export function sameBackend(a: Backend | undefined, b: Backend | undefined): boolean {
  return describeBackend(a) === describeBackend(b);
}

/** `10.244.1.2:8080 10.244.2.3:8080`, `db.example.com:5432 (ExternalName)`, or `none (why)`. */
export function describeBackend(b: Backend | undefined): string {
  if (!b) return 'absent';
  if ('none' in b) return `none (${b.none})`;
  if ('externalName' in b) return `${b.externalName}:${b.port} (ExternalName)`;
  return b.upstreams.map((u) => u.text).join(' ');
}
