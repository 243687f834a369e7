import Table from 'cli-table3';
import type { Command } from 'commander';
import { runEncap, type EncapResult, type EncapTopology } from '../bench/encap.js';
import { scenarioFieldPos } from '../scenario/load/field-pos.js';
import type { Problem, Scenario } from '../scenario/types.js';
import { fit, PLAIN as PLAIN_TERMINAL, type Terminal } from '../trace/view/terminal.js';

/** `podwalk bench encap [FILE]`: the encapsulation-overhead sweep as tables or JSON. */
/** The underlay MTUs `bench encap` sweeps, from a flag or a file alike (576: what every IPv4 host must accept, RFC 791). */
export const ENCAP_MTU = { min: 576, max: 65535 } as const;

export function registerBench(
  program: Command,
  io: { out: (s: string) => void; term?: Terminal },
  load: (file: string) => Scenario,
  parseMtu: (v: string) => number,
  invalid: (p: Problem) => never,
): void {
  const bench = program.command('bench').description('benchmarks measured by simulating packets through the model');
  bench
    .command('encap')
    .description('encapsulation overhead of host-gw, flannel-vxlan and flannel-udp: bytes, efficiency, throughput, latency, fragmentation')
    .argument('[file]', "scenario whose underlay (MTU, bandwidth, latency) to use (default: 1500 B, 10Gbit, 50us; plus a jumbo-frame sweep)")
    .option('--mtu <n>', 'underlay MTU (repeatable: one sweep per MTU)', (v: string, acc: number[] | undefined) => [...(acc ?? []), parseMtu(v)])
    .option('--json', 'print the results as JSON')
    .action((file: string | undefined, o: { mtu?: number[]; json?: boolean }) => {
      const base: EncapTopology = { mtu: 1500, bandwidthBps: 10e9, latencyNs: 50_000 };
      if (file) {
        const u = load(file).cluster.underlay;
        // A valid scenario may have an underlay too small for the sweep (host-gw runs on MTU 68; vxlan's pods would
        // get less than IPv4's 68): refused as the flag is, pointing at the file's value.
        if (!o.mtu && u.mtu < ENCAP_MTU.min) {
          const at = scenarioFieldPos(file, ['cluster', 'underlay', 'mtu']) ?? { file, line: 1, col: 1 };
          invalid({ ...at, path: 'cluster.underlay.mtu', message: `bench encap needs an underlay MTU from ${ENCAP_MTU.min} to ${ENCAP_MTU.max} (as --mtu), found ${u.mtu}; --mtu N overrides the file's` });
        }
        Object.assign(base, { mtu: u.mtu, bandwidthBps: u.bandwidthBps, latencyNs: u.latencyNs });
      }
      const mtus = o.mtu ?? (file ? [base.mtu] : [1500, 9000]);
      const results = mtus.map((mtu) => runEncap({ topology: { ...base, mtu } }));
      if (o.json) io.out(JSON.stringify(results, null, 2) + '\n');
      else for (const r of results) io.out(renderEncap(r, io.term?.width));
    });
}

/** No colours, no lines between rows: readable in a terminal and in a log file alike. */
const PLAIN = { head: [], border: [], compact: true };
const gbit = (bps: number): string => (bps / 1e9).toFixed(2);
const kpps = (pps: number): string => Math.round(pps / 1000).toLocaleString('en');
const us = (ns: number): string => (ns / 1000).toFixed(1);

/** The sweep as people read it: one UDP table, one TCP table (each split to fit `width` columns, if given). */
export function renderEncap(r: EncapResult, width?: number): string {
  const t = r.topology;
  const head = `underlay MTU ${t.mtu}, link ${gbit(t.bandwidthBps)} Gbit/s, ${us(t.latencyNs)} us per link; "wire" = links only, "cpu" = with the per-hop cost model`;
  const hostGw = new Map(r.udp.filter((u) => u.backend === 'host-gw').map((u) => [u.payload, u.underlayBytes]));
  const udpHead = ['backend', 'UDP payload B', 'frames', 'underlay B', '+B vs host-gw', 'overhead %', 'latency us wire/cpu', 'kpps wire/cpu', 'goodput Gbit/s wire/cpu'];
  const udpRows: (string | number)[][] = [];
  for (const u of r.udp) {
    udpRows.push([
      u.backend,
      u.payload,
      u.fragmented ? `${u.framesPerDatagram} (fragmented)` : u.framesPerDatagram,
      u.underlayBytes,
      u.underlayBytes - (hostGw.get(u.payload) ?? u.underlayBytes),
      u.overheadPct.toFixed(1),
      `${us(u.latencyWireNs)} / ${us(u.latencyCpuNs)}`,
      `${kpps(u.ppsWire)} / ${kpps(u.ppsCpu)}`,
      `${gbit(u.goodputWireBps)} / ${gbit(u.goodputCpuBps)}`,
    ]);
  }
  const base = r.tcp.find((x) => x.backend === 'host-gw');
  const tcpHead = ['backend', 'pod MTU', 'MSS', 'data/segment B', 'frame B', 'efficiency', 'goodput Gbit/s wire', 'goodput Gbit/s cpu', 'cpu vs host-gw'];
  const tcpRows: (string | number)[][] = [];
  for (const x of r.tcp) {
    tcpRows.push([
      x.backend,
      x.podMtu,
      x.mss,
      x.segmentData,
      x.frameBytes,
      `${x.segmentData}/${x.frameBytes} = ${(100 * x.efficiency).toFixed(2)}%`,
      gbit(x.goodputWireBps),
      gbit(x.goodputCpuBps),
      base ? (x.goodputCpuBps / base.goodputCpuBps).toFixed(2) : '',
    ]);
  }
  const wireNote = 'kpps "wire": frames as tcpdump shows them, without the 8-byte preamble, 12-byte inter-frame gap and 4-byte FCS a NIC also sends, so small frames show more packets/s than a real link carries';
  const term: Terminal = { ...PLAIN_TERMINAL, width };
  const text = (line: string): string => fit(line, term, 2).join('\n');
  return [
    text(`Encapsulation overhead: ${head}`),
    '',
    'UDP datagrams, pod -> pod across nodes',
    fittedTables(udpHead, udpRows, 2, width),
    text(wireNote),
    '',
    'TCP bulk transfer (MSS from the path MTU)',
    fittedTables(tcpHead, tcpRows, 1, width),
    '',
    '',
  ].join('\n');
}

/**
 * One table, or, when it is wider than the terminal, several one under the
 * other: each repeats the first `keys` columns (what a row is) and takes as
 * many of the others as fit.
 */
function fittedTables(head: string[], rows: (string | number)[][], keys: number, width: number | undefined): string {
  const render = (cols: number[]): string => {
    const t = new Table({ style: PLAIN, head: cols.map((c) => head[c]!) });
    for (const row of rows) t.push(cols.map((c) => row[c]!));
    return t.toString();
  };
  const all = head.map((_, i) => i);
  const whole = render(all);
  const wide = (s: string): number => Math.max(...s.split('\n').map((l) => l.length));
  if (width === undefined || wide(whole) <= width) return whole;
  const key = all.slice(0, keys);
  const parts: string[] = [];
  let cols = [...key];
  for (const c of all.slice(keys)) {
    if (cols.length > keys && wide(render([...cols, c])) > width) {
      parts.push(render(cols));
      cols = [...key];
    }
    cols.push(c);
  }
  parts.push(render(cols));
  return parts.join('\n');
}
