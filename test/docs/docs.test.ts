/**
 * The user-facing docs (README.md, docs/, bench/README.md) must stay true to the repository:
 * - every relative link resolves, to a file and, with `#anchor`, to a heading of it;
 * - every file a doc names in `code` (`scenarios/x.yaml`, `src/...`, `test/...`) exists;
 * - every YAML example of the scenario format is valid against the JSON Schema (fragments are
 *   completed into a minimal scenario first), and a whole scenario loads;
 * - the error messages docs/scenario-format.md shows are what `podwalk validate` prints;
 * - docs/architecture.md's tree names every folder of src/, and the `Class.member`s it names exist;
 * - the README's CLI synopsis uses only options and views the commands' --help lists.
 * Kept fast: no simulation runs.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { scenarioSchema } from '../../src/scenario/load/schema.js';

const root = join(import.meta.dirname, '..', '..');
const docs = ['README.md', 'bench/README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (f: string): string => readFileSync(join(root, f), 'utf8');
/** The text outside fenced blocks (what Markdown renders as prose, links and headings). */
const prose = (t: string): string => t.replace(/^```[\s\S]*?^```/gm, '');
const lineOf = (t: string, index: number): number => t.slice(0, index).split('\n').length;

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to '-', repeats numbered. */
function anchors(t: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of prose(t).matchAll(/^#{1,6}\s+(.*?)\s*#*$/gm)) {
    const slug = m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

describe('docs', () => {
  it('every relative link resolves (file, and heading for #anchors)', () => {
    const broken: string[] = [];
    for (const f of docs) {
      const t = text(f);
      for (const m of prose(t).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
        const [path, anchor] = link.split('#');
        const target = path ? join(dirname(f), path) : f;
        if (!existsSync(join(root, target))) broken.push(`${f}: ${link}: no ${target}`);
        else if (anchor !== undefined && target.endsWith('.md') && !anchors(text(target)).has(anchor)) broken.push(`${f}: ${link}: no heading #${anchor} in ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every repository file named in `code` exists', () => {
    const missing: string[] = [];
    for (const f of docs) {
      const t = text(f);
      for (const m of t.matchAll(/`((?:src|test|scenarios|docs|schema|bin|bench)\/[^`\s]*)[^`]*`/g)) {
        const p = m[1]!.replace(/[.:,]$/, '');
        if (/[*?{<]/.test(p) || p.startsWith('bench/out/')) continue; // globs and placeholders; the benchmark's untracked output
        if (!existsSync(join(root, p))) missing.push(`${f}:${lineOf(t, m.index)}: ${p}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('docs/architecture.md describes every folder of src/ in its tree', () => {
    const tree = /^```\n([\s\S]*?)^```/m.exec(text('docs/architecture.md'))![1]!;
    const listed = new Set([...tree.matchAll(/^\s*((?:src\/)?[a-z0-9-]+\/)\s/gm)].map((m) => m[1]!.replace(/^src\//, '')));
    const folders = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .flatMap((d) => [`${dir}/${d.name}`, ...folders(`${dir}/${d.name}`)]);
    expect(folders('src').filter((d) => !listed.has(`${d.split('/').pop()}/`))).toEqual([]);
  });

  it('docs/architecture.md names only classes and members that exist (`Fib.lookup`)', () => {
    const ts = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? ts(`${dir}/${d.name}`) : d.name.endsWith('.ts') ? [`${dir}/${d.name}`] : []));
    const src = ts('src').map(text).join('\n');
    const t = text('docs/architecture.md');
    const gone = [...new Set([...t.matchAll(/`([A-Z][A-Za-z0-9]+)\.([A-Za-z][A-Za-z0-9]*)`/g)].map((m) => `${m[1]}.${m[2]}`))].filter((name) => {
      const [cls, member] = name.split('.');
      return !new RegExp(`\\b(class|interface|type|const|function) ${cls}\\b`).test(src) || !new RegExp(`\\b${member}\\b`).test(src);
    });
    expect(gone).toEqual([]);
  });

  it("the README's CLI synopsis names only options and views `podwalk <command> --help` lists", () => {
    const readme = text('README.md');
    const block = /## CLI\n\n```\n([\s\S]*?)```/.exec(readme)![1]!;
    const unknown: string[] = [];
    for (const line of block.split('\n').filter((l) => l.startsWith('podwalk '))) {
      const words = line.replace(/#.*$/, '').split(/\s+/);
      const command = words[1] === 'bench' ? ['bench', words[2]!] : [words[1]!];
      let help = '';
      cli([...command, '--help'], { out: (s) => (help += s), err: (s) => (help += s) });
      for (const m of line.replace(/#.*$/, '').matchAll(/(?<![\w-])(--?[a-z][a-z-]*)/g)) if (!help.includes(m[1]!)) unknown.push(`${command.join(' ')}: ${m[1]}`);
      // `show`'s views: each one the help's `what` argument lists.
      if (command[0] === 'show') for (const v of /\[(routes\|[^\]]*)\]/.exec(line)![1]!.split('|')) if (!new RegExp(`\\b${v}\\b`).test(help)) unknown.push(`show: ${v}`);
    }
    expect(unknown).toEqual([]);
  });

  describe('YAML examples of the scenario format are valid', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(scenarioSchema());
    const base = { apiVersion: 'podwalk/v1alpha1', kind: 'Scenario', metadata: { name: 'doc-example' }, cluster: { nodes: [{ name: 'node1' }, { name: 'node2' }] } };
    for (const f of docs) {
      const t = text(f);
      // A fence may be indented (inside a list item): its lines lose that indentation.
      for (const m of t.matchAll(/^( *)```yaml\n([\s\S]*?)^ *```/gm)) {
        const yaml = m[2]!.replace(new RegExp(`^${m[1]}`, 'gm'), '');
        it(`${f}:${lineOf(t, m.index)}`, () => {
          const frag = (parse(yaml) ?? {}) as Record<string, unknown>;
          // An expect: block alone belongs to a traffic item.
          const body = 'expect' in frag ? { traffic: [{ name: 'x', from: 'pod/a', to: 'pod/b', port: 80, expect: frag.expect }] } : frag;
          const doc = { ...base, ...body, cluster: { ...base.cluster, ...((body.cluster as object | undefined) ?? {}) } };
          expect(validate(doc), JSON.stringify(validate.errors, null, 1)).toBe(true);
          if ('apiVersion' in frag && 'metadata' in frag) {
            const r = loadScenarioText(yaml, `${f}:${lineOf(t, m.index)}`);
            expect(r.ok ? [] : r.problems.map((p) => p.message)).toEqual([]);
          }
        });
      }
    }
  });

  it('docs/scenario-format.md shows the messages `podwalk validate` prints', () => {
    const t = text('docs/scenario-format.md');
    const shown = [...t.matchAll(/\(`podwalk validate ([\w-]+\.yaml)`[^\n]*\n*```\n([\s\S]*?)```/g)];
    expect(shown.length).toBeGreaterThan(0);
    for (const [, file, block] of shown) {
      let err = '';
      const code = cli(['validate', join('test', 'docs', file!)], { out: () => undefined, err: (s) => (err += s) });
      expect(code).toBe(2);
      expect(err.replaceAll(join('test', 'docs', '/'), '')).toBe(block);
    }
  });
});
