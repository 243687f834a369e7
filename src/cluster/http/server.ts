import type { NetNs } from '../../kernel/netns.js';
import { parseIpv4 } from '../../wire/addr.js';
import { encodeResponse, REASONS } from '../../wire/http.js';
import type { PodInput } from '../spec.js';
import { onHttpRequest } from './reader.js';

/** Pod annotations that say how a pod's HTTP server answers (podwalk's own; real servers decide for themselves). */
export const HTTP_STATUS_ANNOTATION = 'podwalk.io/http-status';
export const HTTP_BODY_ANNOTATION = 'podwalk.io/http-body-bytes';
export const DEFAULT_HTTP_ANSWER = { status: 200, bodyBytes: 64 };

/** What a pod's server answers every request with: its annotations, else 200 and 64 body bytes. */
export function httpAnswerOf(pod: PodInput): { status: number; bodyBytes: number } {
  const a = pod.annotations ?? {};
  return {
    status: a[HTTP_STATUS_ANNOTATION] === undefined ? DEFAULT_HTTP_ANSWER.status : Number(a[HTTP_STATUS_ANNOTATION]),
    bodyBytes: a[HTTP_BODY_ANNOTATION] === undefined ? DEFAULT_HTTP_ANSWER.bodyBytes : Number(a[HTTP_BODY_ANNOTATION]),
  };
}

/**
 * Every pod's TCP ports are served by an HTTP/1.1 server: a connection whose
 * bytes are an HTTP request gets one response (status and body size from the
 * pod's annotations) on the same connection. Anything else is only ACKed, as
 * before HTTP existed here.
 */
export function serveHttp(ns: NetNs, pod: PodInput): void {
  const answer = httpAnswerOf(pod);
  for (const port of pod.ports) {
    if (port.protocol !== 'TCP') continue;
    ns.sockets.listenTcp(port.containerPort, () =>
      onHttpRequest(ns.world, ns.name, (s, req, skb) => {
        const bodyBytes = req.method === 'HEAD' ? 0 : answer.bodyBytes;
        const res = encodeResponse({ status: answer.status, reason: REASONS[answer.status] ?? '', headers: [['Content-Length', String(bodyBytes)], ['Content-Type', 'text/plain']], bodyBytes });
        s.write(res, skb);
      }),
      port.bind?.map((a) => parseIpv4(a)!),
    );
  }
}
