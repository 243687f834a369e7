import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

const FILE = join(process.cwd(), 'test', 'kernel', 'fixtures', 'ipvs-local-real-server.yaml');

function run(argv: string[]): string {
  let out = '';
  const code = cli(argv, { out: (s) => (out += s), err: () => {} });
  expect(code).toBe(0);
  return out;
}

describe('IPVS to a real server on the same host', () => {
  // At LOCAL_IN filter INPUT (priority 0) runs before IPVS (99); ip_vs_nat_send_or_cont lets a packet for a
  // local real server go on with the hooks after IPVS (nat INPUT, the confirm), so filter INPUT sees it once.
  it('filter INPUT counts each of the client packets once, not again after IPVS', () => {
    const rules = run(['show', FILE, '--node', 'node1', 'iptables', '-c']);
    const input = /^:INPUT ACCEPT \[(\d+):\d+\]$/m.exec(rules);
    const filter = /^\[(\d+):\d+\] -A INPUT .*-j KUBE-IPVS-FILTER$/m.exec(rules);
    const clusterIp = /^\[(\d+):\d+\] -A KUBE-IPVS-FILTER -m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN$/m.exec(rules);
    expect(input?.[1]).toBe('3');
    expect(filter?.[1]).toBe('3');
    expect(clusterIp?.[1]).toBe('3');
  });

  it('the connection is delivered to the hostNetwork endpoint', () => {
    expect(run(['run', FILE, '--quiet'])).toMatch(/to-host: TCP, delivered/);
  });
});
