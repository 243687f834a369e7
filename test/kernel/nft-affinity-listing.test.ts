import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/cluster/build.js';
import { showNft } from '../../src/kernel/show.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// kube-proxy's nftables affinity set after one connection: how `nft list` shows the element
// its `update @affinity-…` rule added (nf_tables_fill_setelem sends the element's timeout
// only when it differs from the set's from Linux 6.12 on, commit 4c5daea9af4f).
function affinityElements(release?: string): string {
  const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: nft-affinity-listing}
cluster:
  network: flannel-vxlan
  proxyMode: nftables
  nodes: [{name: node1}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: curl}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node1, containers: [{name: w, image: nginx, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, sessionAffinity: ClientIP, ports: [{port: 80, targetPort: 8080}]}}
${release ? `steps:\n  - {at: 0s, kernel: {node: node1, release: ${release}}}\n` : ''}traffic:
  - {name: c1, from: pod/client, to: service/web, port: 80, at: 1ms}
`;
  const r = loadScenarioText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  let cluster: Cluster | undefined;
  simulate(r.scenario, { onBuilt: (c) => (cluster = c) });
  const listed = showNft(cluster!.nodes.get('node1')!);
  return listed.split('\n').find((l) => l.includes('elements = { 10.244.'))!.trim();
}

describe('nft list: an affinity element the packet path added', () => {
  it('Linux 6.12 and later (no kernel step): expires alone, as nft 1.0.6 lists it on 6.18', () => {
    expect(affinityElements()).toBe('elements = { 10.244.1.2 expires 2h59m59s }');
  });

  it('before 6.12 (a kernel step): the set timeout is listed too', () => {
    expect(affinityElements('6.1.0-18-amd64')).toBe('elements = { 10.244.1.2 timeout 3h expires 2h59m59s }');
  });
});
