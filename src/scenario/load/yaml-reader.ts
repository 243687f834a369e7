import { isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';
import type { Problem, SourcePos } from '../types.js';
import { escapeControl, hasControl, oneLine, printable } from '../../trace/safe-text.js';
import { keyText, parseYamlTree } from './yaml-tree.js';

/** A YAML node together with where it is: enough to point every problem at file:line:col. */
export interface At {
  node: Node | null | undefined;
  path: string;
  /** Fallback position (the key, or the parent) when the node itself is missing. */
  near: SourcePos;
}

/**
 * Who wants to know which keys each closed mapping accepts (the schema test:
 * loader, schema and docs must agree). Unset in normal runs: costs nothing.
 */
export const acceptedKeys: { record?: (file: string, offset: number, known: readonly string[]) => void } = {};

/**
 * Reads one YAML file and collects problems instead of throwing. The typed
 * getters report what was expected and what was found at the node's position.
 * Aliases and merge keys are already resolved (see yaml-tree.ts): the getters
 * only ever meet mappings, lists and scalars.
 */
export class YamlReader {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];
  private readonly lines: LineCounter;
  readonly docs: { contents: Node | null; start: SourcePos }[] = [];

  constructor(
    readonly file: string,
    text: string,
  ) {
    const tree = parseYamlTree(file, text);
    this.lines = tree.lines;
    this.problems.push(...tree.problems);
    for (const d of tree.docs) this.docs.push({ contents: d.contents, start: this.posAt(d.offset) });
  }

  posAt(offset: number): SourcePos {
    const lp = this.lines.linePos(offset);
    return { file: this.file, line: lp.line, col: lp.col };
  }

  pos(at: At): SourcePos {
    const r = at.node?.range;
    return r ? this.posAt(r[0]) : at.near;
  }

  problem(at: At, message: string): void {
    this.problems.push({ ...this.pos(at), path: at.path, message });
  }

  /**
   * Where a field of `parent` would be when it is not there: no node (so a getter reports it missing or
   * required, not "found a mapping" about the parent), the parent's position, the field's path.
   */
  missing(parent: At, key: string): At {
    return { node: undefined, path: `${parent.path}.${key}`, near: this.pos(parent) };
  }

  warn(at: At, message: string): void {
    this.warnings.push({ ...this.pos(at), path: at.path, message });
  }

  /** A mapping's entries; unknown keys are reported (with a suggestion) unless `known` is null. */
  map(at: At, known: readonly string[] | null): Map<string, At> | undefined {
    if (absent(at.node)) return new Map();
    if (!isMap(at.node)) {
      this.problem(at, `expected a mapping, found ${describe(at.node)}`);
      return undefined;
    }
    if (known && acceptedKeys.record && at.node.range) acceptedKeys.record(this.file, at.node.range[0], known);
    const out = new Map<string, At>();
    for (const pair of at.node.items as Pair<Node, Node | null>[]) {
      const key = keyText(pair.key);
      const keyPos = pair.key?.range ? this.posAt(pair.key.range[0]) : this.pos(at);
      // An empty key ("": x) is shown quoted: a bare empty name reads as a message with a word missing.
      const shown = key === '' ? '""' : key;
      const childPath = at.path ? `${at.path}.${shown}` : shown;
      if (known && !known.includes(key)) {
        const hint = suggest(key, known);
        this.problems.push({ ...keyPos, path: childPath, message: `unknown field ${printable(shown)}${hint ? ` (did you mean ${hint}?)` : ''}` });
        continue;
      }
      out.set(key, { node: pair.value, path: childPath, near: keyPos });
    }
    return out;
  }

  list(at: At): At[] {
    if (absent(at.node)) return [];
    if (!isSeq(at.node)) {
      this.problem(at, `expected a list, found ${describe(at.node)}`);
      return [];
    }
    return (at.node.items as (Node | null)[]).map((n, i) => ({ node: n, path: `${at.path}[${i}]`, near: this.pos(at) }));
  }

  /** Scalar value or undefined when absent. */
  scalar(at: At | undefined): unknown {
    if (!at || at.node === undefined || at.node === null) return undefined;
    if (!isScalar(at.node)) return at.node;
    return at.node.value;
  }

  str(at: At | undefined, required = false): string | undefined {
    if (!at || at.node == null) {
      if (required && at) this.problem(at, 'required, expected a string');
      return undefined;
    }
    const v = this.scalar(at);
    if (typeof v === 'string') {
      // Written as escapes ("\e[2J"): a name or value with control characters would drive the terminal that prints it.
      if (hasControl(v.replace(/[\n\t]/g, ''))) {
        this.problem(at, `control characters are not allowed in a value, found "${printable(v)}"`);
        return undefined;
      }
      return v;
    }
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    this.problem(at, `expected a string, found ${describe(at.node)}`);
    return undefined;
  }

  int(at: At | undefined, lo: number, hi: number): number | undefined {
    if (!at || at.node == null) return undefined;
    const v = this.scalar(at);
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.problem(at, `expected an integer between ${lo} and ${hi}, found ${show(v)}`);
      return undefined;
    }
    if (v < lo || v > hi) {
      this.problem(at, `expected an integer between ${lo} and ${hi}, found ${v}`);
      return undefined;
    }
    return v;
  }

  bool(at: At | undefined): boolean | undefined {
    if (!at || at.node == null) return undefined;
    const v = this.scalar(at);
    if (typeof v !== 'boolean') {
      this.problem(at, `expected true or false, found ${show(v)}`);
      return undefined;
    }
    return v;
  }

  /** A quantity with units (`50us`, `10Gbit`) through `parse`, which returns the value or an error message. */
  quantity(at: At | undefined, parse: (v: unknown) => number | string, dflt: number): number {
    if (!at || at.node == null) return dflt;
    const v = parse(this.scalar(at));
    if (typeof v === 'string') {
      this.problem(at, v);
      return dflt;
    }
    return v;
  }

  oneOf<T extends string>(at: At | undefined, choices: readonly T[]): T | undefined {
    const v = this.str(at);
    if (v === undefined) return undefined;
    if ((choices as readonly string[]).includes(v)) return v as T;
    const hint = suggest(v, choices);
    this.problem(at!, `expected one of ${choices.join(', ')}, found ${printable(v)}${hint ? ` (did you mean ${hint}?)` : ''}`);
    return undefined;
  }
}

/** A missing value, or a key with nothing after it (`traffic:`), which YAML reads as null. */
function absent(n: Node | null | undefined): boolean {
  return n === undefined || n === null || (isScalar(n) && n.value === null);
}

function describe(n: Node | null | undefined): string {
  if (n === null || n === undefined) return 'nothing';
  if (isMap(n)) return 'a mapping';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) return show(n.value);
  return 'something else';
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return `"${printable(v)}"`;
  if (typeof v === 'object') return 'a mapping or list';
  return printable(v);
}

/** The closest known word within edit distance 2 (case-insensitive), for "did you mean". */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  if (word.length > 64) return undefined; // no name is that long, and the distance is quadratic
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** `file:line:col: field.path: message`, always one printable line (see safe-text.ts). */
export function formatProblem(p: Problem): string {
  return `${escapeControl(p.file)}:${p.line}:${p.col}: ${oneLine(p.path, 200)}: ${oneLine(p.message)}`;
}
