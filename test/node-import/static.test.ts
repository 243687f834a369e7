/**
 * An imported iptables rule set is a static snapshot: kube-proxy on that node
 * writes nothing over it, at build or when Services change later.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCluster } from '../../src/cluster/build.js';
import { showIptables } from '../../src/kernel/show.js';
import { formatProblem, loadScenarioFile } from '../../src/scenario/load/parse.js';

const file = join(import.meta.dirname, '..', '..', 'scenarios', 'node-import-kubeadm.yaml');

describe('imported iptables are a static snapshot', () => {
  it("kube-proxy's re-sync leaves them as imported, and still re-programs the other nodes", () => {
    const r = loadScenarioFile(file);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const s = r.scenario;
    const c = buildCluster(s.cluster, s.pods, { detailed: false, controlPlane: { services: s.services, endpointSlices: s.endpointSlices } });
    const node2 = c.nodes.get('node2')!;
    const node1 = c.nodes.get('node1')!;
    const imported = showIptables(node2);
    expect(imported).toContain('-A DOCKER-USER ! -s 192.168.56.100/32 -i eth0 -j DROP');
    const before1 = showIptables(node1);
    // The api Service loses its endpoints.
    const next = { services: s.services, endpointSlices: s.endpointSlices.map((sl) => (sl.serviceName === 'api' ? { ...sl, endpoints: [] } : sl)) };
    c.proxies.get('node2')!.resync!(next);
    c.proxies.get('node1')!.resync!(next);
    expect(showIptables(node2)).toBe(imported);
    expect(showIptables(node1)).not.toBe(before1);
  });
});
