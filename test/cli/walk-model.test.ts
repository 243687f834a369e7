import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { walkFlows } from '../../src/cli/report.js';
import { viewOptions } from '../../src/cli/view-flags.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { WalkEvents } from '../../src/scenario/report/walk-events.js';
import { WalkModel } from '../../src/scenario/report/walk-model.js';
import { walkKey } from '../../src/scenario/report/walk-repeats.js';
import type { TraceEvent } from '../../src/trace/events.js';
import type { WalkFlow } from '../../src/trace/view/flow-packets.js';
import { PLAIN } from '../../src/trace/view/terminal.js';
import { renderHeadline, renderWalk } from '../../src/trace/view/walk.js';

const root = join(import.meta.dirname, '..', '..');
/** Every scenario with a repeated traffic item (`count:`): where the report folds walks. */
const repeating = ['scenarios', 'scenarios/gallery']
  .flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.yaml')).map((f) => join(root, d, f)))
  .filter((f) => /[\s{,]count: *\d/.test(readFileSync(f, 'utf8')));

const fail = (m: string): never => {
  throw new Error(m);
};
/** The report's settings whose walks fold: the default, `--detail path`, `-v`, `--quiet`. */
const settings: { name: string; render: (f: WalkFlow) => string[] }[] = [
  { name: 'hops', render: (f) => renderWalk(f, viewOptions({}, fail), PLAIN) },
  { name: 'path', render: (f) => renderWalk(f, viewOptions({ detail: 'path' }, fail), PLAIN) },
  { name: '-v', render: (f) => renderWalk(f, viewOptions({ verbose: 1 }, fail), PLAIN) },
  { name: 'quiet', render: (f) => renderHeadline(f, PLAIN) },
];

/** How far apart (in an item's flows) a model and a flow compared with it may be. */
const NEAR = 6;

/** The flows of a scenario's repeated items, by item, from a run (frames described only as the run read them). */
function repeatedFlows(file: string): WalkFlow[][] {
  const loaded = loadScenarioFile(file);
  if (!loaded.ok) throw new Error(`${file}: invalid`);
  const result = simulate(loaded.scenario);
  const flows = walkFlows(result.flows, WalkEvents.fromTrace(result.events, result.flows));
  return loaded.scenario.traffic.filter((t) => t.count > 1).map((t) => flows.filter((f) => f.name.startsWith(`${t.name}#`)));
}

describe('a flow that reads as a model (a repeat already rendered) has its walk key', () => {
  it('is checked on the scenarios with repeated items', () => {
    expect(repeating.length).toBeGreaterThan(10);
  });

  it.each(repeating.flatMap((f) => settings.map((s) => [f.slice(root.length + 1), s.name, f, s] as const)))('%s, %s: flows near each other', (_, __, file, s) => {
    let matched = 0;
    // A fresh run per setting: a model's frames are described as rendering it at that detail reads them.
    for (const flows of repeatedFlows(file)) {
      const keys = flows.map((f) => walkKey(s.render(f), f));
      for (let m = 0; m < flows.length; m++) {
        const model = new WalkModel(flows[m]!);
        // Flows near the model (the report compares a flow with a model a little before it), both ways.
        for (let i = Math.max(0, m - NEAR); i < Math.min(flows.length, m + NEAR + 1); i++) {
          if (i === m || !model.matches(flows[i]!)) continue;
          matched++;
          expect(keys[i], `${flows[i]!.name} reads as ${flows[m]!.name}`).toBe(keys[m]);
        }
      }
    }
    matches.set(`${file} ${s.name}`, matched);
  });

  it('matches many flows in all (the check means something)', () => {
    expect([...matches.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
  });
});

const matches = new Map<string, number>();

describe('WalkModel', () => {
  const frame = (sport: number, info = 'UDP len 64') => ({ len: 92, type: 'ipv4' as const, src: '10.0.0.1', dst: '10.0.0.9', proto: 'udp' as const, sport, dport: 53, info });
  /** A datagram's walk: created, conntrack'd, masqueraded (`natted` port), delivered, starting at `t0` with packet ids from `p`. */
  const flow = (name: string, t0: number, p: number, sport: number, natted: number, extra: TraceEvent[] = []): WalkFlow => ({
    name,
    protocol: 'UDP',
    target: 'b',
    verdict: 'delivered',
    pkt: p,
    events: [
      { kind: 'create', t: t0, pkt: p, at: 'default/a', flow: name, by: 'app', frame: frame(sport) },
      { kind: 'conntrack', t: t0 + 5, pkt: p, at: 'node1', state: 'NEW', dir: 'original', entry: `src=10.0.0.1 dst=10.0.0.9 sport=${sport} dport=53 src=10.0.0.9 dst=192.168.0.1 sport=53 dport=${natted}` },
      { kind: 'nat', t: t0 + 5, pkt: p, at: 'node1', type: 'MASQUERADE', manip: 'src', before: `10.0.0.1:${sport} > 10.0.0.9:53`, after: `192.168.0.1:${natted} > 10.0.0.9:53`, first: true },
      ...extra,
      { kind: 'deliver', t: t0 + 9, pkt: p, at: 'default/b', to: 'udp', socket: '10.0.0.9:53', src: '192.168.0.1', sport: natted },
    ],
  });

  it('matches a repeat whatever its name, start, packet ids and ephemeral ports, by role', () => {
    const model = new WalkModel(flow('f#2', 1000, 7, 40001, 40001));
    expect(model.matches(flow('f#3', 2000, 9, 40002, 40002))).toBe(true);
    // NAT gave another port where the model's kept the client's: another walk.
    expect(model.matches(flow('f#3', 2000, 9, 40002, 1025))).toBe(false);
    // Another time inside the walk, another fixed port, another packet shape: another walk.
    const later = flow('f#3', 2000, 9, 40002, 40002);
    (later.events as TraceEvent[])[3] = { ...(later.events[3] as Extract<TraceEvent, { kind: 'deliver' }>), t: 2010 };
    expect(model.matches(later)).toBe(false);
    const other = flow('f#3', 2000, 9, 40002, 40002);
    (other.events as TraceEvent[])[1] = { ...(other.events[1] as Extract<TraceEvent, { kind: 'conntrack' }>), entry: (other.events[1] as { entry: string }).entry.replace('dport=53', 'dport=54') };
    expect(model.matches(other)).toBe(false);
  });

  it('renames packets one to one: two of the model may not be one of the flow', () => {
    const icmp = (p: number, about: number): TraceEvent => ({ kind: 'icmp', t: 0, pkt: p, at: 'node1', message: 'port unreachable', about });
    const model = new WalkModel(flow('f#2', 0, 7, 40001, 40001, [icmp(8, 7)]));
    expect(model.matches(flow('f#3', 0, 20, 40002, 40002, [icmp(21, 20)]))).toBe(true);
    expect(model.matches(flow('f#3', 0, 20, 40002, 40002, [icmp(20, 20)]))).toBe(false);
    expect(model.matches(flow('f#3', 0, 20, 40002, 40002, [icmp(21, 22)]))).toBe(false);
  });

  it("compares a frame only where the model's was described (an own property: trace/framed.ts)", () => {
    const lazy = (info: string): TraceEvent => Object.create({ get frame() { return frame(40001, info); } }, { kind: { value: 'tx', enumerable: true }, t: { value: 7, enumerable: true }, pkt: { value: 7, enumerable: true }, at: { value: 'default/a:eth0', enumerable: true } }) as TraceEvent;
    const tx = (info: string): TraceEvent => ({ kind: 'tx', t: 1007, pkt: 9, at: 'default/a:eth0', frame: frame(40002, info) });
    const unread = new WalkModel(flow('f#2', 0, 7, 40001, 40001, [lazy('UDP len 64')]));
    expect(unread.matches(flow('f#3', 1000, 9, 40002, 40002, [tx('UDP len 65')]))).toBe(true);
    const read = new WalkModel(flow('f#2', 0, 7, 40001, 40001, [{ kind: 'tx', t: 7, pkt: 7, at: 'default/a:eth0', frame: frame(40001) }]));
    expect(read.matches(flow('f#3', 1000, 9, 40002, 40002, [tx('UDP len 64')]))).toBe(true);
    expect(read.matches(flow('f#3', 1000, 9, 40002, 40002, [tx('UDP len 65')]))).toBe(false);
  });
});
