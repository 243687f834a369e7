import { Pair, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';

/**
 * A fast path for big inputs written as JSON (`kubectl get -o json`, generated
 * clusters): JSON is YAML, but the general YAML parser spends most of a large
 * load building its concrete syntax tree (70% of loading a 5,000-Service file).
 * This scanner builds the same nodes the YAML library would — mappings,
 * sequences, scalars with their source offsets — so every later check and its
 * file:line:col message is unchanged.
 *
 * It only accepts what it is sure about: one well-formed JSON value, no
 * duplicate keys, nesting within bounds. Anything else returns undefined and
 * the caller parses the text as YAML, which then reports the problem with its
 * position as before.
 */
export function parseJsonDocument(text: string): { contents: Node; start: number } | undefined {
  const p = new Scanner(text);
  try {
    p.skip();
    const start = p.i;
    const contents = p.value(0);
    p.skip();
    if (p.i !== text.length) return undefined;
    return { contents, start };
  } catch (e) {
    if (e === NOT_JSON) return undefined;
    throw e;
  }
}

/** Whether a text is worth trying as JSON (its first significant character opens an object or array). */
export function looksLikeJson(text: string): boolean {
  const m = /^[\s\ufeff]*([{[])/.exec(text.slice(0, 1024));
  return m !== null;
}

const NOT_JSON = Symbol('not JSON');
/** Deeper than this, the YAML parser decides (and says "nested too deeply" if it must). */
const MAX_DEPTH = 256;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Scanner {
  i = 0;
  constructor(private readonly s: string) {}

  skip(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff) i++;
      else break;
    }
    this.i = i;
  }

  value(depth: number): Node {
    if (depth > MAX_DEPTH) throw NOT_JSON;
    const s = this.s;
    const start = this.i;
    const c = s.charCodeAt(start);
    if (c === 123 /* { */) return this.object(depth);
    if (c === 91 /* [ */) return this.array(depth);
    if (c === 34 /* " */) return this.scalar(this.string(), start);
    if (s.startsWith('true', start)) return this.literal(true, start, 4);
    if (s.startsWith('false', start)) return this.literal(false, start, 5);
    if (s.startsWith('null', start)) return this.literal(null, start, 4);
    NUMBER.lastIndex = start;
    const m = NUMBER.exec(s);
    if (!m) throw NOT_JSON;
    this.i = start + m[0].length;
    return this.scalar(Number(m[0]), start);
  }

  private literal(v: boolean | null, start: number, len: number): Node {
    this.i = start + len;
    return this.scalar(v, start);
  }

  private scalar(v: unknown, start: number): Node {
    const n = new Scalar(v);
    n.range = [start, this.i, this.i];
    return n;
  }

  private string(): string {
    const s = this.s;
    const start = this.i;
    let i = start + 1;
    let escaped = false;
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c) || c < 32) throw NOT_JSON; // unterminated, or a raw control character
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        i += 2;
        continue;
      }
      i++;
    }
    this.i = i + 1;
    if (!escaped) return s.slice(start + 1, i);
    try {
      return JSON.parse(s.slice(start, i + 1)) as string;
    } catch {
      throw NOT_JSON;
    }
  }

  private object(depth: number): Node {
    const s = this.s;
    const map = new YAMLMap<Node, Node>();
    const start = this.i;
    const keys = new Set<string>();
    this.i++;
    this.skip();
    if (s.charCodeAt(this.i) === 125 /* } */) {
      this.i++;
    } else {
      for (;;) {
        if (s.charCodeAt(this.i) !== 34) throw NOT_JSON;
        const keyStart = this.i;
        const key = this.string();
        // Duplicates are reported by the YAML path with their position; "<<" is left to its merge-key rules.
        if (keys.has(key) || key === '<<') throw NOT_JSON;
        keys.add(key);
        const k = this.scalar(key, keyStart);
        this.skip();
        if (s.charCodeAt(this.i) !== 58 /* : */) throw NOT_JSON;
        this.i++;
        this.skip();
        map.items.push(new Pair(k, this.value(depth + 1)));
        this.skip();
        const c = s.charCodeAt(this.i++);
        if (c === 125) break;
        if (c !== 44 /* , */) throw NOT_JSON;
        this.skip();
      }
    }
    map.range = [start, this.i, this.i];
    return map as Node;
  }

  private array(depth: number): Node {
    const s = this.s;
    const seq = new YAMLSeq<Node>();
    const start = this.i;
    this.i++;
    this.skip();
    if (s.charCodeAt(this.i) === 93 /* ] */) {
      this.i++;
    } else {
      for (;;) {
        seq.items.push(this.value(depth + 1));
        this.skip();
        const c = s.charCodeAt(this.i++);
        if (c === 93) break;
        if (c !== 44) throw NOT_JSON;
        this.skip();
      }
    }
    seq.range = [start, this.i, this.i];
    return seq as Node;
  }
}
