import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

const scenarios = join(import.meta.dirname, '..', '..', 'scenarios');

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = cli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('--proxy-mode and the ipvs views', () => {
  it('replays an iptables-mode scenario in ipvs mode: IPVS schedules instead of nat PREROUTING DNAT', () => {
    const r = run(['run', join(scenarios, 'service-clusterip.yaml'), '--proxy-mode', 'ipvs', '--detail', 'full']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ipvs schedule TCP 10\.96\.0\.\d+:80 rr -> 10\.244\.\d+\.\d+:8080/);
    expect(r.out).not.toMatch(/-j KUBE-SEP-/);
  });

  it('show ipvs prints ipvsadm -Ln and -Lnc; show ipset prints ipset list', () => {
    const ipvs = run(['show', join(scenarios, 'service-ipvs.yaml'), 'ipvs', '--node', 'node1']);
    expect(ipvs.code).toBe(0);
    expect(ipvs.out).toMatch(/^IP Virtual Server version 1\.2\.1/);
    expect(ipvs.out).toMatch(/TCP {2}10\.96\.0\.100:80 +rr\n {2}-> 10\.244\.1\.3:8080 +Masq/);
    expect(ipvs.out).toMatch(/IPVS connection entries/);
    const sets = run(['show', join(scenarios, 'service-ipvs.yaml'), 'ipset', '--node', 'node1']);
    expect(sets.out).toMatch(/Name: KUBE-CLUSTER-IP\nType: hash:ip,port/);
    expect(sets.out).toMatch(/10\.96\.0\.100,tcp:80/);
  });

  it('an unknown proxy mode is invalid input (exit 2)', () => {
    const r = run(['run', join(scenarios, 'service-clusterip.yaml'), '--proxy-mode', 'userspace']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--proxy-mode: expected iptables, ipvs or nftables, got userspace/);
  });
});
