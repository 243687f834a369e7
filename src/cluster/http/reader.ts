import type { Skb } from '../../kernel/skb.js';
import type { World } from '../../kernel/world.js';
import type { TcpStream } from '../../kernel/sockets.js';
import { decodeRequest, decodeResponse, header, looksLikeRequest, type HttpDecode, type HttpRequest, type HttpResponse } from '../../wire/http.js';

/**
 * Collects a TCP connection's bytes until one whole HTTP message is there
 * (segments arrive in order: nothing reorders them in this model). Bytes that
 * are not HTTP make the reader give up quietly: the application was not an
 * HTTP peer, and the kernel has ACKed them anyway.
 */
export class HttpReader<T> {
  private buf = new Uint8Array(0);
  private dead = false;

  constructor(private readonly decode: (b: Uint8Array) => HttpDecode<T>) {}

  /** Add bytes; returns the message once it is complete (then starts over for the next one). */
  push(bytes: Uint8Array): T | undefined {
    if (this.dead) return undefined;
    const next = new Uint8Array(this.buf.length + bytes.length);
    next.set(this.buf, 0);
    next.set(bytes, this.buf.length);
    const r = this.decode(next);
    if (r.kind === 'partial') {
      this.buf = next;
      return undefined;
    }
    if (r.kind === 'error') {
      this.dead = true;
      this.buf = new Uint8Array(0);
      return undefined;
    }
    this.buf = next.subarray(r.used);
    return r.message;
  }
}

export const requestReader = (): HttpReader<HttpRequest> => new HttpReader(decodeRequest);
export const responseReader = (): HttpReader<HttpResponse> => new HttpReader(decodeResponse);

/** The `http` trace event for a request an application read in namespace `at`. */
export function traceRequest(w: World, at: string, skb: Skb, req: HttpRequest): void {
  const xff = header(req.headers, 'x-forwarded-for');
  const host = header(req.headers, 'host');
  w.emit({ kind: 'http', t: w.sched.now, pkt: skb.id, at, message: 'request', method: req.method, ...(host === undefined ? {} : { host }), path: req.target, ...(xff === undefined ? {} : { forwardedFor: xff }), bytes: req.bodyBytes });
}

/** The `http` trace event for a response an application read in namespace `at`. */
export function traceResponse(w: World, at: string, skb: Skb, res: HttpResponse): void {
  w.emit({ kind: 'http', t: w.sched.now, pkt: skb.id, at, message: 'response', status: res.status, bytes: res.bodyBytes });
}

/**
 * The data handler of an HTTP server's accepted connection: gathers one request (a stream whose
 * first bytes are not HTTP is ignored, as a server would close it), traces it where it was read
 * (namespace `at`), then hands it to `handle`.
 */
export function onHttpRequest(w: World, at: string, handle: (s: TcpStream, req: HttpRequest, skb: Skb) => void): { data: (s: TcpStream, bytes: Uint8Array, skb: Skb) => void } {
  const reader = requestReader();
  let first = true;
  return {
    data: (s, bytes, skb) => {
      if (first && !looksLikeRequest(bytes)) return;
      first = false;
      const req = reader.push(bytes);
      if (!req) return;
      traceRequest(w, at, skb, req);
      handle(s, req, skb);
    },
  };
}
