import { withDaemonTolerations } from '../../cluster/scheduler/taints.js';
import { labelMap } from './labels.js';
import { generatedSuffix, podTemplateHash } from '../../cluster/control-plane/generated-names.js';
import { nodeRefuses } from '../../cluster/scheduler/schedule.js';
import type { PlacementNode } from '../../cluster/scheduler/types.js';
import { readPod, stringMap, type RawPod } from './check-pod.js';
import type { At, YamlReader } from '../load/yaml-reader.js';
import type { LabelSelector } from '../../cluster/netpol/types.js';

const DEPLOYMENT_SPEC = ['replicas', 'selector', 'template', 'strategy', 'minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds', 'paused'];
const REPLICASET_SPEC = ['replicas', 'selector', 'template', 'minReadySeconds'];
const STATEFULSET_SPEC = ['replicas', 'selector', 'template', 'serviceName', 'podManagementPolicy', 'updateStrategy', 'revisionHistoryLimit', 'minReadySeconds', 'volumeClaimTemplates', 'persistentVolumeClaimRetentionPolicy', 'ordinals'];
const DAEMONSET_SPEC = ['selector', 'template', 'updateStrategy', 'minReadySeconds', 'revisionHistoryLimit'];
const SPEC_FIELDS: Record<Workload, string[]> = { Deployment: DEPLOYMENT_SPEC, ReplicaSet: REPLICASET_SPEC, StatefulSet: STATEFULSET_SPEC, DaemonSet: DAEMONSET_SPEC };
const SELECTOR = ['matchLabels', 'matchExpressions'];
const EXPRESSION = ['key', 'operator', 'values'];
const TEMPLATE = ['metadata', 'spec'];
/** A scenario is a small cluster; this keeps a typo (replicas: 30000) from making a huge one. */
const MAX_REPLICAS = 1000;

export type Workload = 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet';

/**
 * The pods a Deployment (apps/v1) or ReplicaSet would run: `spec.replicas`
 * (default 1) copies of the template, named as their controllers name them
 * but from hashes instead of randomness, so names are stable:
 * Deployment pods `<deployment>-<pod-template-hash>-<5 chars>`, where the
 * 10-character hash comes from `<namespace>/<deployment>` and the suffix from
 * `<namespace>/<deployment>/<replica index>`; ReplicaSet pods
 * `<replicaset>-<5 chars>` likewise. Deployment pods carry the
 * `pod-template-hash` label, as the ReplicaSet the Deployment makes adds it.
 * At `replicas: 0` there are no pods, but the template comes back (as replica
 * 0 would be): a `scale` step makes pods from it, as the ReplicaSet would.
 */
export function readWorkload(r: YamlReader, kind: Workload, top: Map<string, At>, at: At, namespace: string, name: string): { pods: RawPod[]; template?: RawPod } {
  const specAt = top.get('spec') ?? { node: undefined, path: `${at.path}.spec`, near: r.pos(at) };
  const spec = r.map(specAt, SPEC_FIELDS[kind]);
  if (!spec) return { pods: [] };
  const field = (k: string): At => spec.get(k) ?? { node: undefined, path: `${specAt.path}.${k}`, near: r.pos(specAt) };
  const replicas = kind === 'DaemonSet' ? 0 : (r.int(spec.get('replicas'), 0, MAX_REPLICAS) ?? 1);
  const tm = r.map(field('template'), TEMPLATE);
  if (!spec.get('template')) r.problem(field('template'), 'required: the pod template (metadata.labels and spec)');
  const tmeta = tm?.get('metadata') ? r.map(tm.get('metadata')!, null) : undefined;
  const labels = labelMap(r, tmeta?.get('labels'));
  const annotations = stringMap(r, tmeta?.get('annotations'));
  const selector = checkSelector(r, field('selector'), labels, !!spec.get('selector'));
  if (!tm || !spec.get('template') || !selector) return { pods: [] };
  const templateSpecAt = tm.get('spec') ?? { node: undefined, path: `${field('template').path}.spec`, near: r.pos(field('template')) };
  const hash = podTemplateHash(`${namespace}/${name}`);
  const podLabels = kind === 'Deployment' ? { ...labels, 'pod-template-hash': hash } : kind === 'ReplicaSet' ? labels : { ...labels, 'controller-revision-hash': `${name}-${hash}` };
  // One read of the template (so each problem is reported once), then one copy per replica.
  // The pods' controller selects them by the workload's selector; a Deployment's ReplicaSet adds its pod-template-hash.
  const ownerSelector = kind === 'Deployment' ? { ...selector, matchLabels: { ...selector.matchLabels, 'pod-template-hash': hash } } : selector;
  const template = readPod({ r, at, specAt: templateSpecAt, namespace, name, labels: podLabels, annotations, terminating: false, owner: { kind, name, selector: ownerSelector } });
  if (!template) return { pods: [] };
  // A DaemonSet's pods depend on the nodes: the template goes back, to be copied once per eligible node (daemonSetPods).
  // The DaemonSet controller adds its tolerations to the template (CreatePodTemplate): node problems and the cordon do not keep its pods off.
  if (kind === 'DaemonSet') return { pods: [{ ...template, perNode: true, placement: { ...template.placement, tolerations: withDaemonTolerations(template.placement.tolerations, template.hostNetwork), daemon: true } }] };
  if (kind === 'StatefulSet') return { pods: statefulSetPods(r, spec, template, namespace, name, replicas) };
  const replica = (i: number): RawPod => {
    const suffix = generatedSuffix(`${namespace}/${name}/${i}`);
    const podName = kind === 'Deployment' ? `${name}-${hash}-${suffix}` : `${name}-${suffix}`;
    return { ...template, name: podName, labels: { ...podLabels }, ports: template.ports.map((p) => ({ ...p })) };
  };
  const pods: RawPod[] = [];
  for (let i = 0; i < replicas; i++) pods.push(replica(i));
  // At 0 replicas the ReplicaSet still holds the template (a scale step makes pods from it): replica 0, never run as is.
  return replicas === 0 ? { pods, template: replica(0) } : { pods };
}

/**
 * A StatefulSet's pods: `<name>-<ordinal>` from `spec.ordinals.start`
 * (default 0), each with the labels the controller adds
 * (`statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index`), its
 * own name as hostname and `spec.serviceName` as subdomain: with that headless
 * Service, `web-0.web.<ns>.svc.cluster.local` resolves to the pod.
 */
function statefulSetPods(r: YamlReader, spec: Map<string, At>, template: RawPod, namespace: string, name: string, replicas: number): RawPod[] {
  const serviceName = r.str(spec.get('serviceName'));
  const ordinals = spec.get('ordinals') ? r.map(spec.get('ordinals')!, ['start']) : undefined;
  const start = r.int(ordinals?.get('start'), 0, 1_000_000) ?? 0;
  const pods: RawPod[] = [];
  for (let i = start; i < start + replicas; i++) {
    const podName = `${name}-${i}`;
    const labels = { ...template.labels, 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(i) };
    pods.push({ ...template, name: podName, labels, hostname: podName, ...(serviceName ? { subdomain: serviceName } : {}), ports: template.ports.map((p) => ({ ...p })) });
  }
  return pods;
}

/** The pods a DaemonSet template stands for: one per node that may run it (nodeSelector, affinity, taints), named `<name>-<5 chars>`. */
export function daemonSetPods(template: RawPod, nodes: readonly PlacementNode[]): RawPod[] {
  const { perNode: _p, skipNodes, ...base } = template;
  return nodes
    .filter((n) => nodeRefuses(template.placement, n) === undefined && !skipNodes?.includes(n.name))
    .map((n) => ({ ...base, name: `${template.name}-${generatedSuffix(`${template.namespace}/${template.name}/${n.name}`)}`, nodeName: n.name, labels: { ...template.labels, 'pod-template-generation': '1' }, ports: template.ports.map((p) => ({ ...p })) }));
}

/**
 * apps/v1 requires a non-empty selector that selects the template's labels
 * (otherwise the controller would orphan the pods it makes). Returns it when
 * it does.
 */
function checkSelector(r: YamlReader, at: At, labels: Record<string, string>, present: boolean): LabelSelector | undefined {
  if (!present) {
    r.problem(at, 'required: a selector (matchLabels) that matches spec.template.metadata.labels');
    return undefined;
  }
  const m = r.map(at, SELECTOR);
  if (!m) return undefined;
  const matchExpressions: LabelSelector['matchExpressions'] = [];
  const matchLabels = labelMap(r, m.get('matchLabels'));
  let ok = true;
  let terms = Object.keys(matchLabels).length;
  for (const [k, v] of Object.entries(matchLabels)) {
    if (labels[k] !== v) {
      r.problem(m.get('matchLabels')!, `selector does not match template labels: ${k}=${v} is not among spec.template.metadata.labels (${show(labels)})`);
      ok = false;
    }
  }
  for (const e of m.get('matchExpressions') ? r.list(m.get('matchExpressions')!) : []) {
    terms++;
    const em = r.map(e, EXPRESSION);
    if (!em) continue;
    const key = r.str(em.get('key') ?? r.missing(e, 'key'), true);
    const op = r.oneOf(em.get('operator') ?? r.missing(e, 'operator'), ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const);
    if (!em.get('operator')) r.problem(r.missing(e, 'operator'), 'required, expected one of In, NotIn, Exists, DoesNotExist');
    const values = (em.get('values') ? r.list(em.get('values')!) : []).map((v) => r.str(v, true)).filter((v): v is string => v !== undefined);
    if ((op === 'In' || op === 'NotIn') && values.length === 0) r.problem(em.get('values') ?? e, `operator ${op} needs at least one value`);
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) r.problem(em.get('values')!, `operator ${op} takes no values`);
    if (key === undefined || op === undefined) continue;
    matchExpressions.push({ key, operator: op, values });
    const has = key in labels;
    const pass = op === 'In' ? has && values.includes(labels[key]!) : op === 'NotIn' ? !has || !values.includes(labels[key]!) : op === 'Exists' ? has : !has;
    if (!pass) {
      r.problem(e, `selector does not match template labels: ${key} ${op} [${values.join(', ')}] fails on spec.template.metadata.labels (${show(labels)})`);
      ok = false;
    }
  }
  if (terms === 0) {
    r.problem(at, 'empty selector: apps/v1 requires matchLabels or matchExpressions that match the template labels');
    ok = false;
  }
  return ok ? { matchLabels, matchExpressions } : undefined;
}

function show(labels: Record<string, string>): string {
  const e = Object.entries(labels);
  return e.length === 0 ? 'none' : e.map(([k, v]) => `${k}=${v}`).join(', ');
}
