import { basename, dirname, extname, relative } from 'node:path';
import { checkCluster } from '../check/check-cluster.js';
import { checkMatrix } from '../check/check-matrix.js';
import { policyNamesWithSteps, servicesCreatedBySteps } from '../check/check-service-steps.js';
import { checkSteps } from '../check/check-steps.js';
import { checkResources, printedServiceAddresses, readNodeObjects } from '../check/check-resources.js';
import { checkTraffic } from '../check/check-traffic.js';
import { importWarnings } from '../check/import-addresses.js';
import { readPrintedConfig } from '../check/printed-config.js';
import { nodesOfPrintedPods } from '../check/pod-nodes.js';
import type { Problem, ProxyMode, Scenario } from '../types.js';
import { kindOf, objectsIn, type ObjectDoc } from './documents.js';
import { includedFiles } from './include.js';
import { printable } from '../../trace/safe-text.js';
import { readInput } from './read-input.js';
import { formatProblem, YamlReader, type At } from './yaml-reader.js';

export { formatProblem };

export type LoadResult = { ok: true; scenario: Scenario } | { ok: false; problems: Problem[] };

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const TOP = ['apiVersion', 'kind', 'metadata', 'cluster', 'resources', 'include', 'traffic', 'matrix', 'steps'];
/** Keys only a scenario has: a document with one of them is the scenario, whatever else is wrong with it. */
const SCENARIO_ONLY = ['cluster', 'resources', 'include', 'traffic', 'matrix', 'steps'];
/** The cluster plain manifests run on (docs/scenario-format.md "Plain manifests"). */
export const DEFAULT_NODES = ['node1', 'node2'];

/** Command-line overrides of the file: `--seed`, `--proxy-mode`. */
export interface LoadOverrides {
  seed?: number;
  proxyMode?: ProxyMode;
}

/** Load a scenario file (and its `include:` manifests). Bad input never throws: it is reported. */
export function loadScenarioFile(path: string, overrides: LoadOverrides = {}): LoadResult {
  const input = readInput(path);
  if ('error' in input) return { ok: false, problems: [{ file: path, line: 1, col: 1, path: '(file)', message: input.error }] };
  return loadScenarioText(input.text, path, overrides);
}

/**
 * Load a scenario from YAML text; `file` names it in messages and anchors
 * `include:` paths. The text may hold one Scenario document plus any number
 * of Kubernetes objects (`---`-separated, or in `kind: List`s), or only
 * Kubernetes objects: then they run on the default cluster (and a warning
 * says so).
 */
export function loadScenarioText(text: string, file = '<inline>', overrides: LoadOverrides = {}): LoadResult {
  const r = new YamlReader(file, text);
  const readers = [r];
  const done = (): Problem[] =>
    readers
      .flatMap((x) => x.problems)
      .sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
  if (r.problems.length > 0) return { ok: false, problems: done() };
  const docs: At[] = r.docs.flatMap((d, i) => (isEmpty(d.contents) ? [] : [{ node: d.contents, path: `doc ${i + 1}`, near: d.start }]));
  const scenarioDocs = docs.filter(isScenarioDoc);
  for (const extra of scenarioDocs.slice(1)) r.problem(extra, `a file holds at most one Scenario document (the first is at line ${r.pos(scenarioDocs[0]!).line}); put the others in files of their own`);
  if (docs.length === 0) return { ok: false, problems: [{ file, line: 1, col: 1, path: '(file)', message: 'empty: expected a Scenario (apiVersion: podwalk/v1alpha1, kind: Scenario) or Kubernetes manifests' }] };
  const scenarioDoc = scenarioDocs[0];
  // Objects after (or before) the Scenario document, or every document of a plain manifest file.
  let objects: ObjectDoc[] = docs.filter((d) => !isScenarioDoc(d)).flatMap((d) => objectsIn(r, d));

  const root: At = scenarioDoc ? { ...scenarioDoc, path: '' } : { node: undefined, path: '', near: { file, line: 1, col: 1 } };
  const top = scenarioDoc ? r.map(root, TOP) : new Map<string, At>();
  if (!top) return { ok: false, problems: done() };
  const need = (key: string): At => top.get(key) ?? { node: undefined, path: key, near: r.pos(root) };
  let name: string | undefined;
  let description = '';
  if (scenarioDoc) {
    const apiVersion = r.str(need('apiVersion'), true);
    if (apiVersion !== undefined && apiVersion !== 'podwalk/v1alpha1') r.problem(need('apiVersion'), `expected podwalk/v1alpha1, found ${apiVersion}`);
    const kind = r.str(need('kind'), true);
    if (kind !== undefined && kind !== 'Scenario') r.problem(need('kind'), `expected Scenario, found ${kind}`);
    const meta = r.map(need('metadata'), ['name', 'description']);
    name = r.str(meta?.get('name') ?? { node: undefined, path: 'metadata.name', near: r.pos(need('metadata')) }, true);
    // The name becomes output file names (--golden, --pcap): a Kubernetes object name (DNS subdomain), so never a path.
    if (name !== undefined && (name.length > 253 || !DNS_SUBDOMAIN.test(name))) r.problem(meta!.get('name')!, `expected a name of lowercase letters, digits, '-' and '.' (at most 253, starting and ending with a letter or digit), found "${printable(name)}"`);
    description = r.str(meta?.get('description')) ?? '';
  } else {
    name = basename(file, extname(file)) || 'manifests';
    description = `the manifests in ${file} on the default cluster`;
  }

  // concat, not unshift(...): a spread of 160,000 objects (Kubernetes' largest cluster) overflows the call stack.
  objects = r.list(need('resources')).flatMap((at) => objectsIn(r, at)).concat(objects);
  for (const inc of r.list(need('include'))) {
    const entry = r.str(inc, true);
    if (entry === undefined) continue;
    const found = includedFiles(file === '<inline>' ? '.' : dirname(file), entry);
    if ('error' in found) {
      r.problem(inc, found.error);
      continue;
    }
    for (const p of found.files) {
      const input = readInput(p);
      if ('error' in input) {
        r.problem(inc, `included file ${entry}: ${input.error} (looked at ${p})`);
        continue;
      }
      const incText = input.text;
      // Messages name included files as the scenario's include: would reach them.
      const shown = file === '<inline>' ? p : relative(dirname(file), p) || p;
      const ir = new YamlReader(shown, incText);
      readers.push(ir);
      ir.docs.forEach((d, i) => {
        if (!isEmpty(d.contents)) objects = objects.concat(objectsIn(ir, { node: d.contents, path: `doc ${i + 1}`, near: d.start }));
      });
    }
  }

  const nodeObjects = readNodeObjects(objects);
  const printed = readPrintedConfig(objects);
  const cluster = checkCluster(r, need('cluster'), {
    printed,
    podNodes: nodesOfPrintedPods(objects),
    ...(overrides.seed === undefined ? {} : { seed: overrides.seed }),
    ...(overrides.proxyMode === undefined ? {} : { proxyMode: overrides.proxyMode }),
    nodeObjects,
    printedServices: printedServiceAddresses(objects),
    ...(scenarioDoc ? {} : { defaultNodes: DEFAULT_NODES }),
  });
  if (!scenarioDoc && cluster) {
    const from = nodeObjects.length > 0 ? `the ${nodeObjects.length} Node object${nodeObjects.length > 1 ? 's' : ''}` : `${cluster.nodes.length} nodes (${cluster.nodes.map((n) => n.name).join(', ')})`;
    const network = `${cluster.network}${printed.network?.value === cluster.network ? ` (${printed.network.from})` : ''}`;
    const proxy = `kube-proxy ${cluster.proxyMode}${printed.proxyMode?.value === cluster.proxyMode && overrides.proxyMode === undefined ? ` (${printed.proxyMode.from})` : ''}`;
    r.warn({ ...root, path: '(file)' }, `no Scenario document: running the manifests on the default cluster (${from}, ${network}, ${proxy}, cluster DNS; see docs/scenario-format.md) with no traffic: add a Scenario document with traffic: to send some`);
  }
  const res = checkResources(objects, cluster, { r, at: need('cluster') });
  if (cluster) r.warnings.push(...importWarnings(cluster, res.pods, res.services, res.endpointSlices, res.networkPolicies.length));
  const steps = cluster ? checkSteps(r, top.get('steps'), { pods: res.pods, podTemplates: res.podTemplates, namespaces: res.namespaces, services: res.services, networkPolicies: res.networkPolicies, cluster }) : [];
  // Traffic may name a Service a step creates (by name, or a DNS name CoreDNS will know by then).
  const traffic = cluster ? checkTraffic(r, top.get('traffic'), { cluster, pods: res.pods, namespaces: res.namespaces.map((n) => n.name), pending: res.pending, finished: res.finished, services: [...res.services, ...servicesCreatedBySteps(steps, res.services)], policies: policyNamesWithSteps(steps, res.networkPolicies) }) : [];
  const matrix = cluster ? checkMatrix(r, top.get('matrix'), new Set(res.pods.map((p) => `${p.namespace}/${p.name}`))) : undefined;
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
      ...(res.podTemplates.length > 0 ? { podTemplates: res.podTemplates } : {}),
      services: res.services,
      endpointSlices: res.endpointSlices,
      dns: cluster.dns,
      networkPolicies: res.networkPolicies,
      ingresses: res.ingresses,
      ingressClasses: res.ingressClasses,
      ...(matrix ? { matrix } : {}),
      steps,
      traffic,
      ignored: res.ignored,
      ...(printed.flannel || printed.network || printed.proxyMode ? { printedConfig: { flannel: printed.flannel, ...(printed.network ? { network: { value: printed.network.value, from: printed.network.from } } : {}), ...(printed.proxyMode ? { proxyMode: { value: printed.proxyMode.value, from: printed.proxyMode.from } } : {}) } } : {}),
      warnings: readers.flatMap((x) => x.warnings),
    },
  };
}

function isEmpty(n: unknown): boolean {
  return n === null || n === undefined || (typeof n === 'object' && 'value' in (n as object) && (n as { value: unknown }).value === null);
}

/** The Scenario document: `kind: Scenario`, a `podwalk/...` apiVersion, or a key only scenarios have. */
function isScenarioDoc(at: At): boolean {
  if (kindOf(at) === 'Scenario') return true;
  const n = at.node as { get?: (k: string) => unknown; has?: (k: string) => boolean } | null;
  if (!n?.has) return false;
  const api = n.get?.('apiVersion');
  return (typeof api === 'string' && api.startsWith('podwalk/')) || SCENARIO_ONLY.some((k) => n.has!(k));
}
