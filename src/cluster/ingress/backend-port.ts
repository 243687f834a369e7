import type { ServiceInput, ServicePortInput } from '../spec.js';
import type { IngressBackendInput } from './types.js';

/**
 * Which Service port an Ingress backend's `port` means to ingress-nginx
 * (serviceEndpoints): the first entry of `spec.ports`, in order, whose
 * `port`, `targetPort` or `name` reads the same as the backend's port
 * number or name. So `port.number: 8080` also finds `{port: 80,
 * targetPort: 8080}`, and `port.name: http` finds a port whose
 * targetPort is the container port name `http`. The protocol is not
 * looked at; only TCP endpoints are used afterwards.
 */
export function servicePortFor(ports: readonly ServicePortInput[], port: IngressBackendInput['port']): ServicePortInput | undefined {
  const want = 'number' in port ? String(port.number) : port.name;
  return ports.find((p) => String(p.port) === want || String(p.targetPort) === want || p.name === want);
}

/**
 * The cluster IP port nginx proxies to with service-upstream
 * (getServiceClusterEndpoint): a port number is taken as it is, without
 * looking for it in the Service; a port name is looked up among the port
 * names only. undefined = no usable cluster IP endpoint (headless, or no
 * port of that name): ingress-nginx then falls back to the endpoints.
 */
export function clusterIpPortFor(svc: ServiceInput, port: IngressBackendInput['port']): number | undefined {
  if (!svc.clusterIP) return undefined;
  if ('number' in port) return port.number;
  return svc.ports.find((p) => p.name === port.name)?.port;
}
