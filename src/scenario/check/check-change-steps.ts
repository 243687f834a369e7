import { KERNEL_LIMIT_NAMES } from '../../kernel/limits.js';
import { NODE_MONITOR_GRACE_NS } from '../../cluster/live/nodes.js';
import { readLimits, readSwitches, SWITCH_NAMES } from './check-sysctls.js';
import { parseIpv4 } from '../../wire/addr.js';
import { parseDuration } from '../load/quantities.js';
import { DEFAULT_FENCEPOST, isLiteralZero, type CountOrPercent } from '../../cluster/live/rollout-fenceposts.js';
import type { ClusterSpec, PodSpec, PodTemplateSpec, StepAction } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

/** The step verbs that change the cluster itself (pods, nodes, links, kernel state, kube-proxy), besides policy ones. */

export const CHANGE_VERBS = ['deletePod', 'restart', 'scale', 'rollout', 'node', 'link', 'mtu', 'conntrack', 'kubeProxy', 'hairpin', 'kernel', 'sysctl'] as const;

export interface StepWorld {
  pods: PodSpec[];
  /** Deployments at `replicas: 0`: they may be scaled (up) too. */
  podTemplates?: PodTemplateSpec[];
  cluster: ClusterSpec;
}

/** Read one change verb's value; undefined after reporting a problem. */
export function readChangeStep(r: YamlReader, verb: (typeof CHANGE_VERBS)[number], at: At, w: StepWorld): StepAction | undefined {
  const dur = (a: At | undefined, dflt: number): number => r.quantity(a, parseDuration, dflt);
  switch (verb) {
    case 'deletePod': {
      const m = r.map(at, ['pod', 'preStop', 'readyAfter']);
      const pod = m && podRef(r, m.get('pod') ?? r.missing(at, 'pod'), w);
      if (!m || !pod) return undefined;
      return { kind: 'delete-pod', namespace: pod.namespace, name: pod.name, preStopNs: dur(m.get('preStop'), 0), readyAfterNs: dur(m.get('readyAfter'), 1e9) };
    }
    case 'restart': {
      const pod = podRef(r, at, w);
      return pod && { kind: 'restart-pod', namespace: pod.namespace, name: pod.name };
    }
    case 'scale': {
      const m = r.map(at, ['deployment', 'replicas', 'readyAfter']);
      const d = m && deploymentRef(r, m.get('deployment') ?? r.missing(at, 'deployment'), w);
      const replicas = m && r.int(m.get('replicas') ?? r.missing(at, 'replicas'), 0, 1000);
      if (m && !m.get('replicas')) r.problem(at, 'replicas: required');
      if (!d || replicas === undefined || replicas === null) return undefined;
      return { kind: 'scale', namespace: d.namespace, deployment: d.name, replicas, readyAfterNs: dur(m!.get('readyAfter'), 1e9) };
    }
    case 'rollout': {
      const m = r.map(at, ['deployment', 'maxSurge', 'maxUnavailable', 'preStop', 'readyAfter']);
      const d = m && deploymentRef(r, m.get('deployment') ?? r.missing(at, 'deployment'), w);
      if (!m || !d) return undefined;
      // Kept as written (default 25% each): the controller resolves them against the replicas the Deployment has
      // when the step runs (ResolveFenceposts). Validation refuses only both given as a literal 0.
      const maxSurge = countOrPercent(r, m.get('maxSurge'));
      const maxUnavailable = countOrPercent(r, m.get('maxUnavailable'));
      if (m.get('maxSurge') && m.get('maxUnavailable') && isLiteralZero(maxSurge) && isLiteralZero(maxUnavailable)) {
        r.problem(at, 'maxSurge and maxUnavailable cannot both be 0 (the Deployment could never progress; as the API server, which refuses both written as 0 or 0%)');
      }
      return { kind: 'rollout', namespace: d.namespace, deployment: d.name, maxSurge, maxUnavailable, preStopNs: dur(m.get('preStop'), 0), readyAfterNs: dur(m.get('readyAfter'), 1e9) };
    }
    case 'node': {
      const m = r.map(at, ['name', 'state', 'notReadyAfter', 'withdrawRoutesAfter']);
      if (!m) return undefined;
      const node = nodeName(r, m.get('name') ?? r.missing(at, 'name'), w);
      const state = r.oneOf(m.get('state') ?? r.missing(at, 'state'), ['down', 'up'] as const);
      if (!m.get('state')) r.problem(at, 'state: required, expected down or up');
      if (!node || !state) return undefined;
      const withdraw = m.get('withdrawRoutesAfter');
      return { kind: 'node', node, state, notReadyAfterNs: dur(m.get('notReadyAfter'), NODE_MONITOR_GRACE_NS), ...(withdraw ? { withdrawRoutesAfterNs: dur(withdraw, 0) } : {}) };
    }
    case 'link': {
      const m = r.map(at, ['machine', 'loss', 'delay', 'jitter', 'corrupt', 'reorder']);
      if (!m) return undefined;
      const machine = r.str(m.get('machine') ?? r.missing(at, 'machine'), true);
      if (machine === undefined) return undefined;
      if (!w.cluster.nodes.some((n) => n.name === machine) && !w.cluster.externalHosts.some((h) => h.name === machine)) {
        r.problem(m.get('machine')!, `no node or external host ${machine}`);
        return undefined;
      }
      const reorderPct = percent(r, m.get('reorder'));
      const delayNs = dur(m.get('delay'), 0);
      if (reorderPct > 0 && delayNs === 0) r.problem(m.get('reorder')!, 'reorder needs a delay (netem sends the reordered frames ahead of the delayed ones)');
      return { kind: 'link', machine, lossPct: percent(r, m.get('loss')), delayNs, jitterNs: dur(m.get('jitter'), 0), corruptPct: percent(r, m.get('corrupt')), reorderPct };
    }
    case 'mtu': {
      const m = r.map(at, ['device', 'mtu']);
      if (!m) return undefined;
      const dev = r.str(m.get('device') ?? r.missing(at, 'device'), true);
      const mtu = r.int(m.get('mtu') ?? r.missing(at, 'mtu'), 68, 65535);
      if (!m.get('mtu')) r.problem(at, 'mtu: required');
      if (dev === undefined || mtu === undefined) return undefined;
      const i = dev.lastIndexOf(':');
      const netns = dev.slice(0, i);
      const known = netns === 'underlay' || netns === 'gateway' || w.cluster.nodes.some((n) => n.name === netns) || w.cluster.externalHosts.some((h) => h.name === netns) || w.pods.some((p) => `${p.namespace}/${p.name}` === netns);
      if (i <= 0 || !known) {
        r.problem(m.get('device')!, `expected <node>:<dev>, <namespace>/<pod>:<dev>, underlay:<port> or gateway:<dev>, found "${dev}"`);
        return undefined;
      }
      return { kind: 'mtu', netns, device: dev.slice(i + 1), mtu };
    }
    case 'conntrack': {
      const m = r.map(at, ['node', 'flush', 'protocol', 'origSrc', 'origDst', 'origDport', 'replySrc']);
      if (!m) return undefined;
      const node = nodeName(r, m.get('node') ?? r.missing(at, 'node'), w);
      if (!node) return undefined;
      if (r.bool(m.get('flush'))) {
        // conntrack -F takes no filter: conntrack-tools refuses one (`conntrack -F -p udp`: "Illegal option `--protonum'
        // with this command", exit 2) rather than flush everything.
        for (const key of ['protocol', 'origSrc', 'origDst', 'origDport', 'replySrc']) {
          const v = m.get(key);
          if (v !== undefined) r.problem(v, `expected no ${key} with flush: true: conntrack -F takes no filter (conntrack-tools refuses one); drop flush to delete the matching entries with conntrack -D`);
        }
        return { kind: 'conntrack', node, flush: true };
      }
      const ip = (k: string): string | undefined => {
        const v = r.str(m.get(k));
        if (v !== undefined && parseIpv4(v) === undefined) r.problem(m.get(k)!, `expected an IPv4 address, found "${v}"`);
        return v;
      };
      const protocol = r.oneOf(m.get('protocol'), ['TCP', 'UDP', 'ICMP'] as const);
      const origDport = r.int(m.get('origDport'), 1, 65535);
      const f = { origSrc: ip('origSrc'), origDst: ip('origDst'), replySrc: ip('replySrc') };
      if (!protocol && Object.values(f).every((v) => v === undefined) && origDport === undefined) r.problem(at, 'expected flush: true, or a filter (protocol, origSrc, origDst, origDport, replySrc) for conntrack -D');
      return {
        kind: 'conntrack',
        node,
        flush: false,
        ...(protocol ? { protocol } : {}),
        ...Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)),
        ...(origDport === undefined ? {} : { origDport }),
      };
    }
    case 'kubeProxy': {
      const m = r.map(at, ['node', 'syncDelay', 'conntrackCleanup']);
      if (!m) return undefined;
      const nodeAt = m.get('node');
      const node = nodeAt ? nodeName(r, nodeAt, w) : undefined;
      const cleanup = r.bool(m.get('conntrackCleanup'));
      return { kind: 'kube-proxy', ...(node ? { node } : {}), ...(m.get('syncDelay') ? { syncDelayNs: dur(m.get('syncDelay'), 0) } : {}), ...(cleanup === undefined ? {} : { conntrackCleanup: cleanup }) };
    }
    case 'kernel': {
      const m = r.map(at, ['node', 'release']);
      if (!m) return undefined;
      const node = nodeName(r, m.get('node') ?? r.missing(at, 'node'), w);
      const release = r.str(m.get('release') ?? r.missing(at, 'release'), true);
      const v = release === undefined ? undefined : /^([0-9]+)\.([0-9]+)/.exec(release);
      if (release !== undefined && !v) r.problem(m.get('release')!, `expected a kernel release like 5.4 or 6.1.0-18-amd64, found "${release}"`);
      if (!node || !v) return undefined;
      return { kind: 'kernel', node, release: release!, major: Number(v[1]), minor: Number(v[2]) };
    }
    case 'sysctl': {
      const before = r.problems.length;
      const m = r.map(at, ['node', ...SWITCH_NAMES, ...KERNEL_LIMIT_NAMES]);
      if (!m) return undefined;
      const nodeAt = m.get('node');
      const node = nodeAt ? nodeName(r, nodeAt, w) : undefined;
      const values = readLimits(r, m);
      const switches = readSwitches(r, m);
      // The whole list of names only when the step named none: a misspelt name or a bad value was already pointed at.
      if (!values && !switches && r.problems.length === before) r.problem(at, `expected at least one of ${[...SWITCH_NAMES, ...KERNEL_LIMIT_NAMES].join(', ')}`);
      return (values || switches) && { kind: 'sysctl', ...(node ? { node } : {}), values: values ?? {}, ...(switches ? { switches } : {}) };
    }
    case 'hairpin': {
      const m = r.map(at, ['pod', 'on']);
      const pod = m && podRef(r, m.get('pod') ?? r.missing(at, 'pod'), w);
      const on = m && r.bool(m.get('on') ?? r.missing(at, 'on'));
      if (m && !m.get('on')) r.problem(at, 'on: required (true or false)');
      if (!pod || on === undefined || on === null) return undefined;
      return { kind: 'hairpin', namespace: pod.namespace, name: pod.name, on };
    }
  }
}

function podRef(r: YamlReader, at: At, w: StepWorld): PodSpec | undefined {
  const s = r.str(at, true);
  if (s === undefined) return undefined;
  const [ns, name] = s.includes('/') ? s.split('/', 2) : ['default', s];
  const pod = w.pods.find((p) => p.namespace === ns && p.name === name);
  if (!pod) r.problem(at, `no pod ${ns}/${name} (steps name pods that exist when the run starts)`);
  return pod;
}

function deploymentRef(r: YamlReader, at: At, w: StepWorld): { namespace: string; name: string } | undefined {
  const s = r.str(at, true);
  if (s === undefined) return undefined;
  const [ns, name] = s.includes('/') ? s.split('/', 2) : ['default', s];
  const mine = (p: { namespace: string; owner?: PodSpec['owner'] }): boolean => p.namespace === ns && p.owner?.kind === 'Deployment' && p.owner.name === name;
  if (!w.pods.some(mine) && !w.podTemplates?.some(mine)) {
    r.problem(at, `no Deployment ${ns}/${name} with pods or at replicas: 0`);
    return undefined;
  }
  return { namespace: ns!, name: name! };
}

function nodeName(r: YamlReader, at: At, w: StepWorld): string | undefined {
  const s = r.str(at, true);
  if (s === undefined) return undefined;
  if (!w.cluster.nodes.some((n) => n.name === s)) {
    r.problem(at, `no node ${s}`);
    return undefined;
  }
  return s;
}

/** `5%`, `5` or `0.5%`: a percentage between 0 and 100. */
function percent(r: YamlReader, at: At | undefined): number {
  const v = r.scalar(at);
  if (v === undefined) return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]+(\.[0-9]+)?%$/.test(v.trim()) ? Number(v.trim().slice(0, -1)) : NaN;
  if (!(n >= 0 && n <= 100)) {
    r.problem(at!, `expected a percentage between 0% and 100% (like 5%), found ${JSON.stringify(v)}`);
    return 0;
  }
  return n;
}

/** An IntOrString of a Deployment strategy: a count, or a percentage of replicas rounded as upstream rounds it. */
function countOrPercent(r: YamlReader, at: At | undefined): CountOrPercent {
  const v = r.scalar(at);
  if (v === undefined) return DEFAULT_FENCEPOST;
  // An intstr is an int32.
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2 ** 31 - 1) return { count: v };
  if (typeof v === 'string' && /^[0-9]{1,10}%$/.test(v)) return { percent: Number(v.slice(0, -1)) };
  r.problem(at!, `expected a count or a percentage (like 1 or 25%), found ${JSON.stringify(v)}`);
  return DEFAULT_FENCEPOST;
}
