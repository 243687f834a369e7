import { describe, expect, it } from 'vitest';
import { median, ratio, range, table } from '../../src/bench/suite/markdown.js';
import { floorRow, type FloorRate } from '../../src/bench/suite/floor-compare.js';
import { ns3Row, type Rate } from '../../src/bench/suite/ns3-compare.js';
import { ns3Missing } from '../../src/bench/suite/ns3.js';
import { floorMarkdown, floorVerdict, goals, maxMarkdown, ns3Markdown, reportMarkdown, spliceReport, type Report } from '../../src/bench/suite/report.js';

// The benchmark report's arithmetic and layout, on made-up figures (nothing here is timed).
const rate = (wall: number, cpu = wall, loadavg1 = 1): Rate => ({ wall, cpu, peakRssBytes: 100 * 2 ** 20, loadavg1 });
const machine = { node: 'v20', cpu: 'Test CPU', cores: 2, memGiB: 8, kernel: '6.1', loadavg: [0.5, 0.4, 0.3] };

const floorRate = (wall: number, cpu = wall, loadavg1 = 1): FloorRate => ({ ...rate(wall, cpu, loadavg1), eventsPerDatagram: 7, walkEventsPerDatagram: 7, frameBytes: 106, captured: 2000, matching: 1999 });

function report(ns3: boolean): Report {
  const ns = (w: number): Rate[] => (ns3 ? [rate(w, w, 0.5), rate(w + 10), rate(w - 10)] : []);
  const nsMedian = (w: number): { wall: number; cpu: number } => (ns3 ? { wall: w, cpu: w } : { wall: NaN, cpu: NaN });
  return {
    machine,
    machineAfter: { ...machine, loadavg: [1.5, 0.9, 0.4] },
    cost: { wallS: 312.4, cpuS: 290.2, command: 'npm run bench', commit: 'abc1234' },
    ns3: {
      packets: 100_000,
      tracedPackets: 20_000,
      reps: 3,
      ...(ns3 ? {} : { skipped: 'libns3-dev is not installed' }),
      rows: [
        ns3Row({ mode: 'same-node', sender: 'new-socket', ns3: ns(100_000), off: [rate(20_000), rate(30_000), rate(25_000, 50_000)], on: [rate(10_000)] }),
        ns3Row({ mode: 'cross-node', sender: 'connected', ns3: ns(50_000), off: [rate(600_000)], on: [rate(60_000, 40_000, 2.5)] }),
      ],
      floor: [
        // 10× ns-3 at 100,000/s allows 1 µs a datagram: a floor of 1.25 µs (800,000/s) does not fit; 0.5 µs leaves 0.5 µs.
        floorRow({ mode: 'same-node', every: [floorRate(800_000), floorRate(700_000, 800_000, 3)], whole: [floorRate(2_000_000)], ns3EventsPerPacket: ns3 ? [9, 9.0004, 9.0004] : [] }, nsMedian(100_000)),
        // At 50,000/s, 2 µs: a floor of 1 µs leaves 1 µs (podwalk's connected sender spends 1/0.6 - 1 µs on the rest).
        floorRow({ mode: 'cross-node', every: [floorRate(1_000_000)], whole: [floorRate(4_000_000)], ns3EventsPerPacket: ns3 ? [13] : [] }, nsMedian(50_000)),
      ],
    },
    max: { nodes: 5000, pods: 150_000, services: 10_000, loadMs: 20_000, buildMs: 30_000, loadCpuMs: 19_000, buildCpuMs: 29_000, heapBytes: 1e9, rssAfterBuildBytes: 2e9, peakRssBytes: 3.4e9, firstPacketMs: 9000, firstPacketCpuMs: 8000, tracedPacketMs: 12.5, tracedPacketCpuMs: 9.5, rulesTraversed: 20_026, delivered: true, loadavg1AtStart: 1.2 },
    memory: { inFlight: { packets: 20_000, bytesPerPacket: 1858 }, idle: { nodes: 10, pods: 2000, bytesPerPod: 9976 } },
  };
}

describe('bench report', () => {
  it('median of interleaved runs; ratios of medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    const row = report(true).ns3!.rows[0]!;
    expect(row.ns3.wall).toBe(100_000);
    expect(row.off.wall).toBe(25_000);
    expect(row.off.cpu).toBe(30_000);
    expect(row.ratio.offWall).toBeCloseTo(0.25);
    expect(row.loadavg1).toEqual([0.5, 1]);
  });

  it('prints ratios as N×, and a dash where there is nothing to divide by', () => {
    expect(ratio(25_000, 100_000)).toBe('0.25×');
    expect(ratio(1_200_000, 100_000)).toBe('12.0×');
    expect(ratio(25_000, NaN)).toBe('–');
    expect(ratio(25_000, 0)).toBe('–');
    expect(range([2.5, 0.5, 1])).toBe('0.50–2.50');
  });

  it('Markdown tables: one row per line, aligned columns, | escaped, a short row refused', () => {
    expect(table(['a', 'b'], [['x|y', 1]], ['l', 'r'])).toEqual(['| a | b |', '|---|---:|', '| x\\|y | 1 |']);
    expect(() => table(['a', 'b'], [['x']])).toThrow(/1 cells/);
  });

  it('judges each goal against its target', () => {
    const gs = goals(report(true));
    expect(gs.map((g) => [g.target, g.met])).toEqual([
      ['≥ 10×', true], // connected sender, cross-node: 600,000 / 50,000 = 12×
      ['≥ 1×', true], // 60,000 / 50,000
      ['< 60 s', true],
      ['< 8 GB', true],
      ['< 10 ms', false], // judged on wall time: 12.5 ms
      ['measured', true],
    ]);
    expect(gs[0]!.measured).toBe('12.0× (per CPU second 12.0×)');
  });

  it('the floor: medians, ratios to ns-3, the CPU µs 10× ns-3 leaves after it, and a verdict per walk', () => {
    const r = report(true);
    const [same, cross] = r.ns3!.floor!;
    expect(same!.every).toEqual({ wall: 750_000, cpu: 800_000 });
    expect(same!.ratio.everyWall).toBeCloseTo(7.5);
    expect(same!.us.tenfold).toBeCloseTo(1);
    expect(same!.us.leftEvery).toBeCloseTo(-0.25);
    expect(same!.us.leftWhole).toBeCloseTo(0.5);
    expect(same!.ns3EventsPerPacket).toBeCloseTo(9.0004);
    expect(same!.loadavg1).toEqual([1, 3]);
    expect(floorVerdict(same!, 100_000 * 0.5)).toBe(
      'Same node: 10× ns-3 allows 1.00 µs of CPU per datagram; the floor with every event (7 a datagram) takes 1.25 µs (8.00× ns-3 per CPU second) and is over it by 0.25 µs: **out of reach even with nothing else done**; ' +
        'with send + deliver only it takes 0.50 µs (20.0×) and leaves **0.50 µs** per datagram for all other work (podwalk spends 19.50 µs on it now).',
    );
    expect(cross!.us.leftEvery).toBeCloseTo(1);
    const md = floorMarkdown(r.ns3!).join('\n');
    expect(md).toContain('| same node | 100,000 | – | – | 750,000 | **7.50×** | 2,000,000 | **20.0×** |');
    expect(md).toContain('| cross-node (host-gw) | 50,000 | 600,000 | 12.0× | 1,000,000 | **20.0×** | 4,000,000 | **80.0×** |');
    expect(md).toContain('| cross-node (host-gw) | 7 / 13 | 20.00 | 2.00 | 1.67 | 1.00 | 0.25 |');
    expect(md).toContain('1,999 of 2,000 / 1,999 of 2,000 captured datagrams');
    const failed = floorMarkdown({ ...r.ns3!, floor: [floorRow({ mode: 'same-node', every: [], whole: [], ns3EventsPerPacket: [9], error: 'floor same-node (every-event): the capture saw 1 of 2 events' }, { wall: 100_000, cpu: 100_000 })] }).join('\n');
    expect(failed).toContain('**Floor not measured on the same node walk: floor same-node (every-event): the capture saw 1 of 2 events.**');
    expect(failed).toContain('| same node | 100,000 | – | – | – | – | – | – |');
  });

  it('ns-3 missing: the section says why, podwalk is still shown, ratios and goals are blank', () => {
    const r = report(false);
    const md = ns3Markdown(r.ns3!).join('\n');
    expect(md).toContain('**ns-3 skipped: libns3-dev is not installed.**');
    expect(md).toContain('| same node, a new socket per datagram | – | 25,000 | – | 10,000 | – |');
    expect(md).toContain('| same node | 7 / – | – | – | – | 1.25 | 0.50 |');
    expect(md).toContain('Without ns-3 the floor has nothing to be compared with: no verdict.');
    expect(goals(r).slice(0, 2).map((g) => [g.measured, g.met])).toEqual([
      ['ns-3 skipped', undefined],
      ['ns-3 skipped', undefined],
    ]);
  });

  it('no table wider than 8 columns; machine, load and cost in the first line', () => {
    const md = reportMarkdown(report(true));
    const widest = Math.max(...md.split('\n').filter((l) => l.startsWith('|')).map((l) => l.replace(/\\\|/g, '').split('|').length - 2));
    expect(widest).toBeLessThanOrEqual(8);
    expect(md.split('\n')[0]).toMatch(/^Machine: Test CPU, 2 cores, 8 GiB, Linux 6.1, Node v20; podwalk at abc1234.*0\.5 \/ 0\.4 \/ 0\.3 at the start.*\*\*312 s\*\* of wall time and 290 s of CPU/);
  });

  it('a case that did not finish says so', () => {
    const md = maxMarkdown({ nodes: 5000, pods: 150_000, services: 10_000, error: 'timed out after 600 s', loadavg1AtStart: 3, peakRssBytes: 0 }).join('\n');
    expect(md).toContain('not finished: timed out after 600 s');
  });

  it('rewrites bench/README.md between its report markers only', () => {
    const readme = 'intro\n<!-- report:start -->\nold\n<!-- report:end -->\noutro\n';
    expect(spliceReport(readme, 'new\n')).toBe('intro\n<!-- report:start -->\nnew\n<!-- report:end -->\noutro\n');
    expect(() => spliceReport('no markers', 'x')).toThrow(/report:start/);
  });

  it('skips ns-3 with a clear note when pkg-config cannot find libns3-dev', () => {
    const saved = process.env.PKG_CONFIG;
    process.env.PKG_CONFIG = 'false';
    try {
      expect(ns3Missing()).toMatch(/libns3-dev is not installed \(apt-get install libns3-dev g\+\+ pkg-config\)/);
    } finally {
      if (saved === undefined) delete process.env.PKG_CONFIG;
      else process.env.PKG_CONFIG = saved;
    }
  });
});
