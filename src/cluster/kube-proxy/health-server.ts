import type { NetNs } from '../../kernel/netns.js';
import { encodeResponse } from '../../wire/http.js';
import { onHttpRequest } from '../http/reader.js';
import { serviceKey, type ControlPlaneInput, type ServiceInput } from '../spec.js';

/**
 * kube-proxy's service health server (pkg/proxy/healthcheck): for every
 * LoadBalancer Service with externalTrafficPolicy Local it listens on the
 * Service's healthCheckNodePort on the node and answers any HTTP request with
 * the number of ready endpoints on this node: 200 when there is at least one,
 * 503 when there is none. That is how a cloud load balancer learns which
 * nodes may receive the Service's traffic. The listeners and the count follow
 * kube-proxy's last sync (`synced`): each sync opens the ports of Services
 * that gained one and closes those of Services that lost theirs or are gone
 * (SyncServices), so a Service created or changed while the cluster runs is
 * served as one that was there from the start, once the node has synced it.
 */
export class ServiceHealthServer {
  /** The ports listened on, and the Service (`ns/name`) each serves. */
  private readonly serving = new Map<number, string>();

  constructor(
    private readonly ns: NetNs,
    private readonly nodeName: string,
    private readonly synced: () => ControlPlaneInput,
  ) {
    this.sync();
  }

  /** SyncServices: listen for exactly the health-check node ports of the last sync's Services. */
  sync(): void {
    const want = new Map<number, string>();
    for (const svc of this.synced().services) {
      if (svc.type === 'LoadBalancer' && svc.externalTrafficPolicy === 'Local' && svc.healthCheckNodePort !== undefined) want.set(svc.healthCheckNodePort, serviceKey(svc));
    }
    for (const [port, k] of this.serving) {
      if (want.get(port) === k) continue;
      this.ns.sockets.unlistenTcp(port);
      this.serving.delete(port);
    }
    for (const [port, k] of want) {
      if (this.serving.has(port)) continue;
      this.serving.set(port, k);
      this.ns.sockets.listenTcp(port, () =>
        onHttpRequest(this.ns.world, this.ns.name, (s, _req, skb) => {
          const cp = this.synced();
          const svc = cp.services.find((x) => serviceKey(x) === k);
          s.write(healthResponse(svc ?? serviceNamed(k), svc ? localReadyEndpoints(cp, svc, this.nodeName) : 0), skb);
        }),
      );
    }
  }
}

/**
 * Ready endpoints of the Service on this node, each address once: kube-proxy's
 * EndpointsMap.LocalReadyEndpoints, which walks the endpoints its
 * EndpointSliceCache filed under a service port. Those come from each slice
 * port (endpointInfoByServicePort skips a port numbered 0), so an endpoint in
 * a slice without ports — the EndpointSlice controller's slice for pods that
 * lack the Service's named targetPort — is not counted: kube-proxy has no
 * rule for it either.
 */
export function localReadyEndpoints(cp: ControlPlaneInput, svc: ServiceInput, nodeName: string): number {
  const ips = new Set<string>();
  for (const slice of cp.endpointSlices) {
    if (slice.namespace !== svc.namespace || slice.serviceName !== svc.name) continue;
    if (!slice.ports.some((p) => p.port !== 0)) continue;
    for (const ep of slice.endpoints) if (ep.ready && ep.nodeName === nodeName) ips.add(ep.ip);
  }
  return ips.size;
}


function serviceNamed(k: string): { namespace: string; name: string } {
  const [namespace, name] = k.split('/') as [string, string];
  return { namespace, name };
}

/** The answer upstream's hcHandler writes: JSON naming the Service and the count; 503 without local endpoints. */
function healthResponse(svc: { namespace: string; name: string }, localEndpoints: number): Uint8Array {
  const body = new TextEncoder().encode(
    JSON.stringify({ service: { namespace: svc.namespace, name: svc.name }, localEndpoints, serviceProxyHealthy: true }, undefined, 2),
  );
  const status = localEndpoints > 0 ? 200 : 503;
  const head = encodeResponse({
    status,
    reason: status === 200 ? 'OK' : 'Service Unavailable',
    headers: [
      ['Content-Type', 'application/json'],
      ['X-Content-Type-Options', 'nosniff'],
      ['X-Load-Balancing-Endpoint-Weight', String(localEndpoints)],
      ['Content-Length', String(body.length)],
    ],
    bodyBytes: 0,
  });
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}
