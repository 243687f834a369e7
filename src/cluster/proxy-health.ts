import type { NetNs } from '../kernel/netns.js';
import { encodeResponse } from '../wire/http.js';
import { onHttpRequest } from './http/reader.js';
import type { ControlPlaneInput, ServiceInput } from './spec.js';

/**
 * kube-proxy's service health server (pkg/proxy/healthcheck): for every
 * LoadBalancer Service with externalTrafficPolicy Local it listens on the
 * Service's healthCheckNodePort on the node and answers any HTTP request with
 * the number of ready endpoints on this node: 200 when there is at least one,
 * 503 when there is none. That is how a cloud load balancer learns which
 * nodes may receive the Service's traffic. The count follows kube-proxy's last
 * sync (`synced`), so it lags an endpoint change by the sync delay, as the rules do.
 */
export function serveHealthChecks(ns: NetNs, nodeName: string, synced: () => ControlPlaneInput): void {
  for (const svc of synced().services) {
    const port = svc.type === 'LoadBalancer' && svc.externalTrafficPolicy === 'Local' ? svc.healthCheckNodePort : undefined;
    if (port === undefined) continue;
    ns.sockets.listenTcp(port, () =>
      onHttpRequest(ns.world, ns.name, (s, _req, skb) => {
        const n = localReadyEndpoints(synced(), svc, nodeName);
        s.write(healthResponse(svc, n), skb);
      }),
    );
  }
}

/** Ready endpoints of the Service on this node, each address once (the Service's slices, every port). */
export function localReadyEndpoints(cp: ControlPlaneInput, svc: ServiceInput, nodeName: string): number {
  const ips = new Set<string>();
  for (const slice of cp.endpointSlices) {
    if (slice.namespace !== svc.namespace || slice.serviceName !== svc.name) continue;
    for (const ep of slice.endpoints) if (ep.ready && ep.nodeName === nodeName) ips.add(ep.ip);
  }
  return ips.size;
}

/** The answer upstream's hcHandler writes: JSON naming the Service and the count; 503 without local endpoints. */
function healthResponse(svc: ServiceInput, localEndpoints: number): Uint8Array {
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
