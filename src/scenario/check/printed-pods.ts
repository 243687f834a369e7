import { generatedSuffix } from '../../cluster/control-plane/generated-names.js';
import type { Workload } from './check-deployment.js';
import type { RawPod } from './check-pod.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

/**
 * A workload and the Pods `kubectl get pods -o yaml` printed for it, in one
 * input: the printed Pods are its replicas (real names, podIP, nodeName),
 * and podwalk makes only the ones missing. A Pod belongs to the workload its
 * controller ownerReference names — by uid when both carry one, else by kind
 * and name in the Pod's namespace: a ReplicaSet, and through the
 * ReplicaSet's own controller reference its Deployment; a StatefulSet; a
 * DaemonSet. Labels alone (pod-template-hash, the selector) never make a Pod
 * a workload's: a hand-written Pod that the selector happens to match stays a
 * Pod of its own, as the API server keeps it (it has no owner).
 */

export interface OwnerRef {
  kind: string;
  name: string;
  uid?: string;
}

/** A workload as read: what it would run (`pods`) and how printed Pods find it. */
export interface WorkloadObject {
  kind: Workload;
  namespace: string;
  name: string;
  uid?: string;
  /** A ReplicaSet's controller (its Deployment). */
  controller?: OwnerRef;
  /** `deployment.kubernetes.io/revision` of a ReplicaSet. */
  revision?: number;
  /** A ReplicaSet's `pod-template-hash` label. */
  templateHash?: string;
  replicas: number;
  /** The pods podwalk would make: one per replica, or a DaemonSet's per-node template. */
  pods: RawPod[];
  /** At `replicas: 0` (Deployment, ReplicaSet): the pod a scale step would make first (readWorkload). */
  template?: RawPod;
  /** Replaced by the built-in cluster DNS: it runs nothing, and its printed pods are dropped. */
  replaced?: boolean;
  r: YamlReader;
  at: At;
}

/** The ownerReferences entry with `controller: true` (metav1.GetControllerOf). */
export function readControllerRef(r: YamlReader, meta: Map<string, At> | undefined): OwnerRef | undefined {
  const at = meta?.get('ownerReferences');
  for (const item of at ? r.list(at) : []) {
    const m = r.map(item, null);
    if (!m || r.scalar(m.get('controller')) !== true) continue;
    const kind = r.str(m.get('kind'));
    const name = r.str(m.get('name'));
    const uid = r.str(m.get('uid'));
    if (kind && name) return { kind, name, ...(uid ? { uid } : {}) };
  }
  return undefined;
}

/**
 * Match printed Pods (`declared`, with their controller references) to the
 * workloads; returns the workloads' pods to run beside the declared ones and
 * the declared Pods to drop (those of a replaced workload). Printed Pods that
 * match get their workload as owner, so `deployment/ns/name` finds them.
 */
export function matchPrintedPods(workloads: WorkloadObject[], declared: { pod: RawPod; ref?: OwnerRef }[]): { owned: RawPod[]; dropped: Set<RawPod>; templates: RawPod[] } {
  const byKey = new Map(workloads.map((w) => [`${w.kind}/${w.namespace}/${w.name}`, w]));
  const resolve = (ref: OwnerRef, namespace: string): WorkloadObject | undefined => {
    const w = byKey.get(`${ref.kind}/${namespace}/${ref.name}`);
    // Same kind and name but another uid: an object deleted and made again since; not this one.
    return w && !(w.uid && ref.uid && w.uid !== ref.uid) ? w : undefined;
  };
  // ReplicaSets a Deployment in the input controls are that Deployment's: they make no pods of their own.
  const parent = new Map<WorkloadObject, WorkloadObject>();
  for (const w of workloads) {
    if (w.kind !== 'ReplicaSet' || w.controller?.kind !== 'Deployment') continue;
    const d = resolve(w.controller, w.namespace);
    if (d) parent.set(w, d);
  }
  for (const d of workloads.filter((x) => x.kind === 'Deployment' && !x.replaced)) renameToCurrentReplicaSet(d, [...parent].filter(([, p]) => p === d).map(([rs]) => rs));

  /** Each workload's printed pods (a replaced workload's too: they are dropped). */
  const printed = new Map<WorkloadObject, RawPod[]>();
  const dropped = new Set<RawPod>();
  for (const { pod, ref } of declared) {
    if (!ref) continue;
    let w = resolve(ref, pod.namespace);
    if (w && parent.has(w)) w = parent.get(w);
    // The ReplicaSet was not printed: a Deployment's ReplicaSet is named <deployment>-<pod-template-hash>.
    if (!w && ref.kind === 'ReplicaSet' && !byKey.has(`ReplicaSet/${pod.namespace}/${ref.name}`) && pod.labels['pod-template-hash'] && ref.name.endsWith(`-${pod.labels['pod-template-hash']}`)) {
      w = byKey.get(`Deployment/${pod.namespace}/${ref.name.slice(0, -pod.labels['pod-template-hash'].length - 1)}`);
    }
    if (!w) continue;
    if (w.replaced) dropped.add(pod);
    else pod.owner = w.pods[0]?.owner ?? { kind: w.kind, name: w.name };
    const list = printed.get(w);
    if (list) list.push(pod);
    else printed.set(w, [pod]);
  }
  for (const w of workloads) {
    const n = w.replaced ? (printed.get(w)?.length ?? 0) : 0;
    if (n > 0) w.r.warn(w.at, `${n} printed pod(s) of ${w.kind} ${w.namespace}/${w.name} are dropped with it: the built-in cluster DNS runs its own`);
  }

  const owned: RawPod[] = [];
  const templates: RawPod[] = [];
  for (const w of workloads) {
    if (w.replaced || parent.has(w)) continue;
    if (w.template) templates.push(w.template);
    const mine = printed.get(w) ?? [];
    const alive = mine.filter((p) => !p.terminating);
    if (w.kind === 'DaemonSet') {
      owned.push(...w.pods.map((t) => ({ ...t, skipNodes: alive.map((p) => p.nodeName).filter((n): n is string => n !== undefined) })));
      continue;
    }
    let extra: RawPod[];
    if (w.kind === 'StatefulSet') {
      const have = new Set(alive.map((p) => p.name));
      extra = w.pods.filter((p) => !have.has(p.name));
      const outside = alive.filter((p) => !w.pods.some((g) => g.name === p.name));
      if (outside.length > 0) w.r.warn(w.at, `StatefulSet ${w.namespace}/${w.name} has spec.replicas ${w.replicas} but pods ${outside.map((p) => p.name).join(', ')} are printed beyond its ordinals: kept (a scale-down in progress)`);
    } else {
      // Replicas podwalk makes: the indices after the printed ones, so the names stay those of a smaller count.
      extra = w.pods.slice(alive.length).filter((p) => !mine.some((m) => m.name === p.name));
      if (alive.length > w.replicas) w.r.warn(w.at, `${w.kind} ${w.namespace}/${w.name} has spec.replicas ${w.replicas} but ${alive.length} running pods are printed: all are kept (a rollout or scale-down in progress)`);
    }
    if (mine.length > 0 && extra.length > 0) w.r.warn(w.at, `${w.kind} ${w.namespace}/${w.name}: ${alive.length} of ${w.replicas} replicas printed; podwalk makes ${extra.map((p) => p.name).join(', ')}`);
    owned.push(...extra);
  }
  return { owned, dropped, templates };
}

/**
 * A Deployment whose ReplicaSets are printed: its pods are named after the
 * current one (the highest `deployment.kubernetes.io/revision`) and carry its
 * pod-template-hash, as that ReplicaSet would make them.
 */
function renameToCurrentReplicaSet(d: WorkloadObject, sets: WorkloadObject[]): void {
  const current = [...sets].sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0) || b.replicas - a.replicas)[0];
  if (!current) return;
  const hash = current.templateHash ?? current.name.slice(current.name.lastIndexOf('-') + 1);
  [...d.pods, ...(d.template ? [d.template] : [])].forEach((p, i) => {
    p.name = `${current.name}-${generatedSuffix(`${d.namespace}/${d.name}/${i}`)}`;
    p.labels = { ...p.labels, 'pod-template-hash': hash };
    const sel = p.owner?.selector;
    if (sel) p.owner = { ...p.owner!, selector: { ...sel, matchLabels: { ...sel.matchLabels, 'pod-template-hash': hash } } };
  });
}
