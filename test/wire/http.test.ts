import { describe, expect, it } from 'vitest';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, header, looksLikeRequest } from '../../src/wire/http.js';

describe('HTTP/1.1 codec', () => {
  it('round-trips a request with a body, and waits for the whole message', () => {
    const bytes = encodeRequest({ method: 'POST', target: '/cart?id=1', headers: [['Host', 'shop.example.com'], ['Content-Length', '10']], bodyBytes: 10 });
    expect(new TextDecoder().decode(bytes.subarray(0, 27))).toBe('POST /cart?id=1 HTTP/1.1\r\nH');
    expect(decodeRequest(bytes.subarray(0, bytes.length - 1)).kind).toBe('partial');
    const r = decodeRequest(bytes);
    expect(r).toMatchObject({ kind: 'message', used: bytes.length, message: { method: 'POST', target: '/cart?id=1', bodyBytes: 10 } });
    if (r.kind === 'message') expect(header(r.message.headers, 'HOST')).toBe('shop.example.com');
    expect(looksLikeRequest(bytes)).toBe(true);
    expect(looksLikeRequest(new Uint8Array(64))).toBe(false);
  });

  it('round-trips a response; rejects what is not HTTP', () => {
    const bytes = encodeResponse({ status: 503, reason: 'Service Temporarily Unavailable', headers: [['Content-Length', '190']], bodyBytes: 190 });
    expect(decodeResponse(bytes)).toMatchObject({ kind: 'message', message: { status: 503, bodyBytes: 190 } });
    expect(decodeResponse(new TextEncoder().encode('SSH-2.0-OpenSSH\r\n\r\n')).kind).toBe('error');
    expect(decodeRequest(new TextEncoder().encode('GET / HTTP/1.1\r\nbad header\r\n\r\n')).kind).toBe('error');
  });
});
