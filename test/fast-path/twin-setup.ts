// Setup of the `examples, fast path off` project (vitest.config.ts): the examples drive the library API
// (test/examples), so they cannot be run through the CLI as test/fast-path/differential.test.ts runs the
// scenarios. Instead every Simulation an example makes with a factory (fromFile, fromYaml, fromObject) gets a
// twin made the same way with the fast path ON; every send and runUntil goes to both, and run() requires the
// twin's trace (every event with its frame, as --json prints it), flow records, stop reason and kernel state
// (rule counters, conntrack, routes, route cache, neighbours, FDBs, ipsets, IPVS, nftables) to be
// byte-identical to the example's own (fast path off). An `at` callback cannot be given to both without running
// the example's code twice, so a simulation that uses one is compared no further.
import { Simulation, type Results } from 'podwalk';

interface Twin {
  sim: Simulation;
  /** False once the two runs can no longer be driven alike (an `at` callback). */
  comparable: boolean;
}

const twins = new WeakMap<Simulation, Twin>();

/** How many comparisons passed in this worker (test/fast-path/twin.test.ts checks the setup is active). */
export const twinComparisons = { passed: 0 };
(globalThis as { podwalkTwinComparisons?: typeof twinComparisons }).podwalkTwinComparisons = twinComparisons;

/** Build with the fast path on, whatever this process runs with. */
function withFastPathOn<T>(make: () => T): T {
  const saved = process.env.PODWALK_FAST_PATH;
  process.env.PODWALK_FAST_PATH = 'on';
  try {
    return make();
  } finally {
    if (saved === undefined) delete process.env.PODWALK_FAST_PATH;
    else process.env.PODWALK_FAST_PATH = saved;
  }
}

type Factory = 'fromFile' | 'fromYaml' | 'fromObject';
for (const name of ['fromFile', 'fromYaml', 'fromObject'] as const satisfies readonly Factory[]) {
  const original = Simulation[name] as (this: typeof Simulation, ...args: unknown[]) => Simulation;
  (Simulation as unknown as Record<Factory, (...args: unknown[]) => Simulation>)[name] = function (...args: unknown[]): Simulation {
    const sim = original.apply(Simulation, args);
    twins.set(sim, { sim: withFastPathOn(() => original.apply(Simulation, args)), comparable: true });
    return sim;
  };
}

const proto = Simulation.prototype;
const { send, runUntil, at, run } = proto;
proto.send = function (this: Simulation, spec) {
  const name = send.call(this, spec);
  const twin = twins.get(this);
  if (twin?.comparable) send.call(twin.sim, spec);
  return name;
};
proto.runUntil = function (this: Simulation, t) {
  runUntil.call(this, t);
  const twin = twins.get(this);
  if (twin?.comparable) {
    runUntil.call(twin.sim, t);
    compare(this, twin.sim, undefined, undefined);
  }
  return this;
};
proto.at = function (this: Simulation, t, fn) {
  const twin = twins.get(this);
  if (twin) twin.comparable = false;
  return at.call(this, t, fn);
};
proto.run = function (this: Simulation) {
  const results = run.call(this);
  const twin = twins.get(this);
  if (twin?.comparable) {
    twin.comparable = false; // compared once: run() again returns the same results
    compare(this, twin.sim, results, run.call(twin.sim));
  }
  return results;
};

/** Throws (failing the example that ran it) at the first difference between fast path off (`off`) and on. */
function compare(off: Simulation, on: Simulation, a: Results | undefined, b: Results | undefined): void {
  const what = `${off.scenario.name}: fast path on and off differ`;
  if (a && b) {
    same(`${what} in the trace`, a.events.map((e) => JSON.stringify(e)), b.events.map((e) => JSON.stringify(e)));
    same(`${what} in the flow records`, a.raw.flows.map((f) => JSON.stringify(f)), b.raw.flows.map((f) => JSON.stringify(f)));
    same(`${what} in how the run stopped`, [a.stopped], [b.stopped]);
  }
  same(`${what} in the kernel state`, kernelState(off), kernelState(on));
  twinComparisons.passed++;
}

/** Everything `podwalk show` prints of every namespace, rule counters included, as lines. */
function kernelState(sim: Simulation): string[] {
  const c = sim.cluster;
  const names = [...c.netns.keys(), ...c.pods.keys()];
  return names.flatMap((n) => {
    const s = sim.state(n);
    const ns = c.netns.get(n) ?? c.pods.get(n);
    const counters = ns?.nf?.engine.save({ counters: true }) ?? '';
    return [`== ${n}`, counters, s.nft(), s.conntrack(), s.routes('main'), s.routes('local'), s.routeCache(), s.neigh(), s.fdb(), s.addr(), s.ipsets(), s.ipvs()].join('\n').split('\n');
  });
}

function same(what: string, off: readonly string[], on: readonly string[]): void {
  const n = Math.max(off.length, on.length);
  for (let i = 0; i < n; i++) {
    if (off[i] !== on[i]) throw new Error(`${what}, line ${i + 1}:\n  off: ${off[i] ?? '(none)'}\n  on:  ${on[i] ?? '(none)'}`);
  }
}
