import type { Cluster } from '../cluster/build.js';
import { checkExpectations, type Mismatch } from '../scenario/run/expect.js';
import { TraceIndex } from '../scenario/run/flows.js';
import { ScenarioRun, type RunResult } from '../scenario/run/simulate.js';
import type { Expectation, Problem, Scenario, TrafficSpec } from '../scenario/types.js';
import type { TraceEvent } from '../trace/events.js';
import { checkOptions, requireFunction, requireObject, requireString } from './check-args.js';
import { ScenarioError, UsageError } from './errors.js';
import { unknownName } from './unknown-name.js';
import { Flow } from './flow.js';
import { detailNeeded, NOT_DETAILED, type RunContext } from './run-context.js';
import { deviceNames, snapshotDevices, unknownDevices, type DeviceSnapshot } from '../scenario/run/unknown-devices.js';
import { renderGolden } from '../scenario/report/golden.js';
import { compareGolden } from '../scenario/report/golden-compare.js';
import { readInput } from '../scenario/load/read-input.js';
import { printable } from '../trace/safe-text.js';
import { scenarioFromFile, scenarioFromObject, scenarioFromYaml, type LoadOptions } from './load.js';
import { trafficFromSend, type SendSpec } from './send.js';
import { toNs, type SimTime } from './sim-time.js';

export { toNs } from './sim-time.js';
import { kernelState, type KernelState } from './state.js';

export interface SimulationOptions {
  /** Keep every hop (default true); false keeps only outcomes (faster, but no hops, NAT or policy details). */
  detailed?: boolean;
  /** Events the run may execute before it is cut short as a runaway. */
  eventBudget?: number;
  /** Also send the scenario's own `traffic:` items (default true). */
  traffic?: boolean;
  /**
   * Called with each trace event the moment it happens (cluster set-up first), while `run`,
   * `runUntil` or `at` callbacks go on: watch a long run without waiting for its results.
   */
  onEvent?: (e: TraceEvent) => void;
}

/**
 * A scenario's cluster, up and ready, and a simulated clock you drive:
 * `send` traffic at chosen simulated times, `runUntil` a time to look at
 * kernel state (`state('node1').conntrack()`), then `run` to the end and
 * query the flows.
 *
 * ```ts
 * const sim = Simulation.fromFile('scenarios/service-clusterip.yaml');
 * sim.send({ name: 'probe', from: 'pod/default/client', to: 'service/default/web', port: 80, at: '1ms' });
 * const results = sim.run();
 * results.flow('probe').deliveredTo; // 'pod/default/web-…'
 * ```
 */
export class Simulation {
  private readonly run_: ScenarioRun;
  private readonly names = new Set<string>();
  private sends = 0;
  private results: Results | undefined;
  /** The devices as built (steps may remove some before the end): names a test may ask about. */
  private readonly devicesAtBuild: DeviceSnapshot;

  constructor(
    readonly scenario: Scenario,
    opts: SimulationOptions = {},
  ) {
    requireObject(scenario, 'scenario');
    checkOptions(opts);
    this.run_ = new ScenarioRun(scenario, {
      ...(opts.detailed === undefined ? {} : { detailed: opts.detailed }),
      ...(opts.eventBudget === undefined ? {} : { eventBudget: opts.eventBudget }),
      ...(opts.onEvent === undefined ? {} : { onEvent: opts.onEvent }),
    });
    this.devicesAtBuild = snapshotDevices(this.run_.cluster);
    if (opts.traffic ?? true) for (const t of scenario.traffic) this.schedule(t);
  }

  static fromFile(path: string, opts: SimulationOptions & Pick<LoadOptions, 'seed' | 'proxyMode'> = {}): Simulation {
    return new Simulation(scenarioFromFile(path, opts), opts);
  }

  static fromYaml(text: string, opts: SimulationOptions & LoadOptions = {}): Simulation {
    return new Simulation(scenarioFromYaml(text, opts), opts);
  }

  static fromObject(obj: object, opts: SimulationOptions & LoadOptions = {}): Simulation {
    return new Simulation(scenarioFromObject(obj, opts), opts);
  }

  /** The built cluster: every namespace's kernel objects (advanced use). */
  get cluster(): Cluster {
    return this.run_.cluster;
  }

  /** Current simulated time in ns. */
  get now(): number {
    return this.run_.now;
  }

  /**
   * Send traffic at `spec.at` (absolute simulated time, default now; not in
   * the past). Validated like a scenario traffic item: throws ScenarioError.
   * Returns the flow name (`name#k` per packet when `count > 1`).
   */
  send(spec: SendSpec): string {
    requireObject(spec, 'spec');
    if (this.results) throw new UsageError('send', 'the simulation has run to the end: send before run()');
    if (spec.name !== undefined) requireString(spec.name, 'spec.name');
    // One rule for times everywhere (as runUntil and at): integer ns or a duration string.
    const atNs = spec.at === undefined ? this.now : toNs(spec.at, 'spec.at');
    if (spec.interval !== undefined) toNs(spec.interval, 'spec.interval');
    const name = spec.name ?? `send-${++this.sends}`;
    const t = trafficFromSend({ ...spec, at: atNs }, this.scenario, name);
    const clash = flowNames(t).find((f) => this.names.has(f));
    if (clash !== undefined) throw new ScenarioError([{ file: `send(${name})`, line: 1, col: 1, path: 'send.name', message: `duplicate flow name ${clash}` }]);
    if (t.atNs < this.now) throw new UsageError('spec.at', `${t.atNs} ns is in the past (now ${this.now} ns)`);
    if (t.expect) this.checkSendExpect(t.expect);
    this.schedule(t);
    return name;
  }

  /** Run the simulation up to simulated time `t` (inclusive); kernel state is then as of `t`. */
  runUntil(t: SimTime): this {
    const ns = toNs(t, 't');
    if (this.results) throw new UsageError('runUntil', 'the simulation has run to the end');
    if (ns < this.now) throw new UsageError('t', `${ns} ns is in the past (now ${this.now} ns): the clock only moves forward`);
    this.run_.runUntil(ns);
    return this;
  }

  /** Call `fn` at simulated time `t`, in the middle of the run (e.g. to read state while packets are in flight). */
  at(t: SimTime, fn: (sim: Simulation) => void): this {
    const ns = toNs(t, 't');
    requireFunction(fn, 'fn');
    if (this.results) throw new UsageError('at', 'the simulation has run to the end: it would never be called');
    if (ns < this.now) throw new UsageError('t', `${ns} ns is in the past (now ${this.now} ns)`);
    this.cluster.sched.at(ns, () => fn(this));
    return this;
  }

  /** Kernel state of a namespace now: a node, `<ns>/<pod>`, an external host, `gateway`, `underlay`. */
  state(netns: string): KernelState {
    requireString(netns, 'netns');
    const ns = this.cluster.netns.get(netns) ?? this.cluster.pods.get(netns);
    if (!ns) throw unknownName('netns', 'namespace', netns, [...this.cluster.netns.keys(), ...this.cluster.pods.keys()]);
    return kernelState(ns);
  }

  /** Run to the end (queue drained) and return the results. Calling it again returns the same results. */
  run(): Results {
    if (!this.results) {
      const raw = this.run_.finish();
      if (raw.invalid) throw new ScenarioError(raw.invalid.map(sendPath));
      this.results = new Results(raw, this.devicesAtBuild);
    }
    return this.results;
  }

  /**
   * What a send's `expect` asks, judged now rather than after the whole run: a device no
   * namespace has (a veth a later pod may bring is left to the end-of-run check), or a
   * question a run without detail cannot answer.
   */
  private checkSendExpect(e: Expectation): void {
    const detail = detailNeeded(e);
    if (!this.run_.cluster.world.detailed && detail.length > 0) throw new UsageError('spec.expect', `${detail.join(', ')}: ${NOT_DETAILED}`);
    if (!e.devicesAt || e.devicesAt.length === 0) return;
    const known = deviceNames(this.devicesAtBuild, snapshotDevices(this.run_.cluster));
    const later = e.devicesAt.filter((p) => /:veth[^:]*$/.test(p.message));
    const unknown = unknownDevices([{ expect: { ...e, devicesAt: e.devicesAt.filter((p) => !later.includes(p)) } }], known);
    if (unknown.length > 0) throw new ScenarioError(unknown.map(sendPath));
  }

  private schedule(t: TrafficSpec): void {
    for (const f of flowNames(t)) this.names.add(f);
    this.run_.schedule(t);
  }
}

/** A send is one item: its problems say `send.`, as every other send problem does, not `send[0].`. */
function sendPath(p: Problem): Problem {
  return p.file.startsWith('send(') ? { ...p, path: p.path.replace(/^send\[0\]/, 'send') } : p;
}

/** The flows an item makes: `name`, or `name#1` ... `name#count` (a later `send` may not reuse any of them, nor the bare name). */
function flowNames(t: TrafficSpec): string[] {
  return t.count > 1 ? [t.name, ...Array.from({ length: t.count }, (_, k) => `${t.name}#${k + 1}`)] : [t.name];
}

/** The finished run: every flow, the full trace, and the expectation check. */
export class Results {
  readonly flows: Flow[];
  private readonly byName: Map<string, Flow>;

  /** `devicesAtBuild`: the devices when the cluster was built (those at the end and in the trace are added). */
  constructor(
    readonly raw: RunResult,
    devicesAtBuild: DeviceSnapshot = [],
  ) {
    const index = new TraceIndex(raw.events);
    let devices: Set<string> | undefined;
    const context: RunContext = {
      scenario: raw.scenario,
      detailed: raw.cluster.world.detailed,
      devices: () => {
        if (!devices) {
          devices = deviceNames(devicesAtBuild, snapshotDevices(raw.cluster));
          for (const e of raw.events) devices.add(e.at);
        }
        return devices;
      },
    };
    // Packets an application created for a flow besides its request: the resolver's DNS queries.
    const roots = new Map<string, number[]>();
    for (const e of raw.events) {
      if (e.kind !== 'create' || e.flow === undefined || e.cause !== undefined || e.by !== 'app') continue;
      let list = roots.get(e.flow);
      if (!list) roots.set(e.flow, (list = []));
      list.push(e.pkt);
    }
    this.flows = raw.flows.map((f) => new Flow(f, index, (roots.get(f.flow) ?? []).filter((p) => p !== f.pkt), context));
    this.byName = new Map(this.flows.map((f) => [f.name, f]));
  }

  /** The full trace, in order (the `--json` events). */
  get events(): readonly TraceEvent[] {
    return this.raw.events;
  }

  /** `idle`: everything finished; `budget`: the event budget cut a runaway short. */
  get stopped(): 'idle' | 'budget' {
    return this.raw.stopped;
  }

  /** A flow by name (`name`, or `name#k` when its item sent several packets). */
  flow(name: string): Flow {
    requireString(name, 'name');
    const f = this.byName.get(name);
    if (!f) throw unknownName('name', 'flow', name, this.byName.keys());
    return f;
  }

  /** Every unmet `expect:` of the scenario's traffic and of sends that carried one. */
  mismatches(): Mismatch[] {
    return checkExpectations(this.raw.flows);
  }

  /**
   * The run's golden trace, byte for byte what `podwalk run FILE --golden DIR --update` writes (its header
   * names the scenario, network, proxy mode and seed), for `expect(results.golden()).toMatchFileSnapshot(path)`.
   * Needs a detailed run: a run that kept only outcomes has no hops to write.
   */
  golden(): string {
    if (!this.raw.cluster.world.detailed) throw new UsageError('golden()', NOT_DETAILED);
    return renderGolden(this.raw);
  }

  /**
   * The run's golden trace against the file `file`, as `podwalk run --golden` compares them: `match`, `missing`
   * (no such file yet), or `differ` with a unified diff in `report`, which first says so when the golden was
   * recorded in another kube-proxy mode than this run's. A golden written before headers named the mode
   * still compares. Throws UsageError for a path that cannot be read (a directory, ...).
   */
  checkGolden(file: string): GoldenCheck {
    requireString(file, 'file');
    const text = this.golden();
    const input = readInput(file);
    if ('error' in input) {
      if (input.error === 'cannot read: no such file') return { status: 'missing', report: `golden: no golden trace ${file} yet (write results.golden() there)\n` };
      throw new UsageError('file', `${printable(file, 200)}: ${input.error}`);
    }
    const c = compareGolden(input.text, text, file, `results.golden() of ${this.raw.scenario.name}`);
    return { status: c.status, report: c.report };
  }
}

/** `results.checkGolden(file)`: what the stored golden says of this run. */
export interface GoldenCheck {
  status: 'match' | 'differ' | 'missing';
  /** One line (`golden: … matches`), or why they differ and the unified diff; ends with a newline. */
  report: string;
}
