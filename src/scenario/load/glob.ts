/**
 * Shell-style wildcards, matched without regular expressions: a pattern is
 * user input (`include:` globs, `--pcap-device`), and a RegExp built from
 * `*a*a*a*…b` backtracks exponentially (a 20-star include glob hung the
 * loader). Here each match is the classic two-pointer walk that remembers
 * only the last `*`: time proportional to pattern × text at worst.
 */

/** One token of a pattern: a literal character, `?`, `*`, or a `[...]` class. */
export type Token = { kind: 'char'; c: string } | { kind: 'one' } | { kind: 'star' } | { kind: 'class'; negate: boolean; ranges: [string, string][] };

/** A compiled pattern: tokens for one name (or one path segment), or why it cannot be read. */
export type Wildcard = { tokens: Token[] } | { error: string };

/**
 * `*` any run of characters, `?` one character, `[abc]`, `[a-z]`, `[!a]`
 * (or `[^a]`) one character of (or not of) a class; `\` takes the next
 * character literally. An unclosed `[` is a literal `[`, as in the shell;
 * a range written backwards (`[z-a]`) is an error, never silently empty.
 */
export function compileWildcard(pattern: string, classes = true): Wildcard {
  const tokens: Token[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') {
      // `**` inside a name is `*` (runs of stars match what one does).
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?' && classes) tokens.push({ kind: 'one' });
    else if (c === '\\' && classes && i + 1 < chars.length) tokens.push({ kind: 'char', c: chars[++i]! });
    else if (c === '[' && classes) {
      const cls = readClass(chars, i);
      if (cls === undefined) tokens.push({ kind: 'char', c });
      else if ('error' in cls) return { error: cls.error };
      else {
        tokens.push(cls.token);
        i = cls.end;
      }
    } else tokens.push({ kind: 'char', c });
  }
  return { tokens };
}

/** The class opening at `chars[start]` (`[`) up to its `]`, or undefined when it never closes. */
function readClass(chars: string[], start: number): { token: Token; end: number } | { error: string } | undefined {
  let i = start + 1;
  const negate = chars[i] === '!' || chars[i] === '^';
  if (negate) i++;
  const ranges: [string, string][] = [];
  // A `]` right after `[` (or `[!`) is a member, as in the shell.
  for (let first = true; i < chars.length; i++, first = false) {
    const c = chars[i]!;
    if (c === ']' && !first) return { token: { kind: 'class', negate, ranges }, end: i };
    if (chars[i + 1] === '-' && i + 2 < chars.length && chars[i + 2] !== ']') {
      const hi = chars[i + 2]!;
      if (hi < c) return { error: `the range ${c}-${hi} in ${chars.slice(start, Math.min(chars.length, i + 4)).join('')} is backwards (write ${hi}-${c})` };
      ranges.push([c, hi]);
      i += 2;
    } else ranges.push([c, c]);
  }
  return undefined;
}

/** Whether `text` (all of it) matches the compiled tokens. */
export function matchWildcard(tokens: readonly Token[], text: string): boolean {
  const t = [...text];
  let p = 0;
  let s = 0;
  // The last `*` seen and where in the text it started matching: on a mismatch it takes one more character.
  let star = -1;
  let mark = 0;
  while (s < t.length) {
    const tok = tokens[p];
    if (tok !== undefined && tok.kind !== 'star' && matchesOne(tok, t[s]!)) {
      p++;
      s++;
    } else if (tok?.kind === 'star') {
      star = p++;
      mark = s;
    } else if (star >= 0) {
      p = star + 1;
      s = ++mark;
    } else return false;
  }
  while (tokens[p]?.kind === 'star') p++;
  return p === tokens.length;
}

function matchesOne(tok: Token, c: string): boolean {
  switch (tok.kind) {
    case 'char':
      return tok.c === c;
    case 'one':
      return true;
    case 'class': {
      const inside = tok.ranges.some(([lo, hi]) => c >= lo && c <= hi);
      return inside !== tok.negate;
    }
    case 'star':
      return false;
  }
}

/** Whether `pattern` has a wildcard the shell would expand (`*`, `?`, `[`). */
export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/**
 * A `/`-separated glob over relative paths: each segment a wildcard that
 * stays inside one name, and a whole segment `**` any number of directories
 * (none included). Matching is segment by segment, `**` handled as `*` is
 * within a name, so it is as bounded.
 */
export function compilePathGlob(glob: string): { test: (path: string) => boolean } | { error: string } {
  const segments: (Token[] | 'any')[] = [];
  for (const seg of glob.split('/')) {
    if (seg === '**') {
      if (segments.at(-1) !== 'any') segments.push('any');
      continue;
    }
    const w = compileWildcard(seg);
    if ('error' in w) return w;
    segments.push(w.tokens);
  }
  return {
    test: (path) => {
      const parts = path.split('/');
      let p = 0;
      let s = 0;
      let star = -1;
      let mark = 0;
      while (s < parts.length) {
        const seg = segments[p];
        if (seg !== undefined && seg !== 'any' && matchWildcard(seg, parts[s]!)) {
          p++;
          s++;
        } else if (seg === 'any') {
          star = p++;
          mark = s;
        } else if (star >= 0) {
          p = star + 1;
          s = ++mark;
        } else return false;
      }
      while (segments[p] === 'any') p++;
      return p === segments.length;
    },
  };
}
