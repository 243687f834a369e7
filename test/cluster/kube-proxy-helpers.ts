import type { EndpointInput, EndpointSliceInput, ServiceInput, ServicePortInput } from '../../src/cluster/spec.js';
import type { ProxierConfig } from '../../src/cluster/kube-proxy/index.js';

/** Upstream's test conventions (proxier_test.go NewFakeProxier). */
export const TEST_CONFIG: ProxierConfig = {
  nodeName: 'test-node',
  nodeIPs: ['192.168.0.2', '192.168.1.2', '192.168.99.11'],
  clusterCIDR: '10.0.0.0/8',
};

export function port(name: string, p: number, extra: Partial<ServicePortInput> = {}): ServicePortInput {
  return { name, protocol: 'TCP', port: p, targetPort: p, ...extra };
}

export function service(ns: string, name: string, clusterIP: string, ports: ServicePortInput[], extra: Partial<ServiceInput> = {}): ServiceInput {
  return {
    namespace: ns,
    name,
    type: 'ClusterIP',
    clusterIP,
    ports,
    externalIPs: [],
    loadBalancerIPs: [],
    loadBalancerSourceRanges: [],
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    ...extra,
  };
}

export function ep(ip: string, extra: Partial<EndpointInput> = {}): EndpointInput {
  return { ip, ready: true, serving: true, terminating: false, ...extra };
}

export function slice(ns: string, svc: string, ports: EndpointSliceInput['ports'], endpoints: EndpointInput[], name = `${svc}-abcde`): EndpointSliceInput {
  return { namespace: ns, name, serviceName: svc, ports, endpoints };
}

/** A restore/save document as table -> chain -> sorted rule lines (plus the declared chains). */
export type RuleSets = Map<string, Map<string, string[]>>;

/** Parse iptables-restore text into sets of lines per table and chain (order-insensitive, like upstream's test). */
export function ruleSets(text: string): RuleSets {
  const out: RuleSets = new Map();
  let table: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line === 'COMMIT' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = new Map();
      out.set(line.slice(1), table);
      continue;
    }
    if (table === undefined) throw new Error(`line outside a table: ${line}`);
    if (line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0] ?? '';
      if (!table.has(chain)) table.set(chain, []);
      continue;
    }
    const chain = line.split(' ')[1] ?? '';
    const rules = table.get(chain) ?? [];
    rules.push(line);
    table.set(chain, rules);
  }
  for (const t of out.values()) for (const rules of t.values()) rules.sort();
  return out;
}

/** Plain-object form for readable toEqual diffs. */
export function asObject(sets: RuleSets): Record<string, Record<string, string[]>> {
  const o: Record<string, Record<string, string[]>> = {};
  for (const [t, chains] of sets) {
    o[t] = {};
    for (const c of [...chains.keys()].sort()) o[t][c] = chains.get(c) ?? [];
  }
  return o;
}
