import type { FlowResult } from '../scenario/run/flows.js';
import type { Cluster } from '../cluster/build.js';
import type { NetNs } from '../kernel/netns.js';
import { parseIpv4 } from '../wire/addr.js';
import { refForNetns, refString } from '../scenario/run/flows.js';
import type { Mismatch } from '../scenario/run/expect.js';
import { ExpectationStream } from '../scenario/run/expect-stream.js';
import type { RunResult } from '../scenario/run/simulate.js';
import type { Scenario } from '../scenario/types.js';
import type { TraceEvent } from '../trace/events.js';
import type { WalkFlow } from '../trace/view/flow-packets.js';
import type { WalkEvents } from '../scenario/report/walk-events.js';
import { walkKey, WalkRepeats } from '../scenario/report/walk-repeats.js';
import { policyEnforcementNote } from '../scenario/report/policy-note.js';
import type { ViewOptions } from '../trace/view/options.js';
import { fit, PLAIN, type Terminal } from '../trace/view/terminal.js';
import { expectationSummary } from './expect-summary.js';
import { isSelected, renderHeadline, renderWalk } from '../trace/view/walk.js';

/** Which flow each packet belongs to (packets inherit their flow at creation). */
export function eventsByFlow(events: readonly TraceEvent[]): Map<string, TraceEvent[]> {
  const flowOf = new Map<number, string>();
  const out = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.kind === 'create') flowOf.set(e.pkt, e.flow ?? '(background)');
    const f = flowOf.get(e.pkt) ?? '(background)';
    let list = out.get(f);
    if (!list) out.set(f, (list = []));
    list.push(e);
  }
  return out;
}

/** A flow's outcome and events in the shape the walk view reads (`placeOf`: the cluster's namespaces named as `deliveredTo` names them). */
export function walkFlow(r: FlowResult, events: TraceEvent[], placeOf?: (netns: string) => string, ownerOf?: (ip: string) => string | undefined): WalkFlow {
  return {
    name: r.flow,
    protocol: r.traffic.protocol,
    target: r.traffic.to.kind === 'pod' ? (r.traffic.to.namespace === 'default' ? r.traffic.to.name : `${r.traffic.to.namespace}/${r.traffic.to.name}`) : refString(r.traffic.to),
    ...(r.traffic.port === undefined ? {} : { port: r.traffic.port }),
    verdict: r.verdict,
    ...(r.deliveredTo === undefined ? {} : { deliveredTo: r.deliveredTo }),
    ...(r.dropReason === undefined ? {} : { dropReason: r.dropReason }),
    ...(r.dropDetail === undefined ? {} : { dropDetail: r.dropDetail }),
    ...(r.rttNs === undefined ? {} : { rttNs: r.rttNs }),
    ...(r.pkt === undefined ? {} : { pkt: r.pkt }),
    ...(placeOf === undefined ? {} : { placeOf }),
    ...(ownerOf === undefined ? {} : { ownerOf }),
    events,
  };
}

/** Every flow with its events taken from `walk`. */
export function walkFlows(flows: readonly FlowResult[], walk: WalkEvents, placeOf?: (netns: string) => string): WalkFlow[] {
  return flows.map((r) => walkFlow(r, walk.take(r.flow), placeOf));
}

export interface ReportOptions {
  view: ViewOptions;
  /** Headlines only. */
  quiet: boolean;
  term: Terminal;
  /**
   * Consecutive walks of one traffic item that read the same but for times,
   * packet ids and ephemeral ports are printed once, then one `… and N more
   * identical walks` line (default true; never at `full` detail, nor for a
   * flow `--flow` names as `name#k`).
   */
  collapse?: boolean;
}

/**
 * The human report, written while the run goes on: the scenario line at
 * once, each flow's walk (at the chosen detail; its headline only with
 * `quiet`) as soon as the flow is over and those before it are out (a run's
 * `onFlow` hands results over in that order), then the timeline of changes
 * and the expectation summary when the run ends. Byte for byte what one
 * string rendered at the end would be; what it keeps is the events of the
 * flows not yet over (`walk`), the expectations' mismatches, the few
 * results a `sameBackendAs` names, and the key of the walk shown last (a
 * repeat of it is counted, not printed: `WalkRepeats`).
 */
export class ReportWriter {
  private readonly expectations: ExpectationStream;
  private readonly repeats = new WalkRepeats();
  /** The cluster's namespaces named as `deliveredTo` names them, once it is built. */
  private placeOf: ((netns: string) => string) | undefined;
  /** Who holds an address (a dropped request's DNAT endpoint is named by it). */
  private ownerOf: ((ip: string) => string | undefined) | undefined;
  /** Whether a NetworkPolicy decided a packet of some flow (the report then says once what enforces it). */
  private policyDecided = false;

  constructor(
    private readonly write: (s: string) => void,
    private readonly scenario: Scenario,
    private readonly walk: WalkEvents,
    private readonly opts: ReportOptions,
  ) {
    // With --flow, only the flows shown are checked: a flow left out must not decide the exit code unseen.
    this.expectations = new ExpectationStream(scenario.traffic, (f) => isSelected(f, opts.view.flows));
    const title = `scenario ${scenario.name} (${scenario.cluster.network}, seed ${scenario.cluster.seed})`;
    this.lines(fit(title, opts.term));
  }

  /** The cluster is built (before any flow): a headline names where a retransmission was delivered as the run names places. */
  built(cluster: Cluster): void {
    this.placeOf = (netns) => refForNetns(netns, cluster);
    this.ownerOf = addressOwners(cluster);
  }

  /** A flow is over: its walk, if it is one of those shown. */
  flow(r: FlowResult): void {
    this.expectations.add(r);
    if ((r.policies?.length ?? 0) > 0) this.policyDecided = true;
    const events = this.walk.take(r.flow);
    if (!isSelected(r.flow, this.opts.view.flows)) return;
    const f = walkFlow(r, events, this.placeOf, this.ownerOf);
    const render = (term: Terminal): string[] => (this.opts.quiet ? renderHeadline(f, term) : renderWalk(f, this.opts.view, term));
    if (!this.collapses(r)) {
      this.show(undefined, undefined, render(this.opts.term));
      return;
    }
    // A flow that reads like a repeat already rendered is one: no walk rendered (the run's many identical datagrams).
    if (!this.repeats.readsAsRepeat(r.traffic.name, f)) {
      // Compared as piped output reads (no wrapping, no colour): a longer rtt must not make a repeat look different.
      const plain = render(PLAIN);
      const key = walkKey(plain, f);
      if (!this.repeats.repeats(r.traffic.name, key, f)) this.show(r.traffic.name, key, isPlain(this.opts.term) ? plain : render(this.opts.term));
    }
    // The item's last flow: nothing more can repeat it, say so now rather than when the next item's walk comes.
    if (r.flow === `${r.traffic.name}#${r.traffic.count}`) this.show(undefined, undefined, []);
  }

  /** Whether this flow's walk may be folded into a repeat line: a repeated item, at a detail that summarises, not asked for by its own name. */
  private collapses(r: FlowResult): boolean {
    return (this.opts.collapse ?? true) && r.traffic.count > 1 && this.opts.view.detail !== 'full' && !this.opts.view.flows.includes(r.flow);
  }

  /** Prints a walk (none: just ends the repeats of the one before), after the line counting that one's repeats. */
  private show(item: string | undefined, key: string | undefined, walk: readonly string[]): void {
    const repeated = this.repeats.shown(item, key, this.opts.quiet ? 'headline' : 'walk');
    const lines = repeated === undefined ? [] : fit(repeated, this.opts.term, 4);
    if (walk.length > 0) lines.push('', ...walk);
    this.lines(lines);
  }

  /** The run is over (every flow handed over): changes, a budget stop, the expectations. Returns the mismatches. */
  end(result: Pick<RunResult, 'stopped' | 'eventsExecuted'>): Mismatch[] {
    const { term } = this.opts;
    this.show(undefined, undefined, []);
    const parts: string[] = [];
    const changes = this.walk.changes;
    if (changes.length > 0) {
      // The timeline of steps and the controllers reacting to them (the walks above are per flow).
      parts.push('', 'changes (steps and the controllers reacting to them):');
      for (const c of changes) parts.push(...fit(`  ${(c.t / 1e9).toFixed(6)} s  ${c.at}: ${c.change}: ${c.detail}`, term, 4));
    }
    if (result.stopped === 'budget') parts.push('', `run stopped: event budget exhausted after ${result.eventsExecuted} events`);
    const note = policyEnforcementNote(this.scenario, this.policyDecided);
    if (note !== undefined) parts.push('', ...fit(note, term));
    const mismatches = this.expectations.finish();
    parts.push('', ...expectationSummary(mismatches, this.expectations, (f) => this.expectations.itemOf(f), term));
    this.lines(parts);
    return mismatches;
  }

  /** Each line ends with a newline: the pieces add up to the lines joined, whatever the order of the calls. */
  private lines(lines: readonly string[]): void {
    if (lines.length > 0) this.write(`${lines.join('\n')}\n`);
  }
}

function isPlain(term: Terminal): boolean {
  return term.width === undefined && !term.colour;
}

/**
 * Who holds each address of the cluster (`node/x`, `host/y`, `pod/ns/name`;
 * a hostNetwork pod's is its node's), read off the namespaces when first
 * asked and again when an address is not found and pods came or went since.
 */
function addressOwners(cluster: Cluster): (ip: string) => string | undefined {
  let index: Map<number, string> | undefined;
  let pods = -1;
  const build = (): Map<number, string> => {
    const out = new Map<number, string>();
    const own = (ns: NetNs, ref: string): void => {
      for (const a of ns.addrs) if (a.ip >>> 24 !== 127 && !out.has(a.ip)) out.set(a.ip, ref);
    };
    for (const [name, ns] of cluster.nodes) own(ns, `node/${name}`);
    for (const [name, ns] of cluster.hosts) own(ns, `host/${name}`);
    for (const [key, ns] of cluster.pods) own(ns, `pod/${key}`);
    pods = cluster.pods.size;
    return out;
  };
  return (ip) => {
    const addr = parseIpv4(ip);
    if (addr === undefined) return undefined;
    if (!index || (!index.has(addr) && pods !== cluster.pods.size)) index = build();
    return index.get(addr);
  };
}
