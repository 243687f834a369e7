import { serviceKey } from '../../cluster/spec.js';
import { kindOf } from '../load/documents.js';
import type { At, YamlReader } from '../load/yaml-reader.js';
import type { ClusterSpec, NamespaceSpec, ServiceSpec, StepSpec } from '../types.js';
import { assignServiceAddresses } from './assign-service-addresses.js';
import { stringMap } from './check-pod.js';
import { readHeader } from './check-resources.js';
import { readService, type RawService } from './check-service.js';

/** A Service step as read: applied (created or replaced) or deleted, at its time. */
export type ServiceStep = { atNs: number; pos: StepSpec['pos'] } & ({ raw: RawService } | { delete: { namespace: string; name: string }; at: At });

/** Whether a step's `apply` holds a Service (else it is read as a NetworkPolicy). */
export function appliesService(obj: At): boolean {
  return kindOf(obj) === 'Service';
}

/** `steps[].apply` of a Service (v1): read and validated as the same object among the resources would be. */
export function readServiceStep(r: YamlReader, obj: At, namespaces: readonly NamespaceSpec[]): RawService | undefined {
  const head = readHeader(r, obj);
  if (!head) return undefined;
  const nsAt = head.meta?.get('namespace');
  const namespace = r.str(nsAt) ?? 'default';
  if (!namespaces.some((n) => n.name === namespace)) r.problem(nsAt ?? obj, `namespace ${namespace} not found (declare a Namespace)`);
  return readService(r, head.top, obj, namespace, head.name, stringMap(r, head.meta?.get('labels')));
}

/**
 * Service steps in time order, as the API server takes them: a new Service
 * gets its cluster IP and node ports then, from what the Services existing
 * at that moment leave free; a replaced one keeps the cluster IP (immutable),
 * node ports and health-check node port it was given, as `kubectl apply`
 * leaves fields it did not write; a deleted one must exist.
 */
export function serviceStepActions(r: YamlReader, steps: readonly ServiceStep[], world: { services: readonly ServiceSpec[]; cluster: ClusterSpec }): StepSpec[] {
  const current = new Map(world.services.map((s) => [serviceKey(s), s]));
  const out: StepSpec[] = [];
  for (const st of [...steps].sort((a, b) => a.atNs - b.atNs)) {
    if ('delete' in st) {
      const k = serviceKey(st.delete);
      const prev = current.get(k);
      if (!prev) r.problem(st.at, `no Service ${k} exists at ${st.atNs / 1e9} s`);
      else if (prev.builtin) r.problem(st.at, `Service ${k} is built in (cluster DNS, the API server)`);
      else {
        current.delete(k);
        out.push({ atNs: st.atNs, action: { kind: 'delete-service', namespace: st.delete.namespace, name: st.delete.name }, pos: st.pos });
      }
      continue;
    }
    const s = st.raw.spec;
    const k = serviceKey(s);
    const prev = current.get(k);
    if (prev?.builtin) {
      r.problem(st.raw.at, `Service ${k} is built in (cluster DNS, the API server)`);
      continue;
    }
    if (prev) keepAllocated(st.raw, prev);
    const [spec] = assignServiceAddresses([st.raw], world.cluster, [...current.values()].filter((x) => serviceKey(x) !== k));
    current.set(k, spec!);
    out.push({ atNs: st.atNs, action: { kind: 'apply-service', service: spec! }, pos: st.pos });
  }
  return out;
}

/** What the API server allocated to the Service being replaced stays, unless the new object says otherwise (a cluster IP cannot change). */
function keepAllocated(raw: RawService, prev: ServiceSpec): void {
  const s = raw.spec;
  if (!s.headless && s.type !== 'ExternalName' && prev.clusterIP !== undefined) {
    if (s.clusterIP === undefined) s.clusterIP = prev.clusterIP;
    else if (s.clusterIP !== prev.clusterIP) raw.r.problem(raw.clusterIPAt ?? raw.at, `field is immutable: Service ${s.namespace}/${s.name} has clusterIP ${prev.clusterIP}`);
  }
  if (s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts)) {
    for (const p of s.ports) {
      const kept = prev.ports.find((q) => q.port === p.port && q.protocol === p.protocol)?.nodePort;
      if (p.nodePort === undefined && kept !== undefined) p.nodePort = kept;
    }
  }
  if (s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local' && s.healthCheckNodePort === undefined && prev.healthCheckNodePort !== undefined) s.healthCheckNodePort = prev.healthCheckNodePort;
}

/** Services the scenario does not start with but a step creates: each as first applied (its cluster IP never changes). */
export function servicesCreatedBySteps(steps: readonly StepSpec[], existing: readonly ServiceSpec[]): ServiceSpec[] {
  const seen = new Set(existing.map((s) => `${s.namespace}/${s.name}`));
  const out: ServiceSpec[] = [];
  for (const { action: a } of steps) {
    if (a.kind !== 'apply-service' || seen.has(`${a.service.namespace}/${a.service.name}`)) continue;
    seen.add(`${a.service.namespace}/${a.service.name}`);
    out.push(a.service);
  }
  return out;
}

/** Every NetworkPolicy a scenario can have at some point, as `ns/name`: its resources', then those steps apply. */
export function policyNamesWithSteps(steps: readonly StepSpec[], existing: readonly { namespace: string; name: string }[]): string[] {
  const out = new Set(existing.map((p) => `${p.namespace}/${p.name}`));
  for (const { action: a } of steps) if (a.kind === 'apply') out.add(`${a.policy.namespace}/${a.policy.name}`);
  return [...out];
}
