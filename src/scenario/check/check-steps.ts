import { CHANGE_VERBS, readChangeStep } from './check-change-steps.js';
import { readNetworkPolicy } from './check-networkpolicy.js';
import { parseDuration } from '../load/quantities.js';
import { appliesService, readServiceStep, serviceStepActions, type ServiceStep } from './check-service-steps.js';
import type { ClusterSpec, NamespaceSpec, PodSpec, PodTemplateSpec, ServiceSpec, StepSpec } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const VERBS = ['apply', 'delete', 'label', ...CHANGE_VERBS];

/**
 * `steps:` — changes at simulated times: apply (create or replace) a
 * NetworkPolicy or a Service, delete one, or change a pod's or namespace's labels (a
 * `null` value removes the label), as `kubectl apply`, `kubectl delete` and
 * `kubectl label` would; and the changes of check-change-steps.ts (pods,
 * Deployments, nodes, links, MTU, conntrack, kube-proxy, hairpin).
 */
export function checkSteps(r: YamlReader, at: At | undefined, world: { pods: PodSpec[]; podTemplates?: PodTemplateSpec[]; namespaces: NamespaceSpec[]; services: ServiceSpec[]; networkPolicies?: readonly { namespace: string; name: string }[]; cluster: ClusterSpec }): StepSpec[] {
  const out: StepSpec[] = [];
  /** Where each policy delete was written, to report one that deletes nothing. */
  const deleteAt = new Map<StepSpec, At>();
  const serviceSteps: ServiceStep[] = [];
  for (const item of at ? r.list(at) : []) {
    const m = r.map(item, ['at', ...VERBS]);
    if (!m) continue;
    const atNs = r.quantity(m.get('at'), parseDuration, 0);
    const verbs = VERBS.filter((k) => m.has(k));
    if (verbs.length !== 1) {
      r.problem(item, `expected exactly one of ${VERBS.join(', ')}${verbs.length > 1 ? ` (found ${verbs.join(', ')})` : ''}`);
      continue;
    }
    const pos = r.pos(item);
    const change = CHANGE_VERBS.find((v) => v === verbs[0]);
    if (change) {
      const action = readChangeStep(r, change, m.get(change)!, world);
      if (action) out.push({ atNs, action, pos });
      continue;
    }
    if (verbs[0] === 'apply') {
      const obj = m.get('apply')!;
      if (appliesService(obj)) {
        const raw = readServiceStep(r, obj, world.namespaces);
        if (raw) serviceSteps.push({ atNs, pos, raw });
        continue;
      }
      const top = r.map(obj, ['apiVersion', 'kind', 'metadata', 'spec']);
      if (!top) continue;
      const kind = r.str(top.get('kind') ?? r.missing(obj, 'kind'), true);
      if (kind !== undefined && kind !== 'NetworkPolicy') {
        r.problem(top.get('kind')!, `steps can apply NetworkPolicy and Service objects only, found ${kind}`);
        continue;
      }
      const api = r.str(top.get('apiVersion') ?? r.missing(obj, 'apiVersion'), true);
      if (api !== undefined && api !== 'networking.k8s.io/v1') r.problem(top.get('apiVersion')!, `expected apiVersion networking.k8s.io/v1 for NetworkPolicy, found ${api}`);
      const meta = r.map(top.get('metadata') ?? r.missing(obj, 'metadata'), null);
      const name = r.str(meta?.get('name') ?? r.missing(obj, 'metadata.name'), true);
      const nsAt = meta?.get('namespace');
      const namespace = r.str(nsAt) ?? 'default';
      if (!world.namespaces.some((n) => n.name === namespace)) r.problem(nsAt ?? obj, `namespace ${namespace} not found (declare a Namespace)`);
      if (name === undefined) continue;
      const policy = readNetworkPolicy(r, top, obj, namespace, name);
      if (policy) out.push({ atNs, action: { kind: 'apply', policy }, pos });
    } else if (verbs[0] === 'delete') {
      const d = m.get('delete')!;
      const s = r.str(d, true);
      const parts = s?.split('/') ?? [];
      if (s === undefined) continue;
      const what = parts[0]!.toLowerCase();
      if (parts.length !== 3 || (what !== 'networkpolicy' && what !== 'service')) {
        r.problem(d, `expected networkpolicy/<namespace>/<name> or service/<namespace>/<name>, found "${s}"`);
        continue;
      }
      if (what === 'service') {
        serviceSteps.push({ atNs, pos, at: d, delete: { namespace: parts[1]!, name: parts[2]! } });
        continue;
      }
      const step: StepSpec = { atNs, action: { kind: 'delete', namespace: parts[1]!, name: parts[2]! }, pos };
      deleteAt.set(step, d);
      out.push(step);
    } else {
      const l = m.get('label')!;
      const lm = r.map(l, ['pod', 'namespace', 'labels']);
      if (!lm) continue;
      const labels: Record<string, string | null> = {};
      for (const [k, vAt] of r.map(lm.get('labels') ?? r.missing(l, 'labels'), null) ?? []) {
        const v = vAt.node == null || r.scalar(vAt) === null ? null : r.str(vAt);
        if (v === undefined) continue;
        if (v !== null && (v.length > 63 || !LABEL_VALUE.test(v))) r.problem(vAt, `invalid label value "${v}"`);
        labels[k] = v;
      }
      const podRef = r.str(lm.get('pod'));
      const nsRef = r.str(lm.get('namespace'));
      if ((podRef === undefined) === (nsRef === undefined)) {
        r.problem(l, 'expected exactly one of pod: <namespace>/<name> or namespace: <name>');
        continue;
      }
      if (podRef !== undefined) {
        const [ns, name] = podRef.includes('/') ? podRef.split('/', 2) : ['default', podRef];
        if (!world.pods.some((p) => p.namespace === ns && p.name === name)) {
          r.problem(lm.get('pod')!, `no pod ${ns}/${name}`);
          continue;
        }
        out.push({ atNs, action: { kind: 'label', target: 'pod', namespace: ns!, name: name!, labels }, pos });
      } else {
        if (!world.namespaces.some((n) => n.name === nsRef)) {
          r.problem(lm.get('namespace')!, `no namespace ${nsRef}`);
          continue;
        }
        if (Object.hasOwn(labels, 'kubernetes.io/metadata.name')) r.problem(lm.get('labels')!, 'kubernetes.io/metadata.name is set by the API server to the namespace name and cannot be changed');
        out.push({ atNs, action: { kind: 'label', target: 'namespace', name: nsRef!, labels }, pos });
      }
    }
  }
  out.push(...serviceStepActions(r, serviceSteps, world));
  // Steps at the same time happen in file order.
  out.sort((a, b) => a.atNs - b.atNs || a.pos.line - b.pos.line || a.pos.col - b.pos.col);
  return withoutMissingDeletes(r, out, deleteAt, world.networkPolicies ?? []);
}

/**
 * A policy delete must find its policy, as `kubectl delete networkpolicy`
 * answers NotFound otherwise: the policies of `resources`, plus those earlier
 * steps applied, minus those earlier steps deleted. `steps` is in time order.
 */
function withoutMissingDeletes(r: YamlReader, steps: StepSpec[], deleteAt: Map<StepSpec, At>, initial: readonly { namespace: string; name: string }[]): StepSpec[] {
  const current = new Set(initial.map((p) => `${p.namespace}/${p.name}`));
  return steps.filter((st) => {
    const a = st.action;
    if (a.kind === 'apply') current.add(`${a.policy.namespace}/${a.policy.name}`);
    if (a.kind !== 'delete') return true;
    const k = `${a.namespace}/${a.name}`;
    if (current.delete(k)) return true;
    r.problem(deleteAt.get(st)!, `no NetworkPolicy ${k} exists at ${st.atNs / 1e9} s (kubectl delete would answer NotFound)`);
    return false;
  });
}
