import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = cli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const LIST = join(process.cwd(), 'test', 'byoc', 'kubectl-get-all.yaml');

describe('podwalk init', () => {
  it('ships what its output points at: the schema, and the docs warnings name', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[] };
    expect(pkg.files).toEqual(expect.arrayContaining(['schema', 'docs']));
  });

  it('scaffolds a scenario around kubectl output that runs as is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-init-'));
    const file = join(dir, 'shop.yaml');
    const r = run(['init', LIST, '-o', file]);
    expect(r.code, r.err).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=\S+podwalk-scenario\.schema\.json$/);
    // The editor resolves the path against the scenario file: it must lead to the schema podwalk ships.
    const schemaPath = resolve(dirname(file), text.split('\n')[0]!.split('$schema=')[1]!);
    expect(existsSync(schemaPath), schemaPath).toBe(true);
    expect(schemaPath).toBe(resolve('schema', 'podwalk-scenario.schema.json'));
    expect(text).toContain('kubectl-get-all.yaml');
    // The cluster comes from the file's Node objects; one flow per Service, from workloads.
    expect(text).toContain('from: deployment/shop/frontend');
    expect(text).toContain('to: service/shop/cart');

    const ran = run(['run', file, '--quiet']);
    expect(ran.code, ran.err).toBe(0);
    const loaded = loadScenarioFile(file);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.scenario.cluster.nodes.map((n) => n.name)).toEqual(['kind-control-plane', 'kind-worker', 'kind-worker2']);
    const flows = simulate(loaded.scenario).flows;
    expect(flows.length).toBe(3);
    for (const f of flows) expect(f.verdict === 'delivered' || (f.verdict === 'dropped' && f.dropReason !== undefined)).toBe(true);
    expect(flows.filter((f) => f.verdict === 'delivered').length).toBeGreaterThan(0);
  });

  it('uses the default cluster for manifests without Node objects, and writes to stdout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-init-'));
    writeFileSync(
      join(dir, 'app.yaml'),
      [
        'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: web}', 'spec:', '  replicas: 2', '  selector: {matchLabels: {app: web}}',
        '  template:', '    metadata: {labels: {app: web}}', '    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}',
        '---', 'apiVersion: v1', 'kind: Service', 'metadata: {name: web}', 'spec: {selector: {app: web}, ports: [{port: 80}]}', '',
      ].join('\n'),
    );
    const r = run(['init', dir, '-o', join(dir, 'out', '..', 'scenario.yml')]);
    // The scenario would land in the directory it includes: refused.
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/which it includes/);
    const file = join(dir, 'scenario.yaml');
    const ok = run(['init', join(dir, 'app.yaml'), '-o', file]);
    expect(ok.code, ok.err).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/nodes:\n {4}- name: node1\n {4}- name: node2\n/);
    expect(text).toContain('from: deployment/default/web');
    expect(text).toContain('# Manifest files and directories, relative to this file.\ninclude:\n  - app.yaml\n');
    // The bridge knob is visible, with what a flannel node calls its bridge (reviewer hreview-user #5).
    expect(text).toContain('  bridge: cbr0 # the CNI bridge: a flannel node names it cni0');
    const ran = run(['run', file, '--quiet']);
    expect(ran.code, ran.err).toBe(0);
    expect(ran.out).toContain('web-to-web: TCP, delivered');

    const stdout = run(['init', LIST]);
    expect(stdout.code).toBe(0);
    expect(stdout.out).toMatch(/^# yaml-language-server: /);
    expect(stdout.out).toContain('  - test/byoc/kubectl-get-all.yaml\n');
    // On stdout the paths are relative to the current directory, and the comment says so.
    expect(stdout.out).toContain('# Manifest files and directories, relative to the directory podwalk init ran in (save this file there).\ninclude:\n');
  });

  it('refuses bad paths and existing files with exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-init-'));
    const missing = run(['init', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^init: .*nope\.yaml: cannot read: no such file\n$/);
    expect(run(['init']).code).toBe(2);
    const file = join(dir, 'exists.yaml');
    writeFileSync(file, 'keep me\n');
    const refused = run(['init', LIST, '-o', file]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/exists; use --force/);
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
    expect(run(['init', LIST, '-o', file, '--force']).code).toBe(0);
    expect(run(['init', LIST, '--force']).code).toBe(2);
    // Bad manifests: the loader's file:line:col problems, exit 2.
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: many}]}\n');
    const bad = run(['init', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/bad\.yaml:4:\d+: /);
  });
});
