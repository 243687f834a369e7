import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

/** What an 80-column terminal receives from a command. */
function at80(argv: string[]): string[] {
  let out = '';
  const code = cli(argv, { out: (s) => (out += s), err: () => {}, term: { width: 80, colour: false } });
  expect(code).toBeLessThan(2);
  return out.split('\n');
}

const scenario = (f: string): string => join(process.cwd(), 'scenarios', f);
const tooWide = (lines: string[]): string[] => lines.filter((l) => [...l].length > 80);

describe('every command fits an 80-column terminal, as run does', () => {
  it('compare: the cost goes under the outcome when the line is too long', () => {
    const lines = at80(['compare', scenario('netpol-service-denied.yaml')]);
    expect(tooWide(lines)).toEqual([]);
    expect(lines.some((l) => /^ {4,}\d+ hops, /.test(l))).toBe(true);
  });

  it('compare: three modes, totals one line per mode, nothing wider than 80 columns', () => {
    for (const f of ['service-no-endpoints.yaml', 'sctp-service.yaml']) {
      const lines = at80(['compare', scenario(f)]);
      expect(tooWide(lines), f).toEqual([]);
      const i = lines.indexOf('requests in total:');
      expect(lines.slice(i + 1, i + 4).map((l) => l.trim().split(' ')[0])).toEqual(['iptables', 'ipvs', 'nftables']);
    }
  });

  it('compare piped: nothing wraps, as run\'s report and kubectl do not (huser #6: 100-170 columns are what a pipe gets)', () => {
    let piped = '';
    expect(cli(['compare', scenario('netpol-service-denied.yaml')], { out: (s) => (piped += s), err: () => {} })).toBe(0);
    const lines = piped.split('\n');
    // One line per mode, outcome | cost, however long; at 80 columns the same text is wrapped (the test above).
    const modeLines = lines.filter((l) => /^ {3}(iptables|ipvs|nftables):/.test(l));
    expect(modeLines.length).toBeGreaterThan(0);
    for (const l of modeLines) expect(l).toMatch(/ \| \d+ hops, \d+ hook traversals, \d+ rules evaluated/);
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(80);
    const narrow = at80(['compare', scenario('netpol-service-denied.yaml')]);
    expect(narrow.join(' ').replace(/ +/g, ' ').replace(/ \| /g, ' ')).toBe(piped.split('\n').join(' ').replace(/ +/g, ' ').replace(/ \| /g, ' '));
  });

  it('matrix: notes and differences wrap with an indent', () => {
    expect(tooWide(at80(['matrix', scenario('netpol-named-ports.yaml')]))).toEqual([]);
  });

  it('bench encap: a wide table is split into tables that repeat the row keys', () => {
    const lines = at80(['bench', 'encap', '--mtu', '1500']);
    expect(tooWide(lines)).toEqual([]);
    // Every column is still there, and each part starts with the backend.
    for (const head of ['UDP payload B', 'overhead %', 'kpps wire/cpu', 'goodput Gbit/s wire/cpu', 'efficiency', 'cpu vs host-gw']) expect(lines.some((l) => l.includes(head))).toBe(true);
    expect(lines.filter((l) => /^│ backend /.test(l)).length).toBeGreaterThan(2);
  });

  it('run -vv: the event table wraps at spaces, so an address or a device name stays on one line', () => {
    const lines = at80(['run', scenario('service-clusterip.yaml'), '--flow', 'to-service', '-vv']);
    expect(tooWide(lines)).toEqual([]);
    const rows = lines.filter((l) => l.startsWith('│'));
    expect(rows.length).toBeGreaterThan(20);
    const cells = rows.map((l) => l.split('│').map((c) => c.trim()));
    // Each row with the lines its cells go on over: every address and device name in it is whole on one line.
    const groups: string[][][] = [];
    for (const c of cells) {
      if (c[1] !== '' || groups.length === 0) groups.push([c]);
      else groups.at(-1)!.push(c);
    }
    let checked = 0;
    for (const g of groups) {
      for (const col of [3, 4]) {
        const parts = g.map((c) => c[col]!);
        for (const token of parts.join(' ').match(/\d+\.\d+\.\d+\.\d+|veth[0-9a-f]{8}|[\w/-]+:eth\d/g) ?? []) {
          expect(parts.some((p) => p.includes(token)), `${token} in ${parts.join(' / ')}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(rows.some((l) => /│ default\/client:eth0 +│ arp resolving 10\.244\.1\.1 \[INCOMPLETE\]/.test(l))).toBe(true);
  });
});
