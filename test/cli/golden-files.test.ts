import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

const root = join(import.meta.dirname, '..', '..');
const golden = join(root, 'test', 'golden');

/** Every checked-in golden trace still matches its scenario's walk, byte for byte. */
describe('checked-in golden traces', () => {
  for (const f of readdirSync(golden).filter((x) => x.endsWith('.trace'))) {
    it(f, () => {
      let out = '';
      const code = cli(['run', join(root, 'scenarios', f.replace(/\.trace$/, '.yaml')), '--golden', golden, '--quiet'], { out: (s) => (out += s), err: (s) => (out += s) });
      expect(code, out).toBe(0);
    });
  }
});
