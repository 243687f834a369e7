import { statSync } from 'node:fs';
import { basename, extname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PodSpec, Problem, Scenario, ServiceSpec } from '../types.js';
import { DEFAULT_NODES, loadScenarioText } from '../load/parse.js';
import { readInput } from '../load/read-input.js';
import { includedFiles } from '../load/include.js';

/**
 * The JSON Schema this copy of podwalk ships (`schema/` at the package root:
 * this file is three folders below it, as src/ or as dist/).
 */
const SHIPPED_SCHEMA = fileURLToPath(new URL('../../../schema/podwalk-scenario.schema.json', import.meta.url));

/**
 * The editor line docs/scenario-format.md documents ("Editor support"). The
 * YAML language server resolves a relative `$schema` against the scenario
 * file, so the path is written from the scenario's folder to the schema of
 * the podwalk that wrote it (installed in node_modules or a checkout).
 */
export function schemaLine(scenarioFile: string): string {
  const rel = relative(resolve(scenarioFile, '..'), SHIPPED_SCHEMA).split(sep).join('/');
  return `# yaml-language-server: $schema=${rel.startsWith('.') ? rel : `./${rel}`}`;
}

export type ScaffoldResult = { ok: true; text: string } | { ok: false; error: string } | { ok: false; problems: Problem[] };

/**
 * A scenario around existing manifests (`podwalk init`): an `include:` of
 * them, relative to `scenarioFile`; the cluster from their Node objects or
 * the default cluster plain manifests run on; one example traffic item per
 * Service. The manifests are loaded through the ordinary loader, so the
 * scaffold names only pods and Services podwalk will really create, and the
 * result is loaded once more before it is returned: it runs as is.
 */
export function scaffoldScenario(manifests: string[], scenarioFile: string, opts: { stdout?: boolean } = {}): ScaffoldResult {
  const dir = resolve(scenarioFile, '..');
  const includes: string[] = [];
  for (const m of manifests) {
    let isDir = false;
    try {
      isDir = statSync(m).isDirectory();
    } catch {
      // readInput says why, in words (not ENOENT).
    }
    // A file is read as the loader will read it: a device or FIFO (/dev/null, <(cmd)) is named here, not as a
    // problem at an include line of a scenario that was never written.
    const input = isDir ? undefined : readInput(m);
    if (input && 'error' in input) return { ok: false, error: `init: ${m}: ${input.error}` };
    // So are a directory with no manifest in it and a file in one that cannot be read (a dangling symlink).
    if (isDir) {
      const found = includedFiles('.', m);
      if ('error' in found) return { ok: false, error: `init: ${m}: a directory with no .yaml, .yml or .json file in it` };
      for (const f of found.files) {
        const r = readInput(f);
        if ('error' in r) return { ok: false, error: `init: ${f}: ${r.error}` };
      }
    }
    const abs = resolve(m);
    // A directory include reads every .yaml in it: the scenario itself must not be one of them.
    if (isDir && abs === dir && /\.(ya?ml|json)$/.test(scenarioFile)) return { ok: false, error: `init: the scenario ${scenarioFile} would be written into ${m}, which it includes: write it elsewhere (-o)` };
    if (!isDir && abs === resolve(scenarioFile)) return { ok: false, error: `init: ${m} is the output file itself` };
    includes.push(relative(dir, abs).split(sep).join('/') || '.');
  }
  const name = scenarioName(scenarioFile, manifests[0]!);

  // First pass: the manifests alone, to learn their nodes, pods and Services.
  const base = loadScenarioText(render(name, includes, undefined, [], schemaLine(scenarioFile), 0, opts.stdout, undefined), scenarioFile);
  if (!base.ok) {
    // Without Node objects a Scenario must name its nodes: retry on the default cluster's.
    if (!base.problems.some((p) => p.path === 'cluster.nodes' && p.message.includes('at least one node'))) return { ok: false, problems: base.problems };
    const withDefaults = loadScenarioText(render(name, includes, DEFAULT_NODES, [], schemaLine(scenarioFile), 0, opts.stdout, undefined), scenarioFile);
    if (!withDefaults.ok) return { ok: false, problems: withDefaults.problems };
    return finish(name, includes, DEFAULT_NODES, withDefaults.scenario, scenarioFile, opts.stdout);
  }
  return finish(name, includes, undefined, base.scenario, scenarioFile, opts.stdout);
}

function finish(name: string, includes: string[], nodes: string[] | undefined, scenario: Scenario, scenarioFile: string, stdout?: boolean): ScaffoldResult {
  const text = render(name, includes, nodes, exampleTraffic(scenario), schemaLine(scenarioFile), scenario.cluster.nodes.length, stdout, clusterLines(scenario));
  const check = loadScenarioText(text, scenarioFile);
  return check.ok ? { ok: true, text } : { ok: false, problems: check.problems };
}

interface TrafficItem {
  name: string;
  from: string;
  to: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  note: string;
}

/**
 * One item per Service: from a pod of another workload (same namespace
 * first, where NetworkPolicies are most likely to allow it), else from the
 * first workload, to the Service's first port.
 */
function exampleTraffic(s: Scenario): TrafficItem[] {
  const pods = s.pods.filter((p) => !p.builtin);
  if (pods.length === 0) return [];
  const items: TrafficItem[] = [];
  const used = new Set<string>();
  for (const svc of s.services) {
    if (svc.builtin || svc.type === 'ExternalName' || (svc.namespace === 'default' && svc.name === 'kubernetes')) continue;
    const port = svc.ports[0];
    if (!port || port.protocol === 'SCTP') continue;
    const backends = new Set(pods.filter((p) => selects(svc, p)).map(workloadOf));
    // A client from the pod network: a hostNetwork pod (kube-proxy, flanneld, a static control-plane pod) sends as its node.
    const others = pods.filter((p) => !backends.has(workloadOf(p)) && !p.hostNetwork).concat(pods.filter((p) => !backends.has(workloadOf(p)) && p.hostNetwork));
    const from = others.find((p) => p.namespace === svc.namespace) ?? others[0] ?? pods[0]!;
    const fromRef = workloadRef(from);
    let itemName = `${shortName(from)}-to-${svc.name}`;
    for (let i = 2; used.has(itemName); i++) itemName = `${shortName(from)}-to-${svc.name}-${i}`;
    used.add(itemName);
    items.push({
      name: itemName,
      from: fromRef,
      // A headless Service has no cluster IP: its DNS name resolves to its pods.
      to: svc.headless ? `${svc.name}.${svc.namespace}` : `service/${svc.namespace}/${svc.name}`,
      port: port.port,
      protocol: port.protocol,
      note: `${svc.namespace}/${svc.name} port ${port.name || port.port}${svc.headless ? ' (headless: by DNS name)' : ''}`,
    });
  }
  return items;
}

function selects(svc: ServiceSpec, p: PodSpec): boolean {
  if (!svc.selector || svc.namespace !== p.namespace) return false;
  return Object.entries(svc.selector).every(([k, v]) => p.labels[k] === v);
}

function workloadOf(p: PodSpec): string {
  return p.owner ? `${p.namespace}/${p.owner.kind}/${p.owner.name}` : `${p.namespace}/Pod/${p.name}`;
}

/** The workload-reference form (docs/scenario-format.md `traffic[]`) naming this pod's workload. */
function workloadRef(p: PodSpec): string {
  switch (p.owner?.kind) {
    case 'Deployment':
      return `deployment/${p.namespace}/${p.owner.name}`;
    case 'ReplicaSet':
      return `replicaset/${p.namespace}/${p.owner.name}`;
    case 'StatefulSet':
      return `statefulset/${p.namespace}/${p.name}`;
    case 'DaemonSet':
      return `daemonset/${p.namespace}/${p.owner.name}@${p.nodeName}`;
    default:
      return `pod/${p.namespace}/${p.name}`;
  }
}

function shortName(p: PodSpec): string {
  return p.owner && p.owner.kind !== 'StatefulSet' ? p.owner.name : p.name;
}

/** metadata.name: the output file's name (or the first manifest's), as a DNS subdomain. */
function scenarioName(scenarioFile: string, firstManifest: string): string {
  const fromFile = (f: string): string =>
    basename(f, extname(f))
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
      .slice(0, 63);
  return fromFile(scenarioFile) || fromFile(resolve(firstManifest)) || 'scenario';
}

/**
 * `network`, `proxyMode` and `bridge`, spelled out: what the printed cluster runs when its objects say
 * (flannel's backend annotation or ConfigMap, kube-proxy's ConfigMap; flanneld's CNI bridge is cni0), else the defaults.
 */
function clusterLines(s: Scenario): string[] {
  const p = s.printedConfig;
  const network = p?.network?.value === s.cluster.network ? `as ${p.network.from} says` : 'or host-gw, flannel-udp';
  const proxy = p?.proxyMode?.value === s.cluster.proxyMode ? `as ${p.proxyMode.from} says` : 'or ipvs, nftables';
  const bridge = p?.flannel
    ? "cni0 # the CNI bridge: flanneld runs in these manifests, and a flannel node's bridge is cni0 (the bridge plugin's default)"
    : "cbr0 # the CNI bridge: a flannel node names it cni0 (cbr0 is kubenet's bridge, and flannel's CNI network name)";
  return [`  network: ${s.cluster.network} # ${network}`, `  proxyMode: ${s.cluster.proxyMode} # ${proxy}`, `  bridge: ${bridge}`];
}

function render(name: string, includes: string[], nodes: string[] | undefined, traffic: TrafficItem[], schema: string, nodeCount: number, stdout: boolean | undefined, cluster: string[] | undefined): string {
  const lines = [
    schema,
    '# Written by podwalk init: edit freely. Run it with `podwalk run FILE`.',
    'apiVersion: podwalk/v1alpha1',
    'kind: Scenario',
    'metadata:',
    `  name: ${name}`,
    `  description: ${q(`The manifests in ${includes.join(', ')}, with one example flow per Service.`)}`,
    // Printed to stdout, the paths are relative to where init ran: where `> walk.yaml` puts the file.
    stdout ? '# Manifest files and directories, relative to the directory podwalk init ran in (save this file there).' : '# Manifest files and directories, relative to this file.',
    'include:',
    ...includes.map((i) => `  - ${q(i)}`),
    'cluster:',
    // The first pass leaves them out, so that what the manifests say decides them.
    ...(cluster ?? []),
  ];
  if (nodes) lines.push('  # No kind: Node objects in the manifests: the default cluster\'s nodes.', '  nodes:', ...nodes.map((n) => `    - name: ${n}`));
  else lines.push(`  # Nodes: the ${nodeCount} the manifests give (their kind: Node objects, else the nodes their printed Pods run on).`);
  if (traffic.length === 0) {
    lines.push('# No Service (or no pod) in the manifests: add traffic items (docs/scenario-format.md).', 'traffic: []');
  } else {
    lines.push('# One example per Service. Add `expect: {verdict: delivered}` once you know what should happen.', 'traffic:');
    for (const t of traffic) {
      lines.push(`  - name: ${q(t.name)} # to ${t.note}`, `    from: ${q(t.from)}`, `    to: ${q(t.to)}`);
      if (t.protocol !== 'TCP') lines.push(`    protocol: ${t.protocol}`);
      lines.push(`    port: ${t.port}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A YAML scalar: plain when it surely reads back as the same string, else double-quoted. */
function q(s: string): string {
  return /^[A-Za-z0-9_./-][A-Za-z0-9_./@ ,-]*$/.test(s) && !/[ ,]$/.test(s) && !/^(true|false|yes|no|on|off|null|~|[-+]?\.?\d.*|\.(inf|nan)|-.*)$/i.test(s) ? s : JSON.stringify(s);
}

