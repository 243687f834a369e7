import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

function runCli(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = cli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function scenarioFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'podwalk-wording-')), 's.yaml');
  writeFileSync(file, text);
  return file;
}

const head = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: w}
cluster: {network: flannel-vxlan, nodes: [{name: node1}]}
resources:
  - {apiVersion: v1, kind: Namespace, metadata: {name: shop}}
  - {apiVersion: v1, kind: Pod, metadata: {name: client, namespace: shop}, spec: {nodeName: node1, containers: [{name: c, image: x}]}}
`;

describe('messages a user reads', () => {
  it('validate counts in agreement, and says which pods podwalk added', () => {
    const r = runCli(['validate', scenarioFile(`${head}traffic:\n  - {name: a, from: pod/shop/client, to: 10.244.1.99, port: 80}\n`)]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/: valid \(1 node, 4 pods, 3 of them built-in, 1 traffic item\)\n$/);
  });

  it('a bare pod name, or pod/<name> for a pod outside default, is answered with the form that names it', () => {
    const bare = runCli(['validate', scenarioFile(`${head}traffic:\n  - {name: a, from: client, to: 10.244.1.99, port: 80}\n`)]);
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(/traffic\[0\]\.from: expected pod\/<ns>\/<name>, .*, found "client" \(did you mean pod\/shop\/client\?\)/);
    const short = runCli(['validate', scenarioFile(`${head}traffic:\n  - {name: a, from: pod/client, to: 10.244.1.99, port: 80}\n`)]);
    expect(short.err).toMatch(/traffic\[0\]\.from: no pod default\/client \(pods in default: none\); did you mean pod\/shop\/client\?/);
  });

  it('nodes written as bare names: each item is said to be wrong, not the list to be empty', () => {
    const r = runCli(['validate', scenarioFile('apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: w}\ncluster: {nodes: [node1, node2]}\n')]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n').filter((l) => l !== '')).toEqual([expect.stringMatching(/:4:19: cluster\.nodes\[0\]: expected a mapping, found "node1"$/), expect.stringMatching(/:4:26: cluster\.nodes\[1\]: expected a mapping, found "node2"$/)]);
    const empty = runCli(['validate', scenarioFile('apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: w}\ncluster: {nodes: []}\n')]);
    expect(empty.err).toMatch(/cluster\.nodes: expected a list of at least one node/);
  });

  it("a dropped request's headline names the endpoint it was DNATed to, as a delivered one does", () => {
    const r = runCli(['run', join(import.meta.dirname, '..', '..', 'scenarios', 'netpol-service-denied.yaml'), '--quiet', '--flow', 'intruder-via-service']);
    expect(r.out).toMatch(/intruder-via-service: TCP, dropped: policy-denied\n {2}intruder \S+ → service\/default\/backend \S+ ⇒ backend 10\.244\.\d+\.\d+:9376\n/);
  });
});
