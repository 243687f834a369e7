import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { hasControl } from '../../src/trace/safe-text.js';

const root = join(import.meta.dirname, '..', '..');
const classic = readFileSync(join(root, 'scenarios', 'classic-walk.yaml'), 'utf8');

function runCli(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = cli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function scenarioFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'podwalk-rel-')), 's.yaml');
  writeFileSync(file, text);
  return file;
}

describe('durations and numbers are finite and in range at load time', () => {
  const huge = '9'.repeat(400);
  it.each([
    ['traffic at', classic.replace('    at: 1ms', `    at: ${huge}s`), /:48:9: traffic\[1\]\.at: expected a duration of at most 1000000s/],
    ['traffic interval', classic.replace('    at: 1ms', `    at: 1ms\n    count: 2\n    interval: ${huge}ms`), /:50:15: traffic\[1\]\.interval: expected a duration of at most 1000000s/],
    ['the last packet of a long series', classic.replace('    at: 1ms', '    at: 1ms\n    count: 100000\n    interval: 999999s'), /:50:15: traffic\[1\]\.interval: the last packet would be sent after 1000000s/],
    ['underlay latency', classic.replace('cluster:\n', `cluster:\n  underlay: {latency: ${huge}us}\n`), /cluster\.underlay\.latency: expected a duration of at most 1000000s/],
    ['underlay bandwidth of zero', classic.replace('cluster:\n', 'cluster:\n  underlay: {bandwidth: 0bit}\n'), /cluster\.underlay\.bandwidth: expected a rate from 1bit to 1000Tbit/],
  ])('%s: exit 2 with file:line:col, not a crash in run', (_, text, message) => {
    const r = runCli(['run', scenarioFile(text), '--quiet']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

describe('seeds: one rule for --seed and cluster.seed', () => {
  it.each(['4294967296', '', '1e20', '0x10', '-1', '1.5', ' 7'])('--seed %j is a usage error', (seed) => {
    const r = runCli(['run', '--seed', seed, '--quiet']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--seed: expected a decimal integer from 0 to 4294967295, found /);
  });

  it.each(['4294967296', '0x10', '1e3', '-1', '"abc"'])('cluster.seed: %s is refused at its position', (seed) => {
    const r = runCli(['validate', scenarioFile(classic.replace('cluster:\n', `cluster:\n  seed: ${seed}\n`))]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/s\.yaml:\d+:9: cluster\.seed: expected a decimal integer from 0 to 4294967295, found/);
  });

  it('accepts the largest seed in both places, with the same trace', () => {
    const a = runCli(['run', '--seed', '4294967295', '--json']);
    const b = runCli(['run', scenarioFile(classic.replace('cluster:\n', 'cluster:\n  seed: 4294967295\n')), '--json']);
    expect(a.code).toBe(0);
    expect(b.out.split('\n').slice(1)).toEqual(a.out.split('\n').slice(1));
  });
});

describe('expect.via naming a device that does not exist', () => {
  it('is invalid input (exit 2) with its position, not a failed expectation', () => {
    const r = runCli(['run', scenarioFile(classic.replace('node1:flannel.1', 'node1:flannel.9')), '--quiet']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/s\.yaml:53:44: traffic\[1\]\.expect\.via\[2\]: no device node1:flannel\.9 \(devices of node1: lo, eth0, cbr0, flannel\.1, /);
  });

  it('leaves no capture behind (pcap files are written while the run goes on)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-out-'));
    const r = runCli(['run', scenarioFile(classic.replace('node1:flannel.1', 'node1:flannel.9')), '--quiet', '--pcap', join(dir, 'p')]);
    expect(r.code).toBe(2);
    expect(readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.pcapng'))).toEqual([]);
  });
});

describe('output paths', () => {
  it('--pcap under a regular file is a usage error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-out-'));
    writeFileSync(join(dir, 'afile'), '');
    const r = runCli(['run', '--quiet', '--pcap', join(dir, 'afile', 'sub')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--pcap: cannot create directory .*afile\/sub: a component of the path is a file, not a directory$/m);
    const g = runCli(['run', '--quiet', '--golden', join(dir, 'afile'), '--update']);
    expect(g.code).toBe(2);
    expect(g.err).toMatch(/^--golden: .*afile\/classic-walk\.trace: cannot read: a path component is not a directory$/m);
  });

  it.runIf(existsSync('/proc/self'))('--pcap where no directory can ever be made (/proc) ends with exit 2, not a hang', () => {
    // Node's recursive mkdir retries ENOENT there forever; podwalk makes directories one component at a time.
    const r = runCli(['run', '--quiet', '--pcap', '/proc/podwalk-no-such-dir']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--pcap: cannot create directory \/proc\/podwalk-no-such-dir: no such file or directory, and it cannot be created there$/m);
  });

  it.each(['../escaped-by-name', 'sub/dir', '""', 'Upper', '-x', 'a..b'])('metadata.name %s is refused: names become file names and must stay inside the directory', (name) => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-out-'));
    const r = runCli(['run', scenarioFile(classic.replace(/^ {2}name: .*$/m, `  name: ${name}`)), '--quiet', '--golden', join(dir, 'g'), '--update']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/s\.yaml:4:9: metadata\.name: expected a name of lowercase letters, digits/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('messages never carry control characters', () => {
  it('escapes what the user typed, in usage errors too', () => {
    const r = runCli(['run', '--quiet', '--flow', 'x\u001b[2J\ny']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--flow: no traffic item x\\e[2J\\ny');
    expect(hasControl(r.err.replace(/\n/g, ''))).toBe(false);
    const u = runCli(['run', '--bogus\u001b[31m']);
    expect(u.code).toBe(2);
    expect(hasControl(u.err.replace(/\n/g, ''))).toBe(false);
  });

  it('truncates a long value', () => {
    const r = runCli(['validate', scenarioFile(classic.replace('cluster:\n', `cluster:\n  proxyMode: ${'x'.repeat(100_000)}\n`))]);
    expect(r.code).toBe(2);
    expect(Math.max(...r.err.split('\n').map((l) => l.length))).toBeLessThan(600);
    expect(r.err).toMatch(/…\(\+\d+ chars\)/);
  });
});

describe('--html output path', () => {
  it('under a regular file is a usage error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-out-'));
    writeFileSync(join(dir, 'afile'), '');
    const r = runCli(['run', '--quiet', '--html', join(dir, 'afile', 'walk.html')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--html: cannot create directory .*afile: /m);
  });
});
