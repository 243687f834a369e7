/**
 * A few mutants through the real command (`node bin/podwalk.js`), with the
 * outputs that write files (--pcap, --pcap-per-interface, --html, --golden
 * --update, init -o): the process must end with exit 0, 1 or 2 and the
 * contract of outcome.ts, and write nothing outside the directories and
 * files the command line named. The process runs in a workspace of its own
 * (its current directory, and its TMPDIR, where --json spools flow records):
 * afterwards the workspace holds the inputs, the named outputs and nothing
 * else, and the TMPDIR is empty again.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCorpus } from './corpus.js';
import { mutate, rng } from './mutate.js';
import { violations } from './outcome.js';

const SEED = Number(process.env.PODWALK_FUZZ_SEED ?? 20261205);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'podwalk.js');
/** Small scenarios whose mutants run in well under a second each: the original first, then mutants. */
const BASES = ['scenarios/classic-walk.yaml', 'scenarios/classic-walk.yaml', 'scenarios/service-clusterip.yaml', 'scenarios/netpol-default-deny.yaml'];

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('fuzz: mutants through the real command, writing files only where told', () => {
  it('ends with exit 0, 1 or 2 and leaves only the named outputs', () => {
    const corpus = makeCorpus();
    const ws = mkdtempSync(join(tmpdir(), 'podwalk-fuzz-ws-'));
    const tmp = join(ws, 'tmp');
    mkdirSync(tmp);
    const r = rng(SEED);
    const inputs = BASES.map((base, i) => {
      const file = join(ws, `in${i}.yaml`);
      if (i === 0) copyFileSync(join(corpus.root, base), file);
      else writeFileSync(file, mutate(r, corpus.text(base)).text);
      return file;
    });
    const before = files(ws);
    // Every writing option in one run of each input; the other commands once each, on some mutant.
    const commands = [
      ...inputs.map((f, i) => ['run', f, '--json', '--pcap', `out${i}/pcap`, '--pcap-per-interface', '--html', `out${i}/walk.html`, '--golden', `out${i}/golden`, '--update']),
      ['show', inputs[1]!, 'iptables', '--node', 'node1', '-c'],
      ['matrix', inputs[2]!, '--json'],
      ['compare', inputs[3]!, '--json'],
      ['init', inputs[3]!, '-o', 'out3/init.yaml'],
    ];
    const failures: string[] = [];
    for (const cmd of commands) {
      const p = spawnSync(process.execPath, [bin, ...cmd], { cwd: ws, env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
      const o = { code: p.status ?? -1, out: p.stdout, err: p.stderr };
      const bad = violations(o, '');
      if (bad.length > 0) failures.push(`${bad.join('; ')}\n  podwalk ${cmd.join(' ')} (in ${ws})\n  ${o.err.slice(0, 600)}`);
    }
    expect(failures.join('\n\n')).toBe('');
    // The original wrote every output (so the check below looked at real writes).
    expect(files(ws)).toEqual(expect.arrayContaining(['out0/walk.html', 'out0/golden/classic-walk.trace', 'out0/pcap/classic-walk.node1_eth0.pcapng']));
    const named = /^out\d+(\/|$)/;
    expect(files(ws).filter((f) => !before.includes(f) && !named.test(f))).toEqual([]);
    expect(files(tmp)).toEqual([]);
    rmSync(ws, { recursive: true, force: true });
    rmSync(corpus.root, { recursive: true, force: true });
  }, 180_000);
});
