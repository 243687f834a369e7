import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, Scalar, YAMLMap, type Document, type Node, type Pair } from 'yaml';
import type { Problem } from '../types.js';
import { printable } from '../../trace/safe-text.js';
import { looksLikeJson, parseJsonDocument } from './json-fast.js';

/**
 * Largest YAML text read (characters). Kubernetes' largest supported cluster
 * (5,000 nodes, 150,000 pods, 10,000 Services) written out is about 35 MB;
 * ordinary scenarios are far smaller. Documented in docs/scenario-format.md.
 */
export const MAX_YAML_CHARS = 64 * 1024 * 1024;
/** Nodes a document may have once every alias is expanded: stops "billion laughs" alias bombs, fits any real scenario. */
export const MAX_EXPANDED_NODES = 1_000_000;

export interface YamlTree {
  docs: { contents: Node | null; offset: number }[];
  problems: Problem[];
  lines: LineCounter;
}

/**
 * Parse YAML text into plain trees the reader can walk: aliases replaced by
 * the node they name, merge keys (`<<: *base`) applied, duplicate keys
 * reported. The library's own duplicate-key check compares every key with
 * every other (a 60,000-key file took 20 s), so it is off and done here with
 * a set per mapping. Raw control characters, which YAML 1.2 does not allow in
 * a stream (kubectl rejects them too), are refused before parsing so that no
 * message can carry one.
 */
export function parseYamlTree(file: string, text: string, opts: { fastJson?: boolean } = {}): YamlTree {
  const lines = new LineCounter();
  const problems: Problem[] = [];
  const at = (offset: number, path: string, message: string): void => {
    const lp = lines.linePos(offset);
    problems.push({ file, line: lp.line, col: lp.col, path, message });
  };
  if (text.length > MAX_YAML_CHARS) {
    problems.push({ file, line: 1, col: 1, path: '(file)', message: `too large: ${text.length} characters (at most ${MAX_YAML_CHARS})` });
    return { docs: [], problems, lines };
  }
  // A CR alone is a line break in YAML (5.4), as in go-yaml; the parser here takes only LF and CRLF, and read
  // "a: 1\rb: 2" as one line (a value ending in a CR). The same length: every offset stays where it was.
  if (text.includes('\r')) text = text.replace(/\r(?!\n)/g, '\n');
  const bad = controlCharacters(text);
  if (bad.length > 0 && looksLikeUtf16(text)) {
    problems.push({ file, line: 1, col: 1, path: '(file)', message: 'NUL bytes between the characters: UTF-16 without a byte order mark? Save the file as UTF-8 (or as UTF-16 with its BOM)' });
    return { docs: [], problems, lines };
  }
  if (bad.length > 0) {
    // Positions without parsing: count lines up to each offending character.
    for (const off of bad) {
      const before = text.lastIndexOf('\n', off - 1);
      const line = countLines(text, off);
      const code = text.charCodeAt(off).toString(16).toUpperCase().padStart(4, '0');
      problems.push({ file, line, col: off - before, path: '(yaml)', message: `control character U+${code} is not allowed in YAML (write it as an escape in a double-quoted string)` });
    }
    return { docs: [], problems, lines };
  }
  // Well-formed JSON (kubectl -o json, generated clusters) is read without the YAML parser: same nodes, same offsets.
  const json = opts.fastJson !== false && looksLikeJson(text) ? parseJsonDocument(text) : undefined;
  if (json) {
    lines.addNewLine(0);
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
    return { docs: [{ contents: json.contents, offset: json.start }], problems, lines };
  }
  const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, merge: true });
  const list = Array.isArray(parsed) ? parsed : [];
  const docs: YamlTree['docs'] = [];
  // Nodes aliases add beyond the text, over the whole file: documents each just under the cap would
  // otherwise multiply it (30 such documents in 1.3 MB took 2 minutes and 1.8 GB, and printed a million lines).
  let added = 0;
  for (const d of list) {
    for (const e of d.errors) at(e.pos?.[0] ?? 0, '(yaml)', /call stack/i.test(e.message) ? 'nested too deeply' : e.message.split('\n')[0]!);
    if (d.errors.length > 0) continue;
    try {
      const expander = new Expander(d, at, (offset) => lines.linePos(offset).line);
      const contents = expander.doc();
      added += expander.added;
      if (added > MAX_EXPANDED_NODES) {
        at(d.range?.[0] ?? 0, '(yaml)', `aliases expand this file to more than ${MAX_EXPANDED_NODES} nodes beyond its text (an alias bomb?)`);
        break;
      }
      docs.push({ contents, offset: d.range?.[0] ?? 0 });
    } catch (e) {
      // Nesting deeper than the stack (the parser itself reports the same, as a problem).
      if (!(e instanceof RangeError)) throw e;
      at(d.range?.[0] ?? 0, '(yaml)', 'nested too deeply');
    }
  }
  return { docs, problems, lines };
}

/** The mapping key as the reader sees it (`1` and `"1"` are the same field name). */
export function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** Resolves aliases and merge keys of one document, once per node (shared nodes stay shared). */
class Expander {
  private readonly done = new Map<Node, Node>();
  private readonly active = new Set<Node>();
  private readonly sizes = new Map<Node, number>();
  /** Each alias's node, found in one pass (the library's Alias.resolve walks the whole document per alias). */
  private readonly targets = new Map<Node, Node | undefined>();
  /** Nodes written in the text (an alias counts one). */
  private written = 0;
  /** Nodes the aliases add: the expanded document's size less what is written (0 without aliases). */
  added = 0;

  constructor(
    private readonly d: Document.Parsed,
    private readonly at: (offset: number, path: string, message: string) => void,
    private readonly lineAt: (offset: number) => number,
  ) {}

  doc(): Node | null {
    const root = this.d.contents as Node | null;
    if (!root) return null;
    this.findAnchors(root, new Map());
    const out = this.visit(root, '');
    // Only aliases can blow a document up: one without any is as big as its text (a 5,000-node cluster has millions of nodes).
    if (this.targets.size > 0 && this.size(out) > MAX_EXPANDED_NODES) {
      this.at(root.range?.[0] ?? 0, '(yaml)', `aliases expand this document to more than ${MAX_EXPANDED_NODES} nodes (an alias bomb?)`);
      return null;
    }
    if (this.targets.size > 0) this.added = Math.max(0, this.size(out) - this.written);
    return out;
  }

  private visit(node: Node, path: string): Node {
    if (isAlias(node)) {
      const target = this.targets.get(node);
      if (!target) {
        // The parser leaves it to whoever resolves it: without this the field read "found something else".
        this.at(node.range?.[0] ?? 0, path || '(yaml)', `alias *${printable(node.source)} names no anchor (&${printable(node.source)}) before it in this document`);
        return nullNode(node);
      }
      if (this.active.has(target)) {
        this.at(node.range?.[0] ?? 0, path || '(yaml)', `alias *${printable(node.source)} refers to a node that contains it`);
        return nullNode(node);
      }
      return this.visit(target, path);
    }
    const seen = this.done.get(node);
    if (seen) return seen;
    this.active.add(node);
    let out: Node = node;
    if (isSeq(node)) node.items = (node.items as Node[]).map((n, i) => (n ? this.visit(n, `${path}[${i}]`) : n));
    else if (isMap(node)) out = this.mapping(node as YAMLMap<Node, Node | null>, path);
    this.active.delete(node);
    this.done.set(node, out);
    return out;
  }

  /** An alias names the closest anchor before it in document order (YAML 1.2, 7.1). */
  private findAnchors(node: Node | null | undefined, anchors: Map<string, Node>): void {
    if (!node) return;
    this.written++;
    if (isAlias(node)) {
      this.targets.set(node, anchors.get(node.source));
      return;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (isSeq(node)) for (const n of node.items as Node[]) this.findAnchors(n, anchors);
    else if (isMap(node))
      for (const p of node.items as Pair<Node, Node | null>[]) {
        this.findAnchors(p.key, anchors);
        this.findAnchors(p.value, anchors);
      }
  }

  /** Own keys first (a duplicate is an error), then keys merged in that are not there yet, in `<<` order. */
  private mapping(node: YAMLMap<Node, Node | null>, path: string): Node {
    const keys = new Map<string, Node>();
    const own: Pair<Node, Node | null>[] = [];
    const merges: { value: Node; path: string }[] = [];
    for (const pair of node.items) {
      if (isScalar(pair.key) && typeof pair.key.value === 'symbol') {
        if (pair.value) merges.push({ value: pair.value, path: path ? `${path}.<<` : '<<' });
        continue;
      }
      const key = keyText(pair.key);
      const child = path ? `${path}.${key}` : key;
      if (!isScalar(pair.key)) {
        this.at(pair.key?.range?.[0] ?? node.range?.[0] ?? 0, path || '(yaml)', 'expected a plain key (a name), found a mapping or list as key');
        continue;
      }
      const first = keys.get(key);
      if (first) {
        this.at(pair.key.range?.[0] ?? 0, child, `duplicate key ${printable(key)} (first at line ${this.line(first)})`);
        continue;
      }
      keys.set(key, pair.key);
      if (pair.value) pair.value = this.visit(pair.value, child);
      own.push(pair);
    }
    if (merges.length === 0) {
      node.items = own;
      return node;
    }
    const merged = new YAMLMap<Node, Node | null>();
    merged.range = node.range;
    merged.items = own;
    for (const m of merges) {
      const src = this.visit(m.value, m.path);
      const sources = isSeq(src) ? (src.items as Node[]) : [src];
      for (const s of sources) {
        if (!isMap(s)) {
          this.at(s?.range?.[0] ?? m.value.range?.[0] ?? 0, m.path, 'a merge key (<<) takes a mapping or a list of mappings');
          continue;
        }
        for (const pair of s.items as Pair<Node, Node | null>[]) {
          const key = keyText(pair.key);
          if (keys.has(key)) continue;
          keys.set(key, pair.key);
          merged.items.push(pair);
        }
      }
    }
    return merged;
  }

  /** Nodes of the tree with every shared node counted each time it is used (what a naive walk visits), capped. */
  private size(node: Node | null | undefined): number {
    if (!node) return 1;
    const known = this.sizes.get(node);
    if (known !== undefined) return known;
    let n = 1;
    if (isSeq(node)) for (const c of node.items as Node[]) n += this.size(c);
    else if (isMap(node)) for (const p of node.items as Pair<Node, Node | null>[]) n += 1 + this.size(p.value);
    n = Math.min(n, MAX_EXPANDED_NODES + 1);
    this.sizes.set(node, n);
    return n;
  }

  private line(key: Node): number {
    return this.lineAt(key.range?.[0] ?? 0);
  }
}

function nullNode(like: Node): Node {
  const n = new Scalar(null);
  n.range = like.range;
  return n as Node;
}

/** Offsets of characters YAML 1.2 does not allow in a stream: C0 controls but TAB/LF/CR, DEL, C1 controls but NEL. */
function controlCharacters(text: string): number[] {
  const out: number[] = [];
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const re = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F]/g;
  for (let m = re.exec(text); m && out.length < 5; m = re.exec(text)) out.push(m.index);
  return out;
}

/** Text read as UTF-8 that was UTF-16: a NUL beside each ASCII character of its first line. */
function looksLikeUtf16(text: string): boolean {
  const head = text.slice(0, 64);
  const nuls = [...head].filter((c) => c === '\0').length;
  return head.length >= 8 && nuls * 2 >= head.length - 1 && (head[0] === '\0' || head[1] === '\0');
}

function countLines(text: string, end: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
