/**
 * Seeded mutations of scenario and manifest files, for the fuzz tests. Two
 * kinds: tree mutations read the YAML documents, change one field (deleted,
 * renamed, another type, a number pushed out of range, an address made
 * IPv6 or invalid, a list item doubled) and write the documents back; text
 * mutations change the bytes (BOM, CRLF, tabs, control characters, a
 * truncated file, a List wrapper, aliases, empty documents, a long line).
 * Every mutation is a pure function of the text and the random stream, so
 * one seed gives the same inputs on every machine.
 */
import { parseAllDocuments, stringify } from 'yaml';

export type Rng = () => number;

/** mulberry32: small, fast and the same everywhere. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** Values a field may be replaced with: other types, edges of ranges, odd text and addresses. */
const VALUES: readonly unknown[] = [
  null, '', 0, -1, 1, 1.5, -0.5, 255, 256, 65535, 65536, 2 ** 31, 2 ** 32, 2 ** 53 + 2, 1e308, true, false,
  'x'.repeat(300), 'a\u0007b', 'a\u001b[2Jb', '\u202eevil', '😀', 'Infinity', 'NaN', '1e400', '-5s', '0s', '0ms', '99999999h', '1.5.3',
  '10.0.0.1/33', '10.0.0.256', '0.0.0.0', '255.255.255.255', '0.0.0.0/0', '::1', 'fd00::1', '2001:db8::/64', '::ffff:10.0.0.1', 'fe80::1%eth0',
  'IPv6', 'IPv4', 'SingleStack', 'RequireDualStack', 'TCP', 'UDP', 'SCTP', 'ICMP', 'node1', 'node9', 'default', 'kube-system',
  'pod/default/nope', 'svc/default/nope', '../../../etc/passwd', '/tmp', '*', '**/*', 'Cluster', 'Local',
  [], {}, [null], [1, 2], ['a', 'b'], { a: 1 }, { name: 'x' }, [{}], { '<<': 1 },
];

const KEY_TYPOS = (k: string): string[] => [`${k}s`, k.slice(0, -1) || 'x', k.toUpperCase(), `${k}_`, ''];

type Container = Record<string, unknown> | unknown[];
interface Slot {
  parent: Container;
  key: string | number;
}

/** Every place in a JS tree that holds a value (depth-first, in document order). */
function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 64 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push({ parent: v, key: i });
        walk(x, depth + 1);
      });
      return;
    }
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out.push({ parent: v as Record<string, unknown>, key: k });
      walk(x, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

function get(s: Slot): unknown {
  return (s.parent as Record<string | number, unknown>)[s.key];
}

function set(s: Slot, v: unknown): void {
  (s.parent as Record<string | number, unknown>)[s.key] = v;
}

function remove(s: Slot): void {
  if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
  else delete s.parent[s.key as string];
}

/** A number moved to a neighbour or far out of range. */
function nudgeNumber(r: Rng, n: number): number {
  return pick(r, [n + 1, n - 1, -n, n * 1000, n + 0.5, 0, 2 ** 31 - 1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER + 2, 1e300]);
}

/** A string of a known shape (address, duration, name) changed in a way that shape cares about. */
function nudgeString(r: Rng, s: string): unknown {
  if (/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(s)) {
    const [ip, len] = s.split('/');
    return pick(r, [`${ip}/${Number(len ?? 32) + 1}`, `${ip}/-1`, ip!.replace(/\d+$/, '256'), ip!.replace(/^\d+/, '0'), 'fd00::1', `${ip}/0`, `${ip}:80`, `${ip} `]);
  }
  if (/^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)$/.test(s)) return pick(r, [`-${s}`, `${s}${s}`, s.replace(/[a-zµ]+$/, ''), s.replace(/[a-zµ]+$/, 'd'), `${'9'.repeat(30)}s`, '0s', `${s} `]);
  if (/^\d+(\.\d+)?[KMGT]?(bit|bps|B)?$/.test(s)) return pick(r, [`-${s}`, `${'9'.repeat(30)}${s}`, '0', `${s}x`]);
  return pick(r, [`${s}x`, s.toUpperCase(), s.slice(1), `${s}/${s}`, `${s}\t`, s.repeat(40), Number(s.length), `${s}#2`, `${s}#0`]);
}

/** One change to the tree; returns what it did (for the failure message). */
function mutateTree(r: Rng, docs: unknown[]): string {
  const all = docs.flatMap((d, i) => [{ parent: docs as Container, key: i } as Slot, ...slots(d)]);
  if (all.length === 0) return 'nothing to mutate';
  const s = pick(r, all);
  const old = get(s);
  const op = Math.floor(r() * 9);
  switch (op) {
    case 0:
      remove(s);
      return `removed ${String(s.key)}`;
    case 1: {
      if (Array.isArray(s.parent) || typeof s.key !== 'string') {
        (s.parent as unknown[]).splice(s.key as number, 0, structuredClone(old));
        return `doubled item ${s.key}`;
      }
      const to = pick(r, KEY_TYPOS(s.key));
      delete s.parent[s.key];
      s.parent[to] = old;
      return `renamed ${s.key} to ${to}`;
    }
    case 2:
    case 3: {
      const v = structuredClone(pick(r, VALUES));
      set(s, v);
      return `${String(s.key)} = ${JSON.stringify(v)}`;
    }
    case 4:
    case 5:
      if (typeof old === 'number') set(s, nudgeNumber(r, old));
      else if (typeof old === 'string') set(s, nudgeString(r, old));
      else if (Array.isArray(old)) set(s, pick(r, [[], old.concat(structuredClone(old)), old.slice(0, 1), old[0] ?? null, Object.fromEntries(old.map((x, i) => [String(i), x]))]));
      else if (old && typeof old === 'object') set(s, pick(r, [Object.values(old), {}, Object.keys(old), { ...old, extra: 1 }]));
      else set(s, pick(r, ['', 0, {}, []]));
      return `nudged ${String(s.key)}`;
    case 6: // another field's value in this place: right type in the wrong field, or a shape from elsewhere
      set(s, structuredClone(get(pick(r, all))));
      return `${String(s.key)} takes another field's value`;
    case 7: // numbers as strings and strings as numbers
      set(s, typeof old === 'number' ? String(old) : typeof old === 'string' && old !== '' && !Number.isNaN(Number(old)) ? Number(old) : typeof old === 'boolean' ? String(old) : [old]);
      return `${String(s.key)} type flipped`;
    default: // a list grown large: many pods, rules, ports
      if (Array.isArray(old) && old.length > 0) {
        const n = pick(r, [50, 300]);
        set(s, Array.from({ length: n }, (_, i) => structuredClone(old[i % old.length])));
        return `${String(s.key)} repeated to ${n} items`;
      }
      remove(s);
      return `removed ${String(s.key)}`;
  }
}

/** Read the YAML documents as plain data, or undefined when the text is not YAML the library reads cleanly. */
function readDocs(text: string): unknown[] | undefined {
  try {
    const docs = parseAllDocuments(text, { merge: true, uniqueKeys: false });
    if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return undefined;
    return docs.map((d) => d.toJS({ maxAliasCount: 10_000 }) as unknown);
  } catch {
    return undefined;
  }
}

function writeDocs(docs: unknown[]): string {
  return docs.map((d) => stringify(d, { aliasDuplicateObjects: false, lineWidth: 0 })).join('---\n');
}

/** JSON.stringify, with what JSON cannot say (a number beyond a double, NaN) left as YAML would read it. */
function jsonText(doc: unknown): string {
  return JSON.stringify(doc, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) ?? 'null';
}

/** Byte- and line-level changes: what editors, copy-paste and shells do to files. */
function mutateText(r: Rng, text: string): { text: string; what: string } {
  const lines = text.split('\n');
  const i = Math.floor(r() * lines.length);
  const line = lines[i] ?? '';
  switch (Math.floor(r() * 14)) {
    case 0:
      return { text: `\ufeff${text}`, what: 'BOM' };
    case 1:
      return { text: text.replace(/\n/g, '\r\n'), what: 'CRLF' };
    case 2:
      lines[i] = line.replace(/^( +)/, (m) => '\t'.repeat(Math.max(1, m.length / 2)));
      return { text: lines.join('\n'), what: `tabs at line ${i + 1}` };
    case 3: {
      const at = Math.floor(r() * (line.length + 1));
      lines[i] = `${line.slice(0, at)}${String.fromCharCode(pick(r, [0, 7, 8, 0x1b, 0x7f, 0x85, 0x9b, 0x2028, 0x202e, 0xfeff, 0xfffe, 0xd800]))}${line.slice(at)}`;
      return { text: lines.join('\n'), what: `control character in line ${i + 1}` };
    }
    case 4:
      return { text: text.slice(0, Math.floor(r() * text.length)), what: 'truncated' };
    case 5: // the documents as kubectl get -o yaml prints them
      return { text: `apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\nitems:\n${text.split(/^---$/m).filter((d) => d.trim()).map((d) => `- ${d.trim().replace(/\n/g, '\n  ')}`).join('\n')}\n`, what: 'List wrapper' };
    case 6:
      lines.splice(i, 0, pick(r, ['---', '--- ~', '...', '---\n---', '%YAML 1.2\n---', '--- !!str']));
      return { text: lines.join('\n'), what: `document marker at line ${i + 1}` };
    case 7: // an anchor on this line's value, its alias on another key
      if (/^\s*[\w.-]+:\s*\S/.test(line)) {
        lines[i] = line.replace(/:\s*/, ': &fz ');
        const j = Math.floor(r() * lines.length);
        lines.splice(j + 1, 0, `${(lines[j] ?? '').match(/^\s*(- )?/)![0].replace('- ', '  ')}fz: *fz`);
        return { text: lines.join('\n'), what: `alias at line ${j + 2}` };
      }
      return { text: `${text}\nextra: *undefined-anchor\n`, what: 'undefined alias' };
    case 8:
      lines[i] = `${line}${'x'.repeat(pick(r, [10_000, 200_000]))}`;
      return { text: lines.join('\n'), what: `long line ${i + 1}` };
    case 9: // a key repeated
      lines.splice(i, 0, line);
      return { text: lines.join('\n'), what: `line ${i + 1} repeated` };
    case 10:
      lines.splice(i, 1);
      return { text: lines.join('\n'), what: `line ${i + 1} deleted` };
    case 11:
      lines[i] = r() < 0.5 ? `  ${line}` : line.replace(/^ {1,2}/, '');
      return { text: lines.join('\n'), what: `indentation of line ${i + 1}` };
    case 12: // a flow collection that never closes, or a quote that never ends
      lines[i] = `${line}${pick(r, [' {', ' [', ' "', " '", ' |', ' >', ' &', ' *', ' !', ' ? ', ' #', ': :'])}`;
      return { text: lines.join('\n'), what: `syntax at line ${i + 1}` };
    default:
      return { text: `${text}\n---\n${pick(r, ['', '~', '[]', '{}', '42', 'just text', 'kind: List\napiVersion: v1\nitems: [[], ~, 1]', 'kind: PodList\napiVersion: v1\nitems:\n- kind: List\n  apiVersion: v1\n  items: []'])}\n`, what: 'extra document' };
  }
}

/**
 * Crossover: a field takes the value a field of the same name has in another file (a step, a traffic item,
 * a pod spec from another scenario): valid pieces in combinations no scenario was written for.
 */
function crossover(r: Rng, docs: unknown[], donor: unknown[]): string {
  const mine = docs.flatMap((d) => slots(d)).filter((s) => typeof s.key === 'string');
  const theirs = donor.flatMap((d) => slots(d)).filter((s) => typeof s.key === 'string');
  for (let tries = 0; tries < 8 && mine.length > 0; tries++) {
    const s = pick(r, mine);
    const same = theirs.filter((t) => t.key === s.key);
    if (same.length === 0) continue;
    set(s, structuredClone(get(pick(r, same))));
    return `${String(s.key)} from another file`;
  }
  return 'no crossover';
}

/**
 * One mutant of `text`: mostly tree changes (they reach the checks), sometimes text changes (they reach the
 * reader); with a `donor` file, sometimes a field from it (crossover).
 */
export function mutate(r: Rng, text: string, donor?: string): { text: string; what: string[] } {
  const what: string[] = [];
  let out = text;
  const docs = r() < 0.75 ? readDocs(text) : undefined;
  if (docs) {
    const n = 1 + Math.floor(r() * 3);
    const given = donor === undefined ? undefined : readDocs(donor);
    for (let k = 0; k < n; k++) what.push(given && r() < 0.3 ? crossover(r, docs, given) : mutateTree(r, docs));
    // Sometimes as JSON (kubectl -o json; generated clusters): the loader reads well-formed JSON on its own path.
    out = docs.length === 1 && r() < 0.2 ? jsonText(docs[0]) : writeDocs(docs);
  }
  if (!docs || r() < 0.25) {
    const t = mutateText(r, out);
    out = t.text;
    what.push(t.what);
  }
  return { text: out, what };
}
