/**
 * How nginx reads a request target before it picks a location
 * (ngx_http_parse_complex_uri, with ingress-nginx's `merge_slashes on`, the
 * default): `%XX` is decoded and the decoded character is read as if it had
 * been sent (so `%2F` is a slash and `%2E` a dot), except `%25`, `%23` and
 * `%3F`, which stay a literal `%`, `#` and `?`; runs of `/` become one; a
 * `.` segment is dropped and a `..` segment removes the one before it. A
 * `..` that would climb above `/`, a `%` not followed by two hex digits, and
 * `%00` make the request invalid: nginx answers 400. A raw `?` starts the
 * arguments, a raw `#` ends the URI.
 *
 * Only the location choice reads the result ($uri): nginx still sends the
 * target as the client wrote it upstream ($request_uri, proxy_pass without a
 * URI part).
 */
export type ParsedUri = { ok: true; path: string; args: string | undefined } | { ok: false; why: string };

type State = 'usual' | 'slash' | 'dot' | 'dotdot';

export function parseRequestUri(target: string): ParsedUri {
  if (!target.startsWith('/')) return { ok: false, why: 'the request target is not a path starting with /' };
  let out = '';
  let state: State = 'usual';
  /** `out` ends with `/..`: remove it and the segment before it; false when there is none (above the root). */
  const climb = (): boolean => {
    for (let u = out.length - 4; u >= 0; u--) {
      if (out[u] === '/') {
        out = out.slice(0, u + 1);
        return true;
      }
    }
    return false;
  };
  /** The end of the path (a raw `?`, `#` or the end): a pending `.` or `..` segment is resolved. */
  const finish = (): boolean => {
    if (state === 'dot') out = out.slice(0, -1);
    else if (state === 'dotdot' && !climb()) return false;
    return true;
  };
  /** One path character, sent or decoded. */
  const step = (c: string): boolean => {
    if (c === '/') {
      if (state === 'dot') out = out.slice(0, -1);
      else if (state === 'dotdot') {
        if (!climb()) return false;
      } else if (state !== 'slash') out += c; // merge_slashes: a slash after a slash is dropped
      state = 'slash';
      return true;
    }
    out += c;
    state = c === '.' && state === 'slash' ? 'dot' : c === '.' && state === 'dot' ? 'dotdot' : 'usual';
    return true;
  };
  const above = { ok: false as const, why: 'the path climbs above / with ..' };
  for (let i = 0; i < target.length; i++) {
    const c = target[i]!;
    if (c === '?' || c === '#') {
      if (!finish()) return above;
      const args = c === '?' ? target.slice(i + 1).split('#')[0]! : undefined;
      return { ok: true, path: out, args };
    }
    if (c !== '%') {
      if (!step(c)) return above;
      continue;
    }
    const hex = target.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { ok: false, why: `a % not followed by two hex digits` };
    i += 2;
    const d = String.fromCharCode(parseInt(hex, 16));
    if (d === '\0') return { ok: false, why: 'the path has %00' };
    if (d === '%' || d === '#' || d === '?') {
      out += d;
      state = 'usual';
    } else if (!step(d)) return above;
  }
  if (!finish()) return above;
  return { ok: true, path: out, args: undefined };
}

/** nginx's ngx_escape_uri(NGX_ESCAPE_URI), as it writes a location's name into a redirect: space, `#`, `%`, `?`, control characters and bytes above 0x7e as `%XX`. */
export function escapeUri(s: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(s)) {
    const ch = String.fromCharCode(b);
    out += b <= 0x20 || b >= 0x7f || ch === '#' || ch === '%' || ch === '?' ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}
