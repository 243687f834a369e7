import { stringify } from 'yaml';
import { checkExpectBlock, type World } from '../scenario/check/check-traffic.js';
import { policyNamesWithSteps, servicesCreatedBySteps } from '../scenario/check/check-service-steps.js';
import { YamlReader } from '../scenario/load/yaml-reader.js';
import { unknownDevices } from '../scenario/run/unknown-devices.js';
import type { Expectation, Scenario } from '../scenario/types.js';
import { notPlainData } from './check-args.js';
import { UsageError } from './errors.js';

/**
 * What a run knows that a flow's questions are judged against: the scenario
 * (pods, workloads, Services, NetworkPolicies, including those steps create),
 * the devices that existed, and whether per-hop detail was kept.
 */
export interface RunContext {
  scenario: Scenario;
  /** Every `<netns>:<device>` of the run (computed once, when first asked). */
  devices: () => ReadonlySet<string>;
  detailed: boolean;
}

/** The names a traffic item or expectation may use, as the loader resolves them for a file. */
export function worldOf(scenario: Scenario): World {
  return {
    cluster: scenario.cluster,
    pods: scenario.pods,
    services: [...scenario.services, ...servicesCreatedBySteps(scenario.steps, scenario.services)],
    policies: policyNamesWithSteps(scenario.steps, scenario.networkPolicies),
  };
}

/**
 * `expect:` fields answered from per-hop events: a run with `detailed: false`
 * records none of them (no path, NAT, policy decisions or load-balancing
 * candidates), so it cannot judge them either way.
 */
export const NEEDS_DETAIL = ['via', 'notVia', 'natted', 'policy', 'hops', 'candidates', 'sameBackendAs'] as const satisfies readonly (keyof Expectation)[];

export function detailNeeded(e: Expectation): string[] {
  return NEEDS_DETAIL.filter((k) => e[k] !== undefined);
}

export const NOT_DETAILED = 'this run kept only outcomes (detailed: false), so path, NAT, NetworkPolicy and load-balancing details were not recorded: run with detailed: true (the default) to ask about them';

/**
 * An `expect:` block given by a test (a matcher's argument, a send's `expect`)
 * read as the loader reads one in a file (same refs, addresses, policy names,
 * drop reasons), then checked against the devices the run had and whether it
 * kept detail. Throws UsageError naming `argument` and saying what is wrong,
 * so a typo can never make an assertion (or its `.not`) pass.
 */
export function expectationArg(ctx: RunContext, block: Record<string, unknown>, argument: string): Expectation {
  const bad = notPlainData(block);
  if (bad) throw new UsageError(argument, bad.why);
  const r = new YamlReader(argument, stringify(block));
  const doc = r.docs[0]!;
  const e = checkExpectBlock(r, { node: doc.contents, path: 'expect', near: doc.start }, worldOf(ctx.scenario));
  if (r.problems.length > 0 || !e) throw new UsageError(argument, r.problems.map((p) => `${p.path.replace(/^expect\./, '')}: ${p.message}`).join('; ') || 'expected an expectation');
  checkAgainstRun(ctx, e, argument);
  return e;
}

/** Devices named that the run never had, and questions a non-detailed run cannot answer: UsageError. */
export function checkAgainstRun(ctx: RunContext, e: Expectation, argument: string): void {
  if (e.devicesAt && e.devicesAt.length > 0) {
    const unknown = unknownDevices([{ expect: e }], ctx.devices());
    if (unknown.length > 0) throw new UsageError(argument, unknown.map((p) => `${p.path.replace(/^expect\./, '')}: ${p.message}`).join('; '));
  }
  const detail = detailNeeded(e);
  if (!ctx.detailed && detail.length > 0) throw new UsageError(argument, `${detail.join(', ')}: ${NOT_DETAILED}`);
}
