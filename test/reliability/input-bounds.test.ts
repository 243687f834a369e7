// Inputs that once could crash or run away: an include glob over a symlink loop, and
// rollout surge/unavailable values far beyond the replica count.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const head = 'apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: t}\ncluster: {nodes: [{name: a}]}\n';

describe('include: over a symlink loop', () => {
  it('walks each real directory once and loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-loop-'));
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: p1}\nspec: {containers: [{name: c, image: i}]}\n');
    symlinkSync('.', join(dir, 'm', 'self')); // m/self -> m: m/self/self/... without end
    writeFileSync(join(dir, 's.yaml'), `${head}include: ['m/**/*.yaml']\n`);
    const r = loadScenarioFile(join(dir, 's.yaml'));
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.pods.filter((p) => !p.builtin).map((p) => p.name)).toEqual(['p1']);
  });
});

describe('rollout maxSurge / maxUnavailable', () => {
  const gallery = readFileSync(join(__dirname, '../../scenarios/gallery/rolling-update-resets.yaml'), 'utf8');
  it('caps a count or percentage far beyond the replica count and runs', () => {
    const text = gallery.replace('maxSurge: 1, maxUnavailable: 0, preStop: 0s', 'maxSurge: 2147483647, maxUnavailable: 0, preStop: 0s').replace('maxSurge: 1, maxUnavailable: 0, preStop: 5s', "maxSurge: '9999999999%', maxUnavailable: 0, preStop: 5s");
    const r = loadScenarioText(text, 'g.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const result = simulate(r.scenario, { detailed: false });
    expect(result.flows.length).toBeGreaterThan(0);
  });
  it.each(['1e300', "'99999999999%'"])('refuses %s: an intstr is an int32, as the API server says', (v) => {
    const r = loadScenarioText(gallery.replace('maxSurge: 1, maxUnavailable: 0, preStop: 0s', `maxSurge: ${v}, maxUnavailable: 0, preStop: 0s`), 'g.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatProblem(r.problems[0]!)).toMatch(/^g\.yaml:34:\d+: steps\[1\]\.rollout\.maxSurge: expected a count or a percentage/);
  });
});
