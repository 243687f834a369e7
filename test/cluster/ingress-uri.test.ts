import { describe, expect, it } from 'vitest';
import { escapeUri, parseRequestUri } from '../../src/cluster/ingress/uri.js';

const path = (t: string): string => {
  const u = parseRequestUri(t);
  return u.ok ? u.path : `400 (${u.why})`;
};

describe("nginx's normalised URI ($uri) that locations are matched against", () => {
  it('merges slashes, drops . segments, resolves .. segments', () => {
    expect(path('//api//items')).toBe('/api/items');
    expect(path('/./login')).toBe('/login');
    expect(path('/x/../api/items')).toBe('/api/items');
    expect(path('/a/b/../../c')).toBe('/c');
    expect(path('/a/.')).toBe('/a/');
    expect(path('/a/..')).toBe('/');
    expect(path('/a/...')).toBe('/a/...'); // three dots are a name
    expect(path('/a.b/./c.')).toBe('/a.b/c.');
    expect(path('/a/.b/..c')).toBe('/a/.b/..c');
  });

  it('decodes %XX and reads the decoded character as if it had been sent', () => {
    expect(path('/%61pi/items')).toBe('/api/items');
    expect(path('/a%2Fb')).toBe('/a/b');
    expect(path('/a%2f%2Fb')).toBe('/a/b'); // decoded slashes merge too
    expect(path('/a/%2e%2E/b')).toBe('/b'); // and decoded dots climb
    expect(path('/a%20b')).toBe('/a b');
  });

  it('keeps %25, %23 and %3F as a literal %, # and ?', () => {
    expect(path('/a%25b')).toBe('/a%b');
    expect(path('/a%23b')).toBe('/a#b');
    expect(parseRequestUri('/a%3Fb?c=1')).toEqual({ ok: true, path: '/a?b', args: 'c=1' });
  });

  it('a raw ? starts the arguments and a raw # ends the URI, after a pending . or .. is resolved', () => {
    expect(parseRequestUri('/a/..?x=1#f')).toEqual({ ok: true, path: '/', args: 'x=1' });
    expect(parseRequestUri('/a/.#f')).toEqual({ ok: true, path: '/a/', args: undefined });
    expect(parseRequestUri('/a?')).toEqual({ ok: true, path: '/a', args: '' });
  });

  it('is invalid (nginx answers 400) above the root, with a bad or NUL escape, or without a leading /', () => {
    for (const t of ['/..', '/a/../..', '/a/../../b', '//../x', '/%2e%2e/x', '/a%zz', '/a%4', '/a%', '/a%00b', 'a/b']) expect(path(t)).toMatch(/^400/);
  });
});

describe('escapeUri (a location name in a redirect)', () => {
  it('escapes space, #, %, ?, control characters and non-ASCII bytes', () => {
    expect(escapeUri('/a b/#%?/é/')).toBe('/a%20b/%23%25%3F/%C3%A9/');
    expect(escapeUri('/plain-path_1.2~/')).toBe('/plain-path_1.2~/');
  });
});
