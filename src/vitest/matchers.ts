/**
 * The matchers' logic, free of vitest: each takes a Flow (from
 * `results.flow(name)`) and returns pass/fail with a message that names the
 * expected and the actual hop and shows the trace around it as a hop table.
 * The predicates are the ones scenario `expect:` uses (scenario/expect.ts).
 */
import type { Flow } from '../api/flow.js';
import { describeNat, describeNatExpectation, describePolicies, describePolicyExpectation, natMatches, policyMatches, subsequenceGap } from '../scenario/run/expect.js';
import type { NatExpectation, PolicyExpectation } from '../scenario/types.js';
import type { DropReason } from '../trace/events.js';
import { around, aroundOutcome, fate, only, pathEventIndex } from './context.js';

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

function msg(lines: (string | undefined)[]): () => string {
  return () => lines.filter((l): l is string => l !== undefined).join('\n');
}

export function toBeDelivered(x: unknown, isNot: boolean): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toBeDelivered');
  return {
    pass: x.delivered,
    message: msg([`expected ${q(x)} ${not(isNot)}to be delivered`, `  actual: ${fate(x)}`, aroundOutcome(x)]),
  };
}

/** `pod/<ns>/<name>` (or `pod/<name>`, namespace default), `node/<name>`, `host/<name>`. */
export function toBeDeliveredTo(x: unknown, isNot: boolean, ref: string): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toBeDeliveredTo');
  const want = normalizeRef(ref);
  const wantNs = want.replace(/^(pod|node|host)\//, '');
  return {
    pass: x.deliveredTo === want,
    message: msg([
      `expected ${q(x)} ${not(isNot)}to be delivered to ${want}`,
      `  expected hop: delivery to a socket in ${wantNs}`,
      `  actual hop:   ${fate(x)}`,
      `  path: ${x.path.join(' -> ') || '(none)'}`,
      aroundOutcome(x),
    ]),
  };
}

export function toBeDropped(x: unknown, isNot: boolean, opts: { reason?: DropReason | string } = {}): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toBeDropped');
  const pass = !x.delivered && (opts.reason === undefined || x.dropReason === opts.reason);
  return {
    pass,
    message: msg([`expected ${q(x)} ${not(isNot)}to be dropped${opts.reason ? ` (${opts.reason})` : ''}`, `  actual: ${fate(x)}`, aroundOutcome(x)]),
  };
}

/** Ordered subsequence of `<netns>:<dev>` hops of the request (`node1:cbr0`, `default/pod1:eth0`). */
export function toTraverse(x: unknown, isNot: boolean, hops: readonly string[]): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toTraverse');
  const path = x.path;
  const gap = subsequenceGap(hops, path);
  const pass = gap.missing === undefined;
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
      focus >= 0 ? around(x.requestEvents, focus, 'trace around it', 'request packet events', gap.after > 0 ? firstEvent[gap.after - 1] : undefined) : aroundOutcome(x),
    ]),
  };
}

/** `{ dst: '10.244.2.2:8080' }`, `{ src: ip }` or nothing (some NAT at all). */
export function toBeNatted(x: unknown, isNot: boolean, want: { dst?: string; src?: string } = {}): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toBeNatted');
  const e: NatExpectation = want.dst === undefined && want.src === undefined ? true : want;
  const pass = natMatches(x.nat, e);
  const nat = only(x.requestEvents, ['netfilter', 'nftables', 'nat'], 'netfilter and NAT on the request');
  return {
    pass,
    message: msg([`expected ${q(x)} ${not(isNot)}to be natted: ${describeNatExpectation(e)}`, `  actual: ${describeNat(x.nat)}`, nat ?? aroundOutcome(x)]),
  };
}

/** The receiving socket saw this source IP (after any SNAT/MASQUERADE). */
export function toBeSeenFrom(x: unknown, isNot: boolean, ip: string): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toBeSeenFrom');
  return {
    pass: x.delivered && x.seenSource === ip,
    message: msg([
      `expected ${q(x)} ${not(isNot)}to be seen from ${ip}`,
      `  actual: ${x.delivered ? `seen from ${x.seenSource ?? '?'}` : fate(x)}`,
      x.natted ? `  NAT: ${describeNat(x.nat)}` : undefined,
      aroundOutcome(x),
    ]),
  };
}

/** A NetworkPolicy (`ns/name`) decided the request: allowed it by a rule, or denied it by isolating the pod. */
export function toMatchPolicy(x: unknown, isNot: boolean, name: string, opts: Omit<PolicyExpectation, 'name'> = {}): MatchResult {
  if (!isFlow(x)) return notAFlow(x, 'toMatchPolicy');
  const p: PolicyExpectation = { name, ...opts };
  const pol = only(x.requestEvents, ['policy'], 'NetworkPolicy decisions on the request');
  return {
    pass: policyMatches(x.policies, p),
    message: msg([
      `expected ${q(x)} ${not(isNot)}to match NetworkPolicy ${describePolicyExpectation(p)}`,
      `  actual: ${describePolicies(x.policies)}`,
      `  fate: ${fate(x)}`,
      pol ?? aroundOutcome(x),
    ]),
  };
}

function normalizeRef(ref: string): string {
  const parts = ref.split('/');
  return parts[0] === 'pod' && parts.length === 2 ? `pod/default/${parts[1]}` : ref;
}
