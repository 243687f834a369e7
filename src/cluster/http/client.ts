import type { NetNs } from '../../kernel/netns.js';
import { encodeRequest } from '../../wire/http.js';
import { responseReader, traceResponse } from './reader.js';

export interface HttpRequestSpec {
  method: string;
  host: string;
  path: string;
  headers: [string, string][];
  /** Request body bytes (0 for GET/HEAD). */
  bodyBytes: number;
}

/**
 * A client (curl) sends one HTTP/1.1 request on a new connection and reads
 * the response. Returns the id of the connection's SYN.
 */
export function sendHttp(ns: NetNs, dst: number, port: number, req: HttpRequestSpec, flow: string, ttl?: number): number | undefined {
  const headers: [string, string][] = [['Host', req.host], ['User-Agent', 'podwalk'], ['Accept', '*/*'], ...req.headers];
  if (req.bodyBytes > 0) headers.push(['Content-Length', String(req.bodyBytes)]);
  const data = encodeRequest({ method: req.method, target: req.path, headers, bodyBytes: req.bodyBytes });
  const reader = responseReader();
  return ns.sockets.send({
    dst,
    protocol: 'TCP',
    port,
    payload: data.length,
    data,
    flow,
    ...(ttl === undefined ? {} : { ttl }),
    app: {
      data: (_s, bytes, skb) => {
        const res = reader.push(bytes);
        if (res) traceResponse(ns.world, ns.name, skb, res);
      },
    },
  });
}
