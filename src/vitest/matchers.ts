/**
 * The matchers' logic, free of vitest: each takes a Flow (from
 * `results.flow(name)`) and returns pass/fail with a message that names the
 * expected and the actual hop and shows the trace around it as a hop table.
 * Each argument is read as the same field of a scenario `expect:` block
 * (same validation, same resolution of workloads and lists) and judged by the
 * same predicate (scenario/run/expect.ts), so a matcher and a file can never
 * disagree. An argument the run cannot judge (a malformed or unknown name, a
 * question a non-detailed run has no answer to) throws a UsageError, with or
 * without `.not`: a typo must never make an assertion pass.
 */
import { UsageError } from '../api/errors.js';
import type { Flow } from '../api/flow.js';
import { expectationArg } from '../api/run-context.js';
import { checkExpectation, describeNat, describeNatExpectation, describePolicies, describePolicyExpectation, subsequenceGap } from '../scenario/run/expect.js';
import { refString } from '../scenario/run/flows.js';
import type { Expectation, PolicyExpectation } from '../scenario/types.js';
import type { DropReason } from '../trace/events.js';
import { fitAll } from '../trace/view/terminal.js';
import { around, aroundOutcome, fate, only, pathEventIndex } from './context.js';
import { failureWidth } from './width.js';

export interface MatchResult {
  pass: boolean;
  message: () => string;
}

/** A podwalk Flow, recognised by shape (the package may be loaded twice: src in its own tests, dist for users). */
export function isFlow(x: unknown): x is Flow {
  return typeof x === 'object' && x !== null && 'result' in x && 'requestEvents' in x && Array.isArray((x as Flow).requestEvents) && 'outcome' in x;
}

function notAFlow(x: unknown, matcher: string): MatchResult {
  const what = x === null ? 'null' : typeof x === 'object' ? `an object with keys ${Object.keys(x).slice(0, 5).join(', ')}` : typeof x;
  return { pass: false, message: () => `${matcher}: expected a podwalk Flow (results.flow(name)), received ${what}` };
}

const q = (f: Flow): string => `flow ${JSON.stringify(f.name)}`;
const not = (isNot: boolean): string => (isNot ? 'not ' : '');

/** The matcher's argument as an `expect:` block, checked against the flow's run (UsageError when it cannot be judged). */
function judged(x: Flow, matcher: string, block: Record<string, unknown>): Expectation {
  const ctx = x.runContext;
  if (!ctx) throw new UsageError(matcher, 'this Flow knows no run to judge the argument against: take flows from results.flow(name)');
  return expectationArg(ctx, block, matcher);
}

/** Whether the flow meets the expectation, by the predicate scenario `expect:` uses. */
function meets(x: Flow, e: Expectation): boolean {
  return checkExpectation(x.result, e).length === 0;
}

/** An options argument: an object (or nothing) with only these keys. */
function options(v: unknown, matcher: string, keys: readonly string[]): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(matcher, `expected an options object {${keys.join(', ')}}, got ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new UsageError(matcher, `unknown option ${k} (expected ${keys.join(', ')})`);
  return v as Record<string, unknown>;
}

/** The request's path for a message (undefined when the run kept no detail). */
function pathLine(x: Flow): string | undefined {
  return x.detailed ? `  path: ${x.path.join(' -> ') || '(none)'}` : undefined;
}

/**
 * The message, made only when vitest asks for it (a failure, or a `.not` that passed): its hop tables are the
 * costly part, and a passing assertion never shows them. Every line folded to the width the failure is read at (tables are already fitted):
 * a long path or fate continues indented under its line.
 */
function msg(lines: (string | undefined | (() => string | undefined))[]): () => string {
  return () => {
    const term = { width: failureWidth(), colour: false };
    return fitAll(
      lines
        .map((l) => (typeof l === 'function' ? l() : l))
        .filter((l): l is string => l !== undefined)
        .flatMap((l) => l.split('\n')),
      term,
      4,
    ).join('\n');
  };
}

export function toBeDelivered(x: unknown, isNot: boolean): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toBeDelivered');
  return {
    pass: x.delivered,
    message: msg([`expected ${q(x)} ${not(isNot)}to be delivered`, `  actual: ${fate(x)}`, () => aroundOutcome(x)]),
  };
}

/**
 * What `expect.deliveredTo` takes: `pod/<ns>/<name>` (or `pod/<name>`, namespace default), `node/<name>`,
 * `host/<name>`, a workload (`deployment/<ns>/<name>`, `statefulset/...`) or selector (any of its pods),
 * or a list of these (any of them).
 */
export function toBeDeliveredTo(x: unknown, isNot: boolean, ref: string | readonly string[]): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toBeDeliveredTo');
  const e = judged(x, 'toBeDeliveredTo', { deliveredTo: ref });
  const wanted = (e.deliveredTo ?? []).map(refString);
  const written = typeof ref === 'string' ? ref : ref.join(' | ');
  const where = wanted.length === 1 ? wanted[0]!.replace(/^(pod|node|host)\//, '') : `one of ${wanted.join(', ')}`;
  return {
    pass: meets(x, e),
    message: msg([
      `expected ${q(x)} ${not(isNot)}to be delivered to ${written}`,
      `  expected hop: delivery to a socket in ${where}`,
      `  actual hop:   ${fate(x)}`,
      pathLine(x),
      () => aroundOutcome(x),
    ]),
  };
}

export function toBeDropped(x: unknown, isNot: boolean, given?: { reason?: DropReason | string }): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toBeDropped');
  const opts = options(given, 'toBeDropped', ['reason']);
  const e = judged(x, 'toBeDropped', { verdict: 'dropped', ...(opts.reason === undefined ? {} : { dropReason: opts.reason }) });
  return {
    pass: meets(x, e),
    message: msg([`expected ${q(x)} ${not(isNot)}to be dropped${opts.reason ? ` (${opts.reason})` : ''}`, `  actual: ${fate(x)}`, () => aroundOutcome(x)]),
  };
}

/** Ordered subsequence of `<netns>:<dev>` hops of the request (`node1:cbr0`, `default/pod1:eth0`). */
export function toTraverse(x: unknown, isNot: boolean, hops: readonly string[]): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toTraverse');
  const pass = meets(x, judged(x, 'toTraverse', { via: hops }));
  const path = x.path;
  const gap = subsequenceGap(hops, path);
  const firstEvent = pathEventIndex(x);
  if (pass) {
    return { pass, message: msg([`expected ${q(x)} not to traverse ${hops.join(' -> ')}, but it did`, `  path: ${path.join(' -> ')}`]) };
  }
  const prev = gap.found > 0 ? hops[gap.found - 1] : undefined;
  const actualNext = path[gap.after];
  const focus = actualNext !== undefined ? firstEvent[gap.after]! : -1;
  return {
    pass,
    message: msg([
      `expected ${q(x)} to traverse ${hops.join(' -> ')}`,
      `  expected hop ${gap.found + 1} of ${hops.length}: ${gap.missing}${prev ? ` (after ${prev})` : ''}`,
      `  actual hop${prev ? ` after ${prev}` : ''}: ${actualNext ?? `none: ${fate(x)}`}${actualNext !== undefined && path.indexOf(gap.missing!) >= 0 ? ` (${gap.missing} was crossed only earlier)` : ''}`,
      `  path: ${path.join(' -> ') || '(none)'}`,
      // From the last hop that matched to where the walk went instead.
      () => (focus >= 0 ? around(x.requestEvents, focus, 'trace around it', 'request packet events', gap.after > 0 ? firstEvent[gap.after - 1] : undefined) : aroundOutcome(x)),
    ]),
  };
}

/** `{ dst: '10.244.2.2:8080' }`, `{ src: ip }` or nothing (some NAT at all). */
export function toBeNatted(x: unknown, isNot: boolean, want: { dst?: string; src?: string } = {}): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toBeNatted');
  const w = options(want, 'toBeNatted', ['dst', 'src']);
  const ex = judged(x, 'toBeNatted', { natted: w.dst === undefined && w.src === undefined ? true : w });
  const e = ex.natted!;
  const pass = meets(x, ex);
  return {
    pass,
    message: msg([`expected ${q(x)} ${not(isNot)}to be natted: ${describeNatExpectation(e)}`, `  actual: ${describeNat(x.nat)}`, () => only(x.requestEvents, ['netfilter', 'nftables', 'nat'], 'netfilter and NAT on the request') ?? aroundOutcome(x)]),
  };
}

/** The receiving socket saw this source IP (after any SNAT/MASQUERADE). */
export function toBeSeenFrom(x: unknown, isNot: boolean, ip: string): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toBeSeenFrom');
  const e = judged(x, 'toBeSeenFrom', { seenSource: ip });
  return {
    pass: meets(x, e),
    message: msg([
      `expected ${q(x)} ${not(isNot)}to be seen from ${ip}`,
      `  actual: ${x.delivered ? `seen from ${x.seenSource ?? '?'}` : fate(x)}`,
      x.detailed && x.natted ? `  NAT: ${describeNat(x.nat)}` : undefined,
      () => aroundOutcome(x),
    ]),
  };
}

/** A NetworkPolicy (`ns/name`) decided the request: allowed it by a rule, or denied it by isolating the pod. */
export function toMatchPolicy(x: unknown, isNot: boolean, name: string, opts: Omit<PolicyExpectation, 'name'> = {}): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toMatchPolicy');
  const given = options(opts, 'toMatchPolicy', ['direction', 'verdict']);
  const e = judged(x, 'toMatchPolicy', { policy: { ...given, name } });
  const p: PolicyExpectation = e.policy![0]!;
  return {
    pass: meets(x, e),
    message: msg([
      `expected ${q(x)} ${not(isNot)}to match NetworkPolicy ${describePolicyExpectation(p)}`,
      `  actual: ${describePolicies(x.policies)}`,
      `  fate: ${fate(x)}`,
      () => only(x.requestEvents, ['policy'], 'NetworkPolicy decisions on the request') ?? aroundOutcome(x),
    ]),
  };
}
