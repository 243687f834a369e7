/**
 * What an installed package holds, as `npm pack` lists it: stack frames
 * (vitest prints them through the source maps) must name files the package
 * ships, and the `exports` map must not let TypeScript accept a `require`
 * Node refuses (the package is ESM only).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('the packed package', () => {
  it("every source map's sources are files the package ships", () => {
    // --ignore-scripts: list what is there (npm test builds dist first), not build again.
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
    const maps = [...files].filter((f) => f.startsWith('dist/') && f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(100);
    const missing: string[] = [];
    for (const m of maps) {
      if (!existsSync(join(root, m))) continue;
      const map = JSON.parse(readFileSync(join(root, m), 'utf8')) as { sources: string[] };
      for (const s of map.sources) {
        const p = normalize(join(dirname(m), s));
        if (!files.has(p)) missing.push(`${m} -> ${p}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('exports: types only under import (ESM only, so tsc refuses require as Node does)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      const t = target as Record<string, unknown>;
      expect(Object.keys(t), entry).toEqual(['import']);
      expect(Object.keys(t.import as object), entry).toEqual(['types', 'default']);
    }
  });
});
