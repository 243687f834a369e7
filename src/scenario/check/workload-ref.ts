import type { PodSpec } from '../types.js';

const KINDS: Record<string, NonNullable<PodSpec['owner']>['kind']> = { deployment: 'Deployment', replicaset: 'ReplicaSet', statefulset: 'StatefulSet', daemonset: 'DaemonSet' };

/**
 * The pod a workload reference in `traffic:` stands for, or why there is none:
 * `deployment/<ns>/<name>` (also `replicaset/`), `statefulset/<ns>/<name>-<ordinal>`
 * (or `statefulset/<ns>/<name>`: the lowest ordinal), `daemonset/<ns>/<name>@<node>`
 * (or without `@node`: the pod on the first node in node order), and
 * `pod/<ns>?<label>=<value>,...` (a label selector). The namespace may be
 * left out (`deployment/web`: namespace default). When several pods fit, the
 * choice is deterministic: ready pods before others, then by name; the flow's
 * headline shows the pod chosen. `all`: every pod the reference covers
 * (for `deliveredTo`, where it means any of them).
 */
export function resolveWorkloadRef(s: string, pods: readonly PodSpec[], nodeOrder: readonly string[]): { pod: PodSpec; all: PodSpec[] } | { error: string } | undefined {
  const sel = /^pod\/(?:([^/?]+)\/)?\?(.+)$|^pod\/([^/?]+)\?(.+)$/.exec(s);
  if (sel) {
    const namespace = sel[1] ?? sel[3] ?? 'default';
    const terms = (sel[2] ?? sel[4]!).split(',').map((t) => t.trim().split('=') as [string, string?]);
    if (terms.some(([k, v]) => !k || v === undefined)) return { error: `expected a label selector like pod/<ns>?app=web,tier=front, found "${s}"` };
    const fit = pods.filter((p) => p.namespace === namespace && terms.every(([k, v]) => p.labels[k] === v));
    return pick(fit, fit, `no pod in namespace ${namespace} has labels ${terms.map(([k, v]) => `${k}=${v}`).join(',')}`);
  }
  const m = /^(deployment|replicaset|statefulset|daemonset)\/(?:([^/]+)\/)?([^/@]+)(?:@([^/]+))?$/.exec(s);
  if (!m) return undefined;
  const kind = KINDS[m[1]!]!;
  const namespace = m[2] ?? 'default';
  let name = m[3]!;
  const node = m[4];
  if (node !== undefined && kind !== 'DaemonSet') return { error: `@<node> is for daemonset/ references (one pod per node), found "${s}"` };
  let ordinal: number | undefined;
  if (kind === 'StatefulSet' && !pods.some((p) => p.namespace === namespace && p.owner?.kind === kind && p.owner.name === name)) {
    // statefulset/ns/web-0: the pod web-0 of StatefulSet web.
    const o = /^(.*)-([0-9]+)$/.exec(name);
    if (o) [name, ordinal] = [o[1]!, Number(o[2])];
  }
  const mine = pods.filter((p) => p.namespace === namespace && p.owner?.kind === kind && p.owner.name === name);
  if (mine.length === 0) {
    const same = [...new Set(pods.filter((p) => p.namespace === namespace && p.owner?.kind === kind).map((p) => p.owner!.name))];
    return { error: `no ${kind} ${namespace}/${name} with pods (${kind}s in ${namespace}: ${same.join(', ') || 'none'})` };
  }
  if (ordinal !== undefined) {
    const pod = mine.find((p) => p.name === `${name}-${ordinal}`);
    return pod ? { pod, all: [pod] } : { error: `StatefulSet ${namespace}/${name} has no pod ${name}-${ordinal} (pods: ${mine.map((p) => p.name).join(', ')})` };
  }
  if (kind === 'DaemonSet') {
    if (node !== undefined) {
      const pod = mine.find((p) => p.nodeName === node);
      return pod ? { pod, all: [pod] } : { error: `DaemonSet ${namespace}/${name} has no pod on node ${node} (it runs on: ${mine.map((p) => p.nodeName).join(', ')})` };
    }
    const byNode = [...mine].sort((a, b) => nodeOrder.indexOf(a.nodeName) - nodeOrder.indexOf(b.nodeName));
    return { pod: byNode[0]!, all: mine };
  }
  if (kind === 'StatefulSet') return { pod: [...mine].sort((a, b) => ordinalOf(a) - ordinalOf(b))[0]!, all: mine };
  return pick(mine, mine, '');
}

function pick(fit: readonly PodSpec[], all: PodSpec[], none: string): { pod: PodSpec; all: PodSpec[] } | { error: string } {
  const sorted = [...fit].sort((a, b) => Number(b.ready && !b.terminating) - Number(a.ready && !a.terminating) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sorted[0] ? { pod: sorted[0], all } : { error: none };
}

function ordinalOf(p: PodSpec): number {
  return Number(p.labels['apps.kubernetes.io/pod-index'] ?? 0);
}
