import { describe, expect, it } from 'vitest';
import { ScenarioError, Simulation, UsageError } from '../../src/api/index.js';

const YAML = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: api-args}
cluster: {nodes: [{name: node1}]}
resources:
- {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: x}]}}
- {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node1, containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}}
`;

/** Throws `type` with a message that starts with the argument's name. */
function throwsNaming(fn: () => unknown, type: typeof UsageError | typeof ScenarioError, argument: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(type);
  expect((caught as Error).message).toMatch(argument);
}

describe('library API: every entry point checks its arguments', () => {
  it.each([
    [{ seed: 'abc' }, /^options\.seed: expected a decimal integer from 0 to 4294967295/],
    [{ seed: Number.NaN }, /^options\.seed:/],
    [{ seed: -1 }, /^options\.seed:/],
    [{ seed: 1.5 }, /^options\.seed:/],
    [{ seed: 2 ** 40 }, /^options\.seed:/],
    [{ proxyMode: 'bogus' }, /^options\.proxyMode: expected iptables, ipvs, nftables/],
    [{ eventBudget: -1 }, /^options\.eventBudget: expected a positive integer/],
    [{ eventBudget: 'x' }, /^options\.eventBudget:/],
    [{ detailed: 'yes' }, /^options\.detailed: expected true or false/],
    [{ sed: 1 }, /^options\.sed: unknown option/],
    [{ onEvent: 'log' }, /^options\.onEvent: expected a function/],
  ])('fromYaml options %j', (opts, message) => {
    throwsNaming(() => Simulation.fromYaml(YAML, opts as never), UsageError, message);
  });

  it('fromYaml, fromFile and fromObject check their first argument', () => {
    throwsNaming(() => Simulation.fromYaml(42 as never), UsageError, /^text: expected a string, got number 42/);
    throwsNaming(() => Simulation.fromFile(undefined as never), UsageError, /^path: expected a string/);
    throwsNaming(() => Simulation.fromObject(null as never), UsageError, /^obj: expected an object, got null/);
  });

  it('fromObject refuses what YAML could not have written, naming the field', () => {
    throwsNaming(() => Simulation.fromObject({ apiVersion: 'podwalk/v1alpha1', metadata: { name: () => 1 } }), ScenarioError, /<object>:1:1: metadata\.name: expected data, found a function/);
    const loop: Record<string, unknown> = { kind: 'Scenario' };
    loop.self = loop;
    throwsNaming(() => Simulation.fromObject(loop), ScenarioError, /self: refers back to itself/);
  });

  it('send checks its spec, and times follow one rule (integer ns or a duration) as in runUntil', () => {
    const sim = Simulation.fromYaml(YAML);
    throwsNaming(() => sim.send(undefined as never), UsageError, /^spec: expected an object, got undefined/);
    throwsNaming(() => sim.send(null as never), UsageError, /^spec: expected an object, got null/);
    throwsNaming(() => sim.send({ from: 'pod/a', to: 'pod/b', protocol: 'TCP', port: 80, at: 1.5 }), UsageError, /^spec\.at: expected integer nanoseconds/);
    throwsNaming(() => sim.runUntil(1.5), UsageError, /^t: expected integer nanoseconds/);
    throwsNaming(() => sim.send({ name: 7 as never, from: 'pod/a', to: 'pod/b', protocol: 'TCP', port: 80 }), UsageError, /^spec\.name: expected a string/);
  });

  it('flow names stay unique: x with count 2 reserves x#1 and x#2', () => {
    const sim = Simulation.fromYaml(YAML);
    sim.send({ name: 'x', from: 'pod/a', to: 'pod/b', protocol: 'TCP', port: 80, count: 2 });
    throwsNaming(() => sim.send({ name: 'x#2', from: 'pod/a', to: 'pod/b', protocol: 'TCP', port: 80 }), ScenarioError, /send\.name: expected a name that does not end in #<number>, found "x#2"/);
    expect(sim.run().flows.map((f) => f.name)).toEqual(['x#1', 'x#2']);
  });

  it('at checks its callback now, not later inside run()', () => {
    const sim = Simulation.fromYaml(YAML);
    throwsNaming(() => sim.at('1ms', 'x' as never), UsageError, /^fn: expected a function, got the string "x"/);
    throwsNaming(() => sim.at({} as never, () => {}), UsageError, /^t: expected integer nanoseconds or a duration/);
  });

  it('the clock only moves forward: runUntil backwards is refused', () => {
    const sim = Simulation.fromYaml(YAML);
    sim.runUntil('2ms');
    throwsNaming(() => sim.runUntil('1ms'), UsageError, /^t: 1000000 ns is in the past \(now 2000000 ns\)/);
  });

  it('after run(): send, at and runUntil are usage errors instead of silent no-ops', () => {
    const sim = Simulation.fromYaml(YAML);
    sim.run();
    throwsNaming(() => sim.send({ from: 'pod/a', to: 'pod/b', protocol: 'TCP', port: 80 }), UsageError, /^send: the simulation has run to the end/);
    throwsNaming(() => sim.at('5s', () => {}), UsageError, /^at: the simulation has run to the end: it would never be called/);
    throwsNaming(() => sim.runUntil('5s'), UsageError, /^runUntil: the simulation has run to the end/);
  });

  it('flow.hops checks its filter', () => {
    const sim = Simulation.fromYaml(YAML);
    sim.send({ name: 'p', from: 'pod/a', to: 'pod/b', protocol: 'TCP', port: 80 });
    const flow = sim.run().flow('p');
    throwsNaming(() => flow.hops(null as never), UsageError, /^filter: expected an object, got null/);
    throwsNaming(() => flow.hops({ kind: 42 } as never), UsageError, /^filter\.kind: expected a trace event kind/);
    throwsNaming(() => flow.hops({ packets: 'some' } as never), UsageError, /^filter\.packets: expected request or all/);
    expect(flow.hops({ kind: ['tx', 'rx'] }).length).toBeGreaterThan(0);
    throwsNaming(() => sim.run().flow(undefined as never), UsageError, /^name: expected a string/);
  });

  it('UsageError is a RangeError, as the errors of earlier versions were', () => {
    expect(new UsageError('x', 'y')).toBeInstanceOf(RangeError);
  });
});
