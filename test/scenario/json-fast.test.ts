import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { looksLikeJson, parseJsonDocument } from '../../src/scenario/load/json-fast.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { parseYamlTree } from '../../src/scenario/load/yaml-tree.js';

/** What the YAML path (the fast path turned off) makes of a text. */
const viaYaml = (text: string): Node | null | undefined => parseYamlTree('t', text, { fastJson: false }).docs[0]?.contents;

/** A node tree as the checks read it: kinds, values and source offsets. */
function shape(n: Node | null | undefined): unknown {
  if (isMap(n)) return { map: n.range?.[0], items: n.items.map((p) => [shape(p.key as Node), shape(p.value as Node)]) };
  if (isSeq(n)) return { seq: n.range?.[0], items: n.items.map((x) => shape(x as Node)) };
  if (isScalar(n)) return { scalar: n.range?.[0], value: n.value };
  return n;
}

const scenarios = readdirSync('scenarios').filter((f) => f.endsWith('.yaml'));

describe('JSON fast path of the YAML reader', () => {
  it.each(scenarios)('%s written as JSON: the same nodes at the same offsets as the YAML parser builds', (f) => {
    const obj = parseDocument(readFileSync(`scenarios/${f}`, 'utf8')).toJS();
    for (const text of [JSON.stringify(obj, null, 2), JSON.stringify(obj), `\n  ${JSON.stringify(obj, null, '\t')}\n`]) {
      const fast = parseJsonDocument(text);
      expect(fast).toBeDefined();
      expect(shape(fast!.contents)).toEqual(shape(viaYaml(text)));
      expect(shape(parseYamlTree('t', text).docs[0]!.contents)).toEqual(shape(viaYaml(text)));
    }
  });

  it('numbers, escapes, unicode and empty collections read as YAML reads them', () => {
    const text = '{"a": [0, -1, 1.5, 2e3, -0.25E-2, 12345678901234567890], "b": "tab\\t\\"q\\" \\u00e9 \\/", "c": {}, "d": [], "e": [true, false, null], "é": "ü"}';
    expect(shape(parseJsonDocument(text)!.contents)).toEqual(shape(viaYaml(text)));
  });

  it.each([
    ['a duplicate key', '{"a": 1, "a": 2}'],
    ['a trailing comma', '{"a": 1,}'],
    ['a YAML-only escape', '{"a": "\\x41"}'],
    ['an unquoted key', '{a: 1}'],
    ['text after the value', '{"a": 1} x'],
    ['an unterminated string', '{"a": "b'],
    ['a raw control character', '{"a": "b\u0001"}'],
    ['a comment', '{"a": 1} # c'],
    ['a "<<" key (merge-key rules)', '{"<<": {"a": 1}}'],
  ])('leaves %s to the YAML parser', (_why, text) => {
    expect(parseJsonDocument(text)).toBeUndefined();
  });

  it('problems keep their file:line:col (a JSON scenario with a wrong field)', () => {
    const text = '{\n  "apiVersion": "podwalk/v1alpha1",\n  "kind": "Scenario",\n  "metadata": {"name": "j"},\n  "cluster": {"network": "host-gw", "nodez": []}\n}\n';
    expect(looksLikeJson(text)).toBe(true);
    const r = loadScenarioText(text, 'j.json');
    expect(r.ok).toBe(false);
    const slow = loadScenarioText(`#\n${text}`, 'j.json'); // a comment first: the YAML parser reads it, one line down
    if (r.ok || slow.ok) return;
    expect(r.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`)).toEqual(slow.problems.map((p) => `${p.line - 1}:${p.col} ${p.path}: ${p.message}`));
    expect(r.problems[0]).toMatchObject({ file: 'j.json', line: 5 });
  });
});
