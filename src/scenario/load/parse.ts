import { dirname, resolve } from 'node:path';
import { checkCluster } from '../check/check-cluster.js';
import { checkMatrix } from '../check/check-matrix.js';
import { checkSteps } from '../check/check-steps.js';
import { checkResources } from '../check/check-resources.js';
import { checkTraffic } from '../check/check-traffic.js';
import type { Problem, ProxyMode, Scenario } from '../types.js';
import { readInput } from './read-input.js';
import { formatProblem, YamlReader, type At } from './yaml-reader.js';

export { formatProblem };

export type LoadResult = { ok: true; scenario: Scenario } | { ok: false; problems: Problem[] };

const TOP = ['apiVersion', 'kind', 'metadata', 'cluster', 'resources', 'include', 'traffic', 'matrix', 'steps'];

/** Load a scenario file (and its `include:` manifests). Bad input never throws: it is reported. */
/** Command-line overrides of the file: `--seed`, `--proxy-mode`. */
export interface LoadOverrides {
  seed?: number;
  proxyMode?: ProxyMode;
}

export function loadScenarioFile(path: string, overrides: LoadOverrides = {}): LoadResult {
  const input = readInput(path);
  if ('error' in input) return { ok: false, problems: [{ file: path, line: 1, col: 1, path: '(file)', message: input.error }] };
  return loadScenarioText(input.text, path, overrides);
}

/** Load a scenario from YAML text; `file` names it in messages and anchors `include:` paths. */
export function loadScenarioText(text: string, file = '<inline>', overrides: LoadOverrides = {}): LoadResult {
  const r = new YamlReader(file, text);
  const readers = [r];
  const done = (): Problem[] =>
    readers
      .flatMap((x) => x.problems)
      .sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
  if (r.problems.length > 0) return { ok: false, problems: done() };
  if (r.docs.length !== 1) return { ok: false, problems: [{ file, line: 1, col: 1, path: '(file)', message: `expected exactly one YAML document, found ${r.docs.length}` }] };
  const root: At = { node: r.docs[0]!.contents, path: '', near: r.docs[0]!.start };
  const top = r.map(root, TOP);
  if (!top) return { ok: false, problems: done() };
  const need = (key: string): At => top.get(key) ?? { node: undefined, path: key, near: r.pos(root) };
  const apiVersion = r.str(need('apiVersion'), true);
  if (apiVersion !== undefined && apiVersion !== 'podwalk/v1alpha1') r.problem(need('apiVersion'), `expected podwalk/v1alpha1, found ${apiVersion}`);
  const kind = r.str(need('kind'), true);
  if (kind !== undefined && kind !== 'Scenario') r.problem(need('kind'), `expected Scenario, found ${kind}`);
  const meta = r.map(need('metadata'), ['name', 'description']);
  const name = r.str(meta?.get('name') ?? { node: undefined, path: 'metadata.name', near: r.pos(need('metadata')) }, true);
  const description = r.str(meta?.get('description')) ?? '';

  const cluster = checkCluster(r, need('cluster'), overrides.seed, overrides.proxyMode);
  const docs = r.list(need('resources')).map((at) => ({ r, at }));
  for (const inc of r.list(need('include'))) {
    const rel = r.str(inc, true);
    if (rel === undefined) continue;
    const p = resolve(dirname(file), rel);
    const input = readInput(p);
    if ('error' in input) {
      r.problem(inc, `included file ${rel}: ${input.error} (looked at ${p})`);
      continue;
    }
    const ir = new YamlReader(rel, input.text);
    readers.push(ir);
    ir.docs.forEach((d, i) => {
      if (d.contents !== null) docs.push({ r: ir, at: { node: d.contents, path: `${inc.path} (${rel}) doc ${i + 1}`, near: d.start } });
    });
  }
  const res = checkResources(docs, cluster, { r, at: need('cluster') });
  const traffic = cluster ? checkTraffic(r, top.get('traffic'), { cluster, pods: res.pods, services: res.services }) : [];
  const matrix = cluster ? checkMatrix(r, top.get('matrix'), new Set(res.pods.map((p) => `${p.namespace}/${p.name}`))) : undefined;
  const steps = cluster ? checkSteps(r, top.get('steps'), { pods: res.pods, namespaces: res.namespaces, cluster }) : [];
  const problems = done();
  if (problems.length > 0 || !cluster || name === undefined) return { ok: false, problems };
  return {
    ok: true,
    scenario: {
      file,
      name,
      description,
      cluster,
      namespaces: res.namespaces,
      pods: res.pods,
      services: res.services,
      endpointSlices: res.endpointSlices,
      dns: cluster.dns,
      networkPolicies: res.networkPolicies,
      ...(matrix ? { matrix } : {}),
      steps,
      traffic,
      ignored: res.ignored,
      warnings: readers.flatMap((x) => x.warnings),
    },
  };
}
