/**
 * HTTP/1.1 messages as TCP payload (RFC 9112): a start line, header fields,
 * an empty line, then a body whose length Content-Length gives. Only what a
 * proxy and a server need to read and write one request and one response;
 * bodies are zero bytes of the stated size (podwalk carries sizes, not content).
 */

export interface HttpRequest {
  method: string;
  /** The request target in origin form: `/cart?x=1`. */
  target: string;
  /** Header fields in order, names as written. */
  headers: [string, string][];
  bodyBytes: number;
}

export interface HttpResponse {
  status: number;
  reason: string;
  headers: [string, string][];
  bodyBytes: number;
}

/** What a decode found: a whole message and how many bytes it used, or "need more bytes", or an error. */
export type HttpDecode<T> = { kind: 'message'; message: T; used: number } | { kind: 'partial' } | { kind: 'error'; error: string };

const CRLF = '\r\n';
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The reason phrases podwalk's servers and proxy use (RFC 9110 section 15). */
export const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  304: 'Not Modified',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

export function encodeRequest(r: HttpRequest): Uint8Array {
  const head = `${r.method} ${r.target} HTTP/1.1${CRLF}${r.headers.map(([k, v]) => `${k}: ${v}${CRLF}`).join('')}${CRLF}`;
  return withBody(head, r.bodyBytes);
}

export function encodeResponse(r: HttpResponse): Uint8Array {
  const head = `HTTP/1.1 ${r.status} ${r.reason}${CRLF}${r.headers.map(([k, v]) => `${k}: ${v}${CRLF}`).join('')}${CRLF}`;
  return withBody(head, r.bodyBytes);
}

function withBody(head: string, bodyBytes: number): Uint8Array {
  const h = new TextEncoder().encode(head);
  const out = new Uint8Array(h.length + bodyBytes);
  out.set(h, 0);
  return out;
}

/** The first value of a header field (names are case-insensitive). */
export function header(headers: readonly [string, string][], name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

export function decodeRequest(bytes: Uint8Array): HttpDecode<HttpRequest> {
  const head = splitHead(bytes);
  if (head.kind !== 'head') return head;
  const [start, ...fields] = head.lines;
  const m = /^([^ ]+) ([^ ]+) HTTP\/1\.[01]$/.exec(start ?? '');
  if (!m || !TOKEN.test(m[1]!)) return { kind: 'error', error: `not an HTTP/1.1 request line: ${JSON.stringify(start ?? '')}` };
  const headers = parseFields(fields);
  if (typeof headers === 'string') return { kind: 'error', error: headers };
  const body = bodyLength(headers);
  if (typeof body === 'string') return { kind: 'error', error: body };
  if (bytes.length < head.used + body) return { kind: 'partial' };
  return { kind: 'message', message: { method: m[1]!, target: m[2]!, headers, bodyBytes: body }, used: head.used + body };
}

export function decodeResponse(bytes: Uint8Array): HttpDecode<HttpResponse> {
  const head = splitHead(bytes);
  if (head.kind !== 'head') return head;
  const [start, ...fields] = head.lines;
  const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(start ?? '');
  if (!m) return { kind: 'error', error: `not an HTTP/1.1 status line: ${JSON.stringify(start ?? '')}` };
  const headers = parseFields(fields);
  if (typeof headers === 'string') return { kind: 'error', error: headers };
  const body = bodyLength(headers);
  if (typeof body === 'string') return { kind: 'error', error: body };
  if (bytes.length < head.used + body) return { kind: 'partial' };
  return { kind: 'message', message: { status: Number(m[1]), reason: m[2]!, headers, bodyBytes: body }, used: head.used + body };
}

/** Whether these bytes can be the start of an HTTP request (a method token, then a space). */
export function looksLikeRequest(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 16);
  let i = 0;
  while (i < n && bytes[i]! >= 0x41 && bytes[i]! <= 0x5a) i++; // methods are upper-case tokens
  return i > 0 && i < n && bytes[i] === 0x20;
}

function splitHead(bytes: Uint8Array): { kind: 'head'; lines: string[]; used: number } | { kind: 'partial' } | { kind: 'error'; error: string } {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      const text = new TextDecoder('latin1').decode(bytes.subarray(0, i));
      return { kind: 'head', lines: text.split(CRLF), used: i + 4 };
    }
  }
  // nginx's large_client_header_buffers default is 4 x 8k.
  return bytes.length > 32768 ? { kind: 'error', error: 'header section larger than 32 KiB' } : { kind: 'partial' };
}

function parseFields(lines: string[]): [string, string][] | string {
  const out: [string, string][] = [];
  for (const l of lines) {
    const c = l.indexOf(':');
    if (c <= 0 || !TOKEN.test(l.slice(0, c))) return `malformed header field: ${JSON.stringify(l)}`;
    out.push([l.slice(0, c), l.slice(c + 1).trim()]);
  }
  return out;
}

function bodyLength(headers: [string, string][]): number | string {
  const cl = header(headers, 'content-length');
  if (cl === undefined) return 0;
  if (!/^\d{1,12}$/.test(cl)) return `bad Content-Length: ${JSON.stringify(cl)}`;
  return Number(cl);
}
