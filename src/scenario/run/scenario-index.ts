import type { Scenario } from '../types.js';

type Pod = Scenario['pods'][number];
type Service = Scenario['services'][number];

/**
 * A scenario's pods and Services by namespace/name, built on first use: in
 * Kubernetes' largest cluster (150,000 pods, 10,000 Services) a scan per
 * packet sent costs more than the packet's walk. Where two objects share a
 * name the first is kept, as a scan would find it.
 */
export class ScenarioIndex {
  private pods: Map<string, Pod> | undefined;
  private services: Map<string, Service> | undefined;

  constructor(private readonly scenario: Scenario) {}

  pod(namespace: string, name: string): Pod | undefined {
    return (this.pods ??= byName(this.scenario.pods)).get(`${namespace}/${name}`);
  }

  service(namespace: string, name: string): Service | undefined {
    // A Service a step creates is reached at the cluster IP it is first given (it never changes).
    const created = (): Service[] => this.scenario.steps.flatMap((s) => (s.action.kind === 'apply-service' ? [s.action.service] : []));
    return (this.services ??= byName([...this.scenario.services, ...created()])).get(`${namespace}/${name}`);
  }
}

function byName<T extends { namespace: string; name: string }>(list: readonly T[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const x of list) {
    const key = `${x.namespace}/${x.name}`;
    if (!out.has(key)) out.set(key, x);
  }
  return out;
}
