import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVERYTHING, KUBE_JUMPS, KUBE_NAT, load } from './netfilter-fixtures.js';

/**
 * Opt-in (root, iptables-legacy, unshare): load the same rules into a real
 * kernel in a fresh network namespace and compare iptables-legacy-save with
 * podwalk's save(), table by table. PODWALK_LINUX=1 npm test.
 */
function realSave(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'podwalk-nf-'));
  const paths = files.map((text, i) => {
    const p = join(dir, `rules${i}`);
    writeFileSync(p, text);
    return p;
  });
  const script = `${paths.map((p) => `iptables-legacy-restore --noflush ${p}`).join(' && ')} && iptables-legacy-save`;
  return execFileSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8' });
}

/** Table blocks without the comment lines, keyed by table (legacy's table order depends on history). */
function blocks(saved: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of saved.split(/^\*/m).slice(1)) {
    const lines = block.split('\n').filter((l) => l && !l.startsWith('#'));
    out.set(lines[0]!, lines.slice(1).join('\n'));
  }
  return out;
}

describe.skipIf(process.env.PODWALK_LINUX !== '1')('iptables-save matches real iptables', () => {
  it.each([
    ['kube-proxy', [KUBE_JUMPS, KUBE_NAT]],
    ['every match and target', [EVERYTHING]],
  ])('%s', (_name, files) => {
    const nf = load(files[0]!);
    for (const f of files.slice(1)) nf.restore(f, { noflush: true });
    expect(blocks(nf.save())).toEqual(blocks(realSave(files)));
  });
});
