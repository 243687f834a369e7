/**
 * show -> import -> show: every shipped scenario's generated node state, saved
 * as the tools print it (iptables-save, ipset save, ipvsadm -Sn, ip route),
 * loaded back as that node's import, prints exactly the same — in iptables
 * and ipvs mode. The load-time checks find nothing to say about it either:
 * every address kube-proxy and the backend wrote is one the scenario knows.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCluster } from '../../src/cluster/build.js';
import { saveIpvs } from '../../src/kernel/ipvs/ipvsadm-dump.js';
import type { Netfilter } from '../../src/kernel/netfilter/netfilter.js';
import type { NetNs } from '../../src/kernel/netns.js';
import { showIptables, showRoutes } from '../../src/kernel/show.js';
import { checkNodeImport } from '../../src/scenario/check/check-node-import.js';
import { importWarnings } from '../../src/scenario/check/import-addresses.js';
import { formatProblem, loadScenarioFile } from '../../src/scenario/load/parse.js';
import { YamlReader } from '../../src/scenario/load/yaml-reader.js';
import type { NodeImportSpec, Scenario } from '../../src/scenario/types.js';
import { parseCidr } from '../../src/wire/addr.js';

const dir = join(import.meta.dirname, '..', '..', 'scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

function build(s: Scenario): ReturnType<typeof buildCluster> {
  return buildCluster(s.cluster, s.pods, {
    detailed: false,
    controlPlane: {
      services: s.services,
      endpointSlices: s.endpointSlices,
      ...(s.networkPolicies.length > 0 ? { networkPolicy: { policies: s.networkPolicies, namespaces: s.namespaces, options: s.cluster.networkPolicy } } : {}),
    },
  });
}

/** What the node's tools would print. */
function saved(ns: NetNs): NodeImportSpec {
  const nf = ns.nf?.engine as Netfilter | undefined;
  const sets = nf?.ipsets.save() ?? '';
  return {
    files: { iptablesSave: 'node.iptables', ipRoute: 'node.routes', ...(sets ? { ipsetSave: 'node.ipsets' } : {}), ...(ns.ipvs ? { ipvsadm: 'node.ipvs' } : {}) },
    iptablesSave: `${showIptables(ns)}\n`,
    ipRoute: `${showRoutes(ns)}\n`,
    ...(sets ? { ipsetSave: sets } : {}),
    ...(ns.ipvs ? { ipvsadm: saveIpvs(ns.ipvs) } : {}),
  };
}

describe('node import round trip (show -> import -> show)', () => {
  for (const file of files) {
    for (const mode of ['iptables', 'ipvs'] as const) {
      it(`${file} (${mode})`, () => {
        const r = loadScenarioFile(join(dir, file), { proxyMode: mode });
        if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
        const s = r.scenario;
        const before = build(s);
        // Nodes that already import their state are not podwalk's to round-trip.
        for (const node of s.cluster.nodes.filter((n) => !n.imported)) {
          const ns = before.nodes.get(node.name)!;
          const imp = saved(ns);
          // The loader's checks: no problem, no warning.
          const rd = new YamlReader('test.yaml', '{}');
          const c = s.cluster;
          checkNodeImport(rd, { spec: imp, ats: { iptablesSave: { node: undefined, path: 'x', near: { file: 't', line: 1, col: 1 } }, ipsetSave: { node: undefined, path: 'x', near: { file: 't', line: 1, col: 1 } }, ipvsadm: { node: undefined, path: 'x', near: { file: 't', line: 1, col: 1 } }, ipRoute: { node: undefined, path: 'x', near: { file: 't', line: 1, col: 1 } } }, at: { node: undefined, path: 'x', near: { file: 't', line: 1, col: 1 } } }, {
            node: node.name,
            proxyMode: c.proxyMode,
            network: c.network,
            bridge: c.bridge,
            underlay: parseCidr(c.underlay.cidr)!,
            podCIDR: parseCidr(node.podCIDR)!,
            clusterCIDR: parseCidr(c.clusterCIDR)!,
          });
          expect([...rd.problems, ...rd.warnings].map(formatProblem)).toEqual([]);
          const imported = { ...s, cluster: { ...c, nodes: c.nodes.map((n) => (n.name === node.name ? { ...n, imported: imp } : n)) } };
          const index = c.nodes.indexOf(node);
          expect(importWarnings(imported.cluster, s.pods, s.services, s.endpointSlices, 0).filter((w) => w.path.startsWith(`cluster.nodes[${index}]`)).map(formatProblem)).toEqual([]);
          const after = build(imported).nodes.get(node.name)!;
          const again = saved(after);
          expect(again.iptablesSave).toBe(imp.iptablesSave);
          expect(again.ipRoute).toBe(imp.ipRoute);
          expect(again.ipsetSave).toBe(imp.ipsetSave);
          expect(again.ipvsadm).toBe(imp.ipvsadm);
        }
      });
    }
  }
});
