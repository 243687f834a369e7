/**
 * Loader, JSON Schema and docs/scenario-format.md must agree:
 * - every scenario in scenarios/ (and its includes) validates against the schema;
 * - every mapping the loader closes with a list of known keys is closed in the
 *   schema with exactly those keys (recorded while loading, located in the
 *   schema by walking the same YAML);
 * - every field the schema names appears in docs/scenario-format.md;
 * - schema/podwalk-scenario.schema.json is what `podwalk schema` prints.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { isMap, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { includedFiles } from '../../src/scenario/load/include.js';
import { scenarioSchema } from '../../src/scenario/load/schema.js';
import { acceptedKeys } from '../../src/scenario/load/yaml-reader.js';

type Schema = Record<string, unknown>;
const root = join(import.meta.dirname, '..', '..');
const schema = scenarioSchema();
const defs = schema.definitions as Record<string, Schema>;
const scenarioDir = join(root, 'scenarios');
/** Scenario files the agreement is checked on: every shipped scenario and the fixtures that use every field. */
const files = [
  ...readdirSync(scenarioDir).filter((f) => f.endsWith('.yaml')).map((f) => join(scenarioDir, f)),
  join(import.meta.dirname, 'fixtures', 'every-field.yaml'),
  join(import.meta.dirname, '..', 'byoc', 'shop.yaml'),
  join(import.meta.dirname, '..', 'byoc', 'shop-dev.yaml'),
];

function includesOf(file: string): string[] {
  const doc = parseAllDocuments(readFileSync(file, 'utf8'))[0]!.toJS() as { include?: string[] };
  return (doc.include ?? []).flatMap((p) => {
    const found = includedFiles(dirname(file), p);
    return 'files' in found ? found.files : [];
  });
}

function deref(s: Schema): Schema {
  let cur = s;
  while (typeof cur.$ref === 'string') cur = defs[(cur.$ref as string).replace('#/definitions/', '')]!;
  return cur;
}

/** The schema that applies to `data`: refs followed, `kind` branches and object/array alternatives chosen. */
function select(s: Schema, data: unknown): Schema | undefined {
  const cur = deref(s);
  if (Array.isArray(cur.allOf) && data && typeof data === 'object') {
    const kind = (data as { kind?: unknown }).kind;
    for (const b of cur.allOf as Schema[]) {
      const cond = ((b.if as Schema).properties as Record<string, Schema>).kind!.const;
      if (cond === kind) return select(b.then as Schema, data);
    }
    return undefined;
  }
  for (const k of ['anyOf', 'oneOf']) {
    if (!Array.isArray(cur[k])) continue;
    const want = Array.isArray(data) ? 'array' : data && typeof data === 'object' ? 'object' : undefined;
    const b = (cur[k] as Schema[]).map(deref).find((x) => x.type === want);
    return b ? select(b, data) : undefined;
  }
  return cur;
}

/** Walk YAML and schema together: the object schema at each mapping's offset. */
function walk(s: Schema | undefined, node: Node | null, out: Map<number, Schema>): void {
  if (!s || !node) return;
  const data = (node as { toJSON?: () => unknown }).toJSON?.();
  const cur = select(s, data);
  if (!cur) return;
  if (isMap(node)) {
    out.set(node.range![0], cur);
    const props = (cur.properties ?? {}) as Record<string, Schema>;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const child = props[key] ?? (typeof cur.additionalProperties === 'object' ? (cur.additionalProperties as Schema) : undefined);
      walk(child, pair.value as Node | null, out);
    }
  } else if (isSeq(node) && cur.items) {
    for (const item of node.items) walk(cur.items as Schema, item as Node | null, out);
  }
}

describe('scenario JSON Schema', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema(schema, 'scenario');
  const validateScenario = ajv.getSchema('scenario')!;
  const validateManifest = ajv.getSchema('scenario#/definitions/manifest')!;

  afterEach(() => {
    acceptedKeys.record = undefined;
  });

  it('schema/podwalk-scenario.schema.json is what `podwalk schema` prints (regenerate: node bin/podwalk.js schema > schema/podwalk-scenario.schema.json)', () => {
    expect(JSON.parse(readFileSync(join(root, 'schema', 'podwalk-scenario.schema.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(schema)));
  });

  it('podwalk schema prints it', () => {
    let out = '';
    expect(cli(['schema'], { out: (x) => (out += x), err: () => undefined })).toBe(0);
    expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(schema)));
  });

  for (const file of files) {
    it(`${file.slice(root.length + 1)}: validates, and the loader accepts exactly the keys the schema lists`, () => {
      const docs = parseAllDocuments(readFileSync(file, 'utf8'));
      const at = new Map<number, Schema>();
      for (const d of docs) {
        expect(validateScenario(d.toJS()), JSON.stringify(validateScenario.errors, null, 1)).toBe(true);
        walk((d.toJS() as { kind?: string }).kind === 'Scenario' ? defs.scenario! : defs.manifest!, d.contents as Node, at);
      }
      const located = new Map<string, Map<number, Schema>>();
      located.set(file, at);
      for (const inc of includesOf(file)) {
        const m = new Map<number, Schema>();
        for (const d of parseAllDocuments(readFileSync(inc, 'utf8'))) {
          if (d.contents === null) continue;
          expect(validateManifest(d.toJS()), `${inc}: ${JSON.stringify(validateManifest.errors, null, 1)}`).toBe(true);
          expect(validateScenario(d.toJS()), `${inc}: ${JSON.stringify(validateScenario.errors, null, 1)}`).toBe(true);
          walk(defs.manifest!, d.contents as Node, m);
        }
        located.set(inc, m);
      }

      const records: { file: string; offset: number; known: readonly string[] }[] = [];
      acceptedKeys.record = (f, offset, known) => records.push({ file: isAbsolute(f) ? f : resolve(dirname(file), f), offset, known });
      const r = loadScenarioFile(file);
      expect(r.ok).toBe(true);
      expect(records.length).toBeGreaterThan(0);
      const problems: string[] = [];
      const where = (f: string, offset: number): string => `${f.slice(root.length + 1)}:${readFileSync(f, 'utf8').slice(0, offset).split('\n').length}`;
      for (const rec of records) {
        const s = located.get(rec.file)?.get(rec.offset);
        if (!s) {
          problems.push(`${where(rec.file, rec.offset)}: the loader reads a mapping (keys ${rec.known.join(', ')}) the schema does not describe`);
          continue;
        }
        const props = Object.keys((s.properties ?? {}) as object);
        const missing = rec.known.filter((k) => !props.includes(k));
        const extra = props.filter((k) => !rec.known.includes(k));
        if (missing.length > 0) problems.push(`${where(rec.file, rec.offset)}: the loader accepts ${missing.join(', ')}, the schema lacks ${missing.length > 1 ? 'them' : 'it'} (schema keys: ${props.join(', ')})`);
        if (extra.length > 0) problems.push(`${where(rec.file, rec.offset)}: the schema allows ${extra.join(', ')}, which the loader rejects`);
        if (s.additionalProperties !== false) problems.push(`${where(rec.file, rec.offset)}: the loader closes this mapping (${rec.known.join(', ')}); the schema leaves it open`);
      }
      expect(problems).toEqual([]);
    });
  }

  it('docs/scenario-format.md names every field the schema has', () => {
    const doc = readFileSync(join(root, 'docs', 'scenario-format.md'), 'utf8');
    const names = new Set<string>();
    const visit = (s: unknown): void => {
      if (!s || typeof s !== 'object') return;
      if (Array.isArray(s)) return s.forEach(visit);
      const o = s as Schema;
      if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) names.add(k);
      for (const v of Object.values(o)) visit(v);
    };
    visit(schema);
    // A field is documented when it appears as a word inside `code` (`cluster.nodes[].ip`, `{min, max}`).
    const words = new Set([...doc.replace(/```[\s\S]*?```/g, "").matchAll(/`([^`]+)`/g)].flatMap((m) => [m[1]!, ...m[1]!.split(/[^A-Za-z0-9_$]+/)]));
    const undocumented = [...names].filter((k) => !words.has(k));
    expect(undocumented).toEqual([]);
  });
});
