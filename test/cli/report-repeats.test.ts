import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { walkKey, WalkRepeats } from '../../src/scenario/report/walk-repeats.js';
import type { TraceEvent } from '../../src/trace/events.js';
import type { WalkFlow } from '../../src/trace/view/flow-packets.js';
import { visibleWidth } from '../../src/trace/view/terminal.js';

const ipvs = join(import.meta.dirname, '..', '..', 'scenarios', 'ipvs-graceful-termination.yaml');

function run(...args: string[]): { code: number; out: string } {
  let out = '';
  const code = cli(['run', ipvs, ...args], { out: (s) => (out += s), err: () => {} });
  return { code, out };
}

/** Headlines (`name: PROTO, ...`) in order. */
const headlines = (out: string): string[] => out.split('\n').filter((l) => /^\S+: (TCP|UDP)/.test(l)).map((l) => l.split(':')[0]!);

describe('repeated walks of a traffic item are folded, like uniq -c', () => {
  it('prints each walk that differs and counts the repeats after it; a different backend or a drop stays visible', () => {
    const { code, out } = run();
    expect(code).toBe(0);
    expect(out.split('\n').length).toBeLessThan(260); // 692 lines with every walk
    // The SYN's walk, the first data segment's walk, then 18 more like it.
    expect(headlines(out).filter((h) => h.startsWith('long-lived#'))).toEqual(['long-lived#1', 'long-lived#2']);
    expect(out).toMatch(/\n {2}… and 18 more identical walks \(long-lived#3–long-lived#20\): rtt [\d.]+–[\d.]+ µs\n/);
    // Round robin alternates the backends: no two consecutive connections are alike, every one is shown.
    expect(headlines(out).filter((h) => h.startsWith('new-conns#'))).toEqual(['new-conns#1', 'new-conns#2', 'new-conns#3', 'new-conns#4']);
    // The stale entry's drops: the first shown, the rest counted.
    expect(out).toContain('  … and 18 more identical walks (metrics-a-stale#2–metrics-a-stale#19)\n');
    expect(out).toContain('  … and 1 more identical walk (metrics-a-later#3)\n');
  });

  it('--no-collapse and -vv print every walk; --flow NAME#K prints that walk; --flow NAME folds its repeats', () => {
    expect(headlines(run('--no-collapse').out)).toHaveLength(69);
    expect(headlines(run('-vv', '--flow', 'metrics-a').out)).toHaveLength(9);
    const one = run('--flow', 'long-lived#7').out;
    expect(headlines(one)).toEqual(['long-lived#7']);
    expect(one).not.toContain('…');
    const item = run('--flow', 'long-lived').out;
    expect(headlines(item)).toEqual(['long-lived#1', 'long-lived#2']);
    expect(item).toContain('… and 18 more identical walks');
  });

  it('--quiet folds identical headlines; --detail path identical paths; -v compares every hook and conntrack step', () => {
    expect(run('--quiet').out).toMatch(/\n {2}… and 19 more identical headlines \(long-lived#2–long-lived#20\): rtt/);
    expect(run('--detail', 'path').out).toContain('  … and 8 more identical walks (metrics-a#2–metrics-a#9)\n');
    expect(run('-v').out).toContain('  … and 7 more identical walks (metrics-a#3–metrics-a#9)\n');
  });

  it('fits an 80-column terminal', () => {
    let out = '';
    cli(['run', ipvs], { out: (s) => (out += s), err: () => {}, term: { width: 80, colour: true } });
    expect(out).toContain('… and 18 more identical walks');
    for (const l of out.split('\n')) expect(visibleWidth(l), l).toBeLessThanOrEqual(80);
  });

  it('leaves --json as it was', () => {
    expect(run('--json').out).toBe(run('--json', '--no-collapse').out);
  });
});

describe('walkKey', () => {
  const create = (sport: number): TraceEvent => ({ kind: 'create', t: 0, pkt: 1, at: 'default/a', by: 'app', flow: 'f#1', frame: { len: 64, type: 'ipv4', src: '10.0.0.1', dst: '10.0.0.9', proto: 'tcp', sport, dport: 80, info: 'TCP [S]' } });
  const masquerade = (from: number, to: number): TraceEvent => ({ kind: 'nat', t: 0, pkt: 1, at: 'node1', type: 'MASQUERADE', manip: 'src', before: `10.0.0.1:${from} > 10.0.0.9:80`, after: `192.168.0.1:${to} > 10.0.0.9:80`, first: true });
  const flow = (name: string, events: TraceEvent[]): WalkFlow => ({ name, protocol: 'TCP', target: 'b', verdict: 'delivered', pkt: 1, events });
  const walk = (name: string, sport: number, natted: number, rtt: string): string[] => [`${name}: TCP, delivered, rtt ${rtt}`, `  a 10.0.0.1:${sport} → b 10.0.0.9:80`, `  2  node1  MASQUERADE 10.0.0.1:${sport} → 192.168.0.1:${natted}`, `     reply: … after ${rtt} (#12)`];

  it('leaves out the name, times, packet ids and ephemeral ports, but keeps whether NAT kept the port', () => {
    const a = walkKey(walk('f#1', 40000, 40000, '5.1 µs'), flow('f#1', [create(40000), masquerade(40000, 40000)]));
    const b = walkKey(walk('f#2', 40001, 40001, '1000.203 ms'), flow('f#2', [create(40001), masquerade(40001, 40001)]));
    const c = walkKey(walk('f#3', 40002, 1025, '5.1 µs'), flow('f#3', [create(40002), masquerade(40002, 1025)]));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    // A fixed port (the Service's 80) is not ephemeral: a different one is a different walk.
    expect(walkKey(walk('f#1', 40000, 40000, '5.1 µs').map((l) => l.replace(':80', ':81')), flow('f#1', [create(40000), masquerade(40000, 40000)]))).not.toBe(a);
  });

  it('counts repeats of the walk shown last, of the same item only, with the spread of their round trips', () => {
    const r = new WalkRepeats();
    const f = (name: string, rttNs: number): WalkFlow => ({ name, protocol: 'TCP', target: 'b', verdict: 'delivered', rttNs, events: [] });
    expect(r.shown('f', 'k', 'walk')).toBeUndefined();
    expect(r.repeats('f', 'k', f('f#2', 5100))).toBe(true);
    expect(r.repeats('f', 'k', f('f#3', 1_000_203_000))).toBe(true);
    expect(r.repeats('g', 'k', f('g#1', 5100))).toBe(false);
    expect(r.shown('g', 'k', 'walk')).toBe('  … and 2 more identical walks (f#2–f#3): rtt 5.1 µs–1.000 s');
    expect(r.shown(undefined, undefined, 'walk')).toBeUndefined();
  });
});
