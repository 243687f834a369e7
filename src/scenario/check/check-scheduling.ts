import type { LabelSelector } from '../../cluster/netpol/types.js';
import type { NodeSelectorRequirement, NodeSelectorTerm, PlacementPod, PodAffinityTerm, Toleration, TopologySpreadConstraint, WeightedPodAffinityTerm } from '../../cluster/scheduler/types.js';
import { readSelector } from './check-networkpolicy.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

/**
 * What decides a pod's node, read and validated as the API server does:
 * `nodeSelector`, `tolerations`, `affinity` (node affinity, pod affinity and
 * anti-affinity, required and preferred) and `topologySpreadConstraints`.
 * Acted on by cluster/scheduler (docs/scenario-format.md "Placement").
 */

const AFFINITY = ['nodeAffinity', 'podAffinity', 'podAntiAffinity'];
const SCHEDULING_RULES = ['requiredDuringSchedulingIgnoredDuringExecution', 'preferredDuringSchedulingIgnoredDuringExecution'];
const NODE_SELECTOR = ['nodeSelectorTerms'];
const TERM = ['matchExpressions', 'matchFields'];
const REQUIREMENT = ['key', 'operator', 'values'];
const PREFERRED_NODE = ['weight', 'preference'];
const POD_TERM = ['labelSelector', 'namespaces', 'topologyKey', 'namespaceSelector', 'matchLabelKeys', 'mismatchLabelKeys'];
const PREFERRED_POD = ['weight', 'podAffinityTerm'];
const TOLERATION = ['key', 'operator', 'value', 'effect', 'tolerationSeconds'];
const SPREAD = ['maxSkew', 'topologyKey', 'whenUnsatisfiable', 'labelSelector', 'minDomains', 'nodeAffinityPolicy', 'nodeTaintsPolicy', 'matchLabelKeys'];
const NODE_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] as const;
const INT32_MAX = 2147483647;

const child = (r: YamlReader, parent: At, m: Map<string, At>, k: string): At => m.get(k) ?? { node: undefined, path: `${parent.path}.${k}`, near: r.pos(parent) };

/** The placement fields of a pod spec; `labels` are the pod's own (matchLabelKeys take their values from them). */
export function readPlacement(r: YamlReader, spec: Map<string, At>, labels: Record<string, string>): PlacementPod {
  const nodeSelector: Record<string, string> = {};
  const nsAt = spec.get('nodeSelector');
  for (const [k, v] of nsAt ? (r.map(nsAt, null) ?? []) : []) {
    const s = r.str(v);
    if (s !== undefined) nodeSelector[k] = s;
  }
  const tolerations = spec.get('tolerations') ? r.list(spec.get('tolerations')!).map((t) => readToleration(r, t)).filter((t): t is Toleration => t !== undefined) : [];
  const out: PlacementPod = { nodeSelector, tolerations, requiredNodeTerms: [] };
  const aff = spec.get('affinity') ? r.map(spec.get('affinity')!, AFFINITY) : undefined;
  const na = aff?.get('nodeAffinity') ? r.map(aff.get('nodeAffinity')!, SCHEDULING_RULES) : undefined;
  if (na) {
    const reqAt = na.get('requiredDuringSchedulingIgnoredDuringExecution');
    const req = reqAt ? r.map(reqAt, NODE_SELECTOR) : undefined;
    if (reqAt && req) {
      const termsAt = child(r, reqAt, req, 'nodeSelectorTerms');
      const terms = r.list(termsAt);
      if (terms.length === 0) r.problem(termsAt, 'required: at least one node selector term');
      out.requiredNodeTerms = terms.map((t) => readNodeTerm(r, t));
    }
    const pref = na.get('preferredDuringSchedulingIgnoredDuringExecution');
    out.preferredNodeTerms = (pref ? r.list(pref) : []).flatMap((p) => {
      const m = r.map(p, PREFERRED_NODE);
      if (!m) return [];
      const weight = readWeight(r, p, m);
      const term = readNodeTerm(r, child(r, p, m, 'preference'));
      return weight === undefined ? [] : [{ weight, term }];
    });
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const at = aff?.get(kind);
    const m = at ? r.map(at, SCHEDULING_RULES) : undefined;
    if (!m) continue;
    const required = (m.get('requiredDuringSchedulingIgnoredDuringExecution') ? r.list(m.get('requiredDuringSchedulingIgnoredDuringExecution')!) : []).map((t) => readPodTerm(r, t, labels)).filter((t): t is PodAffinityTerm => t !== undefined);
    const preferred = (m.get('preferredDuringSchedulingIgnoredDuringExecution') ? r.list(m.get('preferredDuringSchedulingIgnoredDuringExecution')!) : []).flatMap((p): WeightedPodAffinityTerm[] => {
      const pm = r.map(p, PREFERRED_POD);
      if (!pm) return [];
      const weight = readWeight(r, p, pm);
      const term = readPodTerm(r, child(r, p, pm, 'podAffinityTerm'), labels);
      return weight === undefined || !term ? [] : [{ weight, term }];
    });
    out[kind] = { required, preferred };
  }
  const spreadAt = spec.get('topologySpreadConstraints');
  if (spreadAt) out.topologySpreadConstraints = r.list(spreadAt).map((c) => readSpread(r, c)).filter((c): c is TopologySpreadConstraint => c !== undefined);
  return out;
}

function readToleration(r: YamlReader, at: At): Toleration | undefined {
  const m = r.map(at, TOLERATION);
  if (!m) return undefined;
  const operator = r.oneOf(m.get('operator'), ['Equal', 'Exists'] as const) ?? 'Equal';
  const key = r.str(m.get('key'));
  const value = r.str(m.get('value'));
  const effect = r.oneOf(m.get('effect'), ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const);
  if (operator === 'Exists' && value) r.problem(m.get('value')!, "value must be empty when operator is 'Exists'");
  if (!key && operator !== 'Exists') r.problem(m.get('operator') ?? at, "operator must be 'Exists' when key is empty (a toleration of every taint)");
  const seconds = m.get('tolerationSeconds');
  let tolerationSeconds: number | undefined;
  if (seconds && seconds.node != null) {
    tolerationSeconds = r.int(seconds, -9007199254740991, 9007199254740991);
    if (effect !== 'NoExecute') r.problem(seconds, "effect must be 'NoExecute' when tolerationSeconds is set");
  }
  return { operator, ...(key === undefined ? {} : { key }), ...(value === undefined ? {} : { value }), ...(effect === undefined ? {} : { effect }), ...(tolerationSeconds === undefined ? {} : { tolerationSeconds }) };
}

function readNodeTerm(r: YamlReader, at: At): NodeSelectorTerm {
  const m = r.map(at, TERM);
  const reqs = (k: 'matchExpressions' | 'matchFields'): NodeSelectorRequirement[] => (m?.get(k) ? r.list(m.get(k)!) : []).map((e) => readRequirement(r, e, k === 'matchFields')).filter((e): e is NodeSelectorRequirement => e !== undefined);
  return { matchExpressions: reqs('matchExpressions'), matchFields: reqs('matchFields') };
}

function readRequirement(r: YamlReader, at: At, field: boolean): NodeSelectorRequirement | undefined {
  const m = r.map(at, REQUIREMENT);
  if (!m) return undefined;
  const key = r.str(child(r, at, m, 'key'), true);
  const operator = r.oneOf(child(r, at, m, 'operator'), NODE_OPERATORS);
  if (!m.get('operator')) r.problem(child(r, at, m, 'operator'), `required, expected one of ${NODE_OPERATORS.join(', ')}`);
  const valuesAt = child(r, at, m, 'values');
  const values = r.list(valuesAt).map((v) => r.str(v, true)).filter((v): v is string => v !== undefined);
  if (key === undefined || operator === undefined) return undefined;
  if (field) {
    // The API allows one field: the node's name, with In or NotIn and exactly one value.
    if (key !== 'metadata.name') r.problem(m.get('key')!, `expected metadata.name (the only field a node selector may match), found "${key}"`);
    else if ((operator !== 'In' && operator !== 'NotIn') || values.length !== 1) r.problem(m.get('operator')!, 'matchFields metadata.name takes operator In or NotIn with exactly one value');
  }
  if ((operator === 'In' || operator === 'NotIn') && values.length === 0) r.problem(valuesAt, `operator ${operator} needs at least one value`);
  if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) r.problem(valuesAt, `operator ${operator} takes no values`);
  if ((operator === 'Gt' || operator === 'Lt') && (values.length !== 1 || !/^[-+]?[0-9]+$/.test(values[0]!))) r.problem(valuesAt, `operator ${operator} takes exactly one integer value`);
  return { key, operator, values };
}

function readWeight(r: YamlReader, at: At, m: Map<string, At>): number | undefined {
  const w = r.int(child(r, at, m, 'weight'), 1, 100);
  if (!m.get('weight')) r.problem(child(r, at, m, 'weight'), 'required, expected an integer between 1 and 100');
  return w;
}

/** A pod (anti-)affinity term; matchLabelKeys / mismatchLabelKeys are folded into the selector with this pod's values, as the API server does. */
function readPodTerm(r: YamlReader, at: At, labels: Record<string, string>): PodAffinityTerm | undefined {
  const m = r.map(at, POD_TERM);
  if (!m) return undefined;
  const topologyKey = r.str(child(r, at, m, 'topologyKey'), true);
  if (topologyKey === '') r.problem(m.get('topologyKey')!, 'expected a non-empty topology key (a node label such as kubernetes.io/hostname)');
  let labelSelector = m.get('labelSelector') ? readSelector(r, m.get('labelSelector')!) : undefined;
  const namespaceSelector = m.get('namespaceSelector') ? readSelector(r, m.get('namespaceSelector')!) : undefined;
  const namespaces = (m.get('namespaces') ? r.list(m.get('namespaces')!) : []).map((n) => r.str(n)).filter((n): n is string => n !== undefined);
  const keys = (k: string): string[] => (m.get(k) ? r.list(m.get(k)!) : []).map((n) => r.str(n)).filter((n): n is string => n !== undefined);
  if (labelSelector) labelSelector = withLabelKeys(labelSelector, keys('matchLabelKeys'), keys('mismatchLabelKeys'), labels);
  if (!topologyKey) return undefined;
  return { ...(labelSelector ? { labelSelector } : {}), namespaces, ...(namespaceSelector ? { namespaceSelector } : {}), topologyKey };
}

function withLabelKeys(sel: LabelSelector, match: string[], mismatch: string[], labels: Record<string, string>): LabelSelector {
  const extra = [
    ...match.filter((k) => labels[k] !== undefined).map((k) => ({ key: k, operator: 'In' as const, values: [labels[k]!] })),
    ...mismatch.filter((k) => labels[k] !== undefined).map((k) => ({ key: k, operator: 'NotIn' as const, values: [labels[k]!] })),
  ];
  return extra.length === 0 ? sel : { matchLabels: sel.matchLabels, matchExpressions: [...sel.matchExpressions, ...extra] };
}

function readSpread(r: YamlReader, at: At): TopologySpreadConstraint | undefined {
  const m = r.map(at, SPREAD);
  if (!m) return undefined;
  const maxSkew = r.int(child(r, at, m, 'maxSkew'), 1, INT32_MAX);
  if (!m.get('maxSkew')) r.problem(child(r, at, m, 'maxSkew'), `required, expected an integer between 1 and ${INT32_MAX}`);
  const topologyKey = r.str(child(r, at, m, 'topologyKey'), true);
  if (topologyKey === '') r.problem(m.get('topologyKey')!, 'expected a non-empty topology key (a node label such as topology.kubernetes.io/zone)');
  const whenAt = child(r, at, m, 'whenUnsatisfiable');
  const whenUnsatisfiable = r.oneOf(whenAt, ['DoNotSchedule', 'ScheduleAnyway'] as const);
  if (!m.get('whenUnsatisfiable')) r.problem(whenAt, 'required, expected one of DoNotSchedule, ScheduleAnyway');
  const labelSelector = m.get('labelSelector') ? readSelector(r, m.get('labelSelector')!) : undefined;
  const minDomains = r.int(m.get('minDomains'), 1, INT32_MAX);
  if (minDomains !== undefined && whenUnsatisfiable !== 'DoNotSchedule') r.problem(m.get('minDomains')!, 'minDomains can only be set with whenUnsatisfiable: DoNotSchedule');
  const nodeAffinityPolicy = r.oneOf(m.get('nodeAffinityPolicy'), ['Honor', 'Ignore'] as const) ?? 'Honor';
  const nodeTaintsPolicy = r.oneOf(m.get('nodeTaintsPolicy'), ['Honor', 'Ignore'] as const) ?? 'Ignore';
  const matchLabelKeys = (m.get('matchLabelKeys') ? r.list(m.get('matchLabelKeys')!) : []).map((n) => r.str(n)).filter((n): n is string => n !== undefined);
  if (maxSkew === undefined || !topologyKey || whenUnsatisfiable === undefined) return undefined;
  return { maxSkew, topologyKey, whenUnsatisfiable, ...(labelSelector ? { labelSelector } : {}), ...(minDomains === undefined ? {} : { minDomains }), matchLabelKeys, nodeAffinityPolicy, nodeTaintsPolicy };
}
