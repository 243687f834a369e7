import { buildCluster, type Cluster } from '../../cluster/build.js';
import type { NetNs } from '../../kernel/netns.js';
import type { SendRequest } from '../../kernel/sockets.js';
import { parseIpv4 } from '../../wire/addr.js';
import type { DropReason, TraceEvent } from '../../trace/events.js';
import { sendHttp } from '../../cluster/http/client.js';
import { nodeResolvConf, podResolvConf } from '../../cluster/dns/resolver.js';
import { formatIpv4 } from '../../wire/addr.js';
import { lookup } from './dns-lookup.js';
import type { FlowResult } from './flows.js';
import { FlowList, repeatable } from './flow-list.js';
import { FlowSummarizer, TrackedFlow } from './flow-summarizer.js';
import { unsentResult, type Precedents } from './request-summary.js';
import { FlowStream, type FlowSink } from './flow-stream.js';
import { ScenarioIndex } from './scenario-index.js';
import { FlowLife, type Life } from './flow-life.js';
import { FlowNames } from './flow-names.js';
import { scheduleSteps } from './steps.js';
import type { EndpointRef, Problem, Scenario, TrafficSpec } from '../types.js';
import { deviceNames, namesDevices, snapshotDevices, unknownDevices, type DeviceSnapshot } from './unknown-devices.js';
import { TrainReplay } from '../../kernel/fastpath/train.js';
import type { Skb } from '../../kernel/skb.js';

/** Flows' records kept for reuse at most (as many as flows overlap in a train of datagrams, and a few more). */
const SPARE_SENT = 64;

/** Events a run may execute before it is declared runaway (loops end here at the latest). */
export const DEFAULT_EVENT_BUDGET = 5_000_000;

export interface SimulateOptions {
  /** Keep every hop (default) or only outcomes (faster: benchmarks). */
  detailed?: boolean;
  eventBudget?: number;
  /** Called once the cluster is up, before any traffic (attach captures, inspect state). */
  onBuilt?: (cluster: Cluster) => void;
  /** Called every 65,536 events while the run goes on (the CLI's progress line on stderr). */
  onProgress?: (p: RunProgress) => void;
  /**
   * Keep the whole trace in `RunResult.events` (default). `false`: events
   * only reach the sinks attached in `onBuilt` (streamed output) and the
   * flow summariser, so memory does not grow with the trace's length.
   */
  keepTrace?: boolean;
  /** Each trace event the moment it happens (cluster set-up first), in order: the streaming form of `events`. */
  onEvent?: (e: TraceEvent) => void;
  /** Readers of the events that need to know each flow's request packet (the walk view's per-flow events). */
  flowSinks?: FlowSink[];
  /**
   * Each flow's result as soon as the flow is over (flow-life.ts), in the
   * order of `RunResult.flows` (a flow waits for those before it): the
   * streaming form of `flows`. Called before the flow's last readers
   * (`flowSinks`) forget it.
   */
  onFlow?: (r: FlowResult) => void;
  /**
   * Keep every flow's result in `RunResult.flows` (default). `false`: results
   * only reach `onFlow`, and a flow over is forgotten at once, so memory does
   * not grow with the number of flows either (what the kernel really keeps aside).
   */
  keepFlows?: boolean;
}

/** How far a long run has come: events run so far, the simulated clock, and the event budget. */
export interface RunProgress {
  events: number;
  nowNs: number;
  budget: number;
  /** Flows whose results are out (over, and every flow before them too), of the flows scheduled so far. */
  flowsOver: number;
  flows: number;
}

export interface RunResult {
  scenario: Scenario;
  cluster: Cluster;
  /** The whole trace, in order (throws when the run was made with `keepTrace: false`). */
  readonly events: TraceEvent[];
  /** Every flow's result, in the order the traffic was scheduled (throws when the run was made with `keepFlows: false`). */
  readonly flows: FlowResult[];
  /** Why the run stopped; `budget` means a runaway was cut short. */
  stopped: 'idle' | 'budget';
  eventsExecuted: number;
  /** Invalid input only the built cluster shows (`expect.via` naming no device): the caller reports it as such (exit 2). */
  invalid?: Problem[];
}

/**
 * Build the cluster, send the scenario's traffic at its simulated times, run
 * the event queue to completion (or the event budget) and read each flow's
 * fate out of the trace.
 */
export function simulate(scenario: Scenario, opts: SimulateOptions = {}): RunResult {
  const run = new ScenarioRun(scenario, opts);
  for (const t of scenario.traffic) run.schedule(t);
  return run.finish();
}

/**
 * A traffic item scheduled. Its `count` requests are sent one at a time, each
 * scheduling the next when it runs (one event ahead, not `count` up front),
 * with sequence numbers reserved when the item was scheduled: they run
 * exactly where they would have run, had all been scheduled at once.
 */
interface Item {
  readonly t: TrafficSpec;
  readonly from: NetNs;
  /** The sequence number of the item's first request (the next `count - 1` are its later ones). */
  readonly seq: number;
  /** Requests due so far (their flows have started). */
  started: number;
  /** Flows whose results have been taken. */
  taken: number;
  /** Flows started and not yet taken, in order: the first, and the last (linked by `Sent.next`). */
  first: Sent | undefined;
  last: Sent | undefined;
  /** Its flows' names, `name#k`, when it sends several requests (one, `name`: its flow's name is the item's). */
  readonly names: FlowNames;
  /** The destination address, once known (resolved at the first request: the scenario's addresses never change). */
  dst: number | undefined;
  /** A periodic train's exact replay (kernel/fastpath/train.ts), when the item can be one and the run allows it. */
  readonly train: TrainReplay | undefined;
  /** The result of its flow taken last (a train's block of results repeats it: `trainBlock`). */
  lastResult: FlowResult | undefined;
}

/**
 * A flow that started (its request was due): what the summariser follows
 * (its request's summary too), its life (flow-life.ts), why its name did not
 * resolve, and the request the sender's sockets are given (its fields read
 * off the traffic item): one object per datagram.
 */
class Sent extends TrackedFlow implements SendRequest, Life<Sent> {
  // Set in the constructor, not by field initialisers (one object per datagram: see RequestSummary).
  /** Where its request goes (once its name, if any, resolved). */
  declare dst: number;
  /** Why its DNS name did not resolve (undefined: it did, or there was none). */
  declare unresolved: string | undefined;
  /** What its send() failed with, no packet made (written by Sockets.send: SendRequest.sendError). */
  declare sendError: string | undefined;
  /** Nothing can add to it any more (flow-life.ts). */
  declare over: boolean;
  /** The item's flow started after it (not taken yet). */
  declare next: Sent | undefined;
  // Its life (flow-life.ts), as a new one is.
  declare token: Sent | undefined;
  declare inFlight: number;
  declare firstPkt: number;
  declare laterPkts: number[] | undefined;
  declare since: number;
  declare slot: number;
  declare item: Item;
  /** 0-based: the item's `k + 1`th request. */
  declare k: number;

  constructor(item: Item, k: number, flow: string, precedents: Precedents) {
    super(flow, item.t, precedents);
    this.dst = 0;
    this.unresolved = undefined;
    this.sendError = undefined;
    this.over = false;
    this.next = undefined;
    this.token = undefined;
    this.inFlight = 0;
    this.firstPkt = -1;
    this.laterPkts = undefined;
    this.since = 0;
    this.slot = -1;
    this.item = item;
    this.k = k;
  }

  /**
   * The record of a new flow again, as the constructor makes it (its last flow's result taken and forgotten).
   * The fields are written out again on purpose, as in request-summary.ts's restartSummary: one method shared
   * with the constructor measured fewer packets per CPU second (V8 builds the object's shape in the constructor).
   */
  again(item: Item, k: number, flow: string): this {
    this.restartFlow(flow, item.t);
    this.dst = 0;
    this.unresolved = undefined;
    this.sendError = undefined;
    this.over = false;
    this.next = undefined;
    this.token = undefined;
    this.inFlight = 0;
    this.firstPkt = -1;
    this.laterPkts = undefined;
    this.since = 0;
    this.slot = -1;
    this.item = item;
    this.k = k;
    return this;
  }

  get protocol(): TrafficSpec['protocol'] {
    return this.traffic.protocol;
  }
  get payload(): number {
    return this.traffic.payload;
  }
  get seq(): number {
    return this.k + 1;
  }
  get port(): number | undefined {
    return this.traffic.port;
  }
  get ttl(): number | undefined {
    return this.traffic.ttl;
  }
  get reuse(): true | undefined {
    return this.traffic.reuseConnection ? true : undefined;
  }
  get timeoutNs(): number | undefined {
    return this.traffic.timeoutNs;
  }
  get sport(): number | undefined {
    return this.traffic.sourcePort;
  }
  get closeAfterNs(): number | undefined {
    return this.traffic.closeAfterNs;
  }
  get keepAlive(): TrafficSpec['keepAlive'] {
    return this.traffic.keepAlive || undefined;
  }
  get awaitReply(): true | undefined {
    return this.traffic.reply !== undefined ? true : undefined;
  }
}

/**
 * A run in steps, for the library API: the cluster is up from the start,
 * traffic can be scheduled at any simulated time not yet passed, the clock can
 * be advanced to inspect kernel state, and `finish` drains the queue and
 * summarizes every flow exactly as `simulate` does (it is what `simulate` uses).
 */
export class ScenarioRun {
  /** A traffic item's next request is due (scheduled without a closure). */
  private static readonly due = (run: ScenarioRun, item: Item): void => run.startNext(item);
  /** Sends a started flow's request; returns its packet id (FlowStream.send). */
  private static readonly sendRequest = (run: ScenarioRun, s: Sent): number | undefined => run.sendRequest(s);
  /** A train window's request: made, not walked (`trainWindow`); returns its packet id. */
  private static readonly trainRequest = (run: ScenarioRun, s: Sent): number | undefined => run.trainRequest(s);
  /** A request a train window leaves in flight (`lagWindow`): told, not made. */
  private static readonly lagRequest = (run: ScenarioRun, s: Sent): number | undefined => run.lagRequest(s);
  /**
   * Whether traffic items may be replayed as trains (kernel/fastpath/train.ts): only when every reader of the run
   * reads what a window makes as it would read a walk — no per-hop trace (a window has no hops), no reader told
   * each event, flow or packet as it happens beyond the kept trace and results. `PODWALK_TRAIN_REPLAY=off` turns
   * it off (the differential tests' reference).
   */
  private readonly trains: boolean;
  /** The packet a train window's request made, for its `deliver`. */
  private trainSkb: Skb | undefined;
  /** Flows started so far (every item's). */
  private flowsStarted = 0;
  /** Sinks the run attached to the trace itself (a train's block is kept only while no one else's is). */
  private readonly ownSinks: number;
  readonly cluster: Cluster;
  /** Traffic items scheduled, in order; an item's entry is let go once all its results are out (`undefined`). */
  private readonly items: (Item | undefined)[] = [];
  /** Items before this one have had all their results taken. */
  private nextItem = 0;
  /** Traffic items scheduled (for `expect.via` names checked at the end). */
  private readonly scheduled = new Set<TrafficSpec>();
  /** Flows scheduled so far (every request of every item), and those whose results are out. */
  private flows = 0;
  private flowsTaken = 0;
  /** Results kept for `RunResult.flows` (a replayed train's as one record: flow-list.ts). */
  private readonly results: FlowList | undefined;
  private readonly onFlow: ((r: FlowResult) => void) | undefined;
  /**
   * Flows' records whose results were taken, reused for the next flows (`Sent.again`): a train of datagrams makes
   * none per datagram (one object of some forty fields, and its two boxed times, each allocated and filled anew).
   */
  private readonly spare: Sent[] = [];
  /** Knows when each flow is over, so results are taken and forgotten as the run goes. */
  private readonly life: FlowLife<Sent>;
  /** Why a request that never left was dropped: known only at the end (undefined while the run goes on). */
  private unsent: DropReason | undefined;
  private budgetLeft: number;
  private outOfBudget = false;
  /** Reply sizes by traffic item name (`reply:`), read by the servers' applications. */
  private readonly replies = new Map<string, number>();
  private result: RunResult | undefined;
  private devicesAtBuild: DeviceSnapshot;
  private onProgress: ((events: number, nowNs: number) => void) | undefined;
  /** The events with each flow's request named, for the summariser and `flowSinks`. */
  private readonly stream = new FlowStream();
  /** Every flow's fate, read from the events as they happen (the trace need not be kept). */
  private readonly summarizer = new FlowSummarizer();
  /** Every location a streamed trace named (flanneld is a process, not a device): `expect.via` may name any. */
  private readonly seen = new Set<string>();
  /** Pods and Services by name, for the traffic's endpoints. */
  private readonly index: ScenarioIndex;

  constructor(
    readonly scenario: Scenario,
    opts: SimulateOptions = {},
  ) {
    this.cluster = buildCluster(scenario.cluster, scenario.pods, {
      detailed: opts.detailed ?? true,
      controlPlane: {
        services: scenario.services,
        endpointSlices: scenario.endpointSlices,
        namespaces: scenario.namespaces.map((n) => n.name),
        ingress: { ingresses: scenario.ingresses, classes: scenario.ingressClasses },
        // The policy agent runs once there is a NetworkPolicy to enforce (so policy-free traces stay as they were),
        // unless the cluster has none (cluster.networkPolicy.agent: none, flannel alone).
        ...(scenario.cluster.networkPolicy.agent !== 'none' && (scenario.networkPolicies.length > 0 || scenario.steps.some((s) => s.action.kind === 'apply' || s.action.kind === 'delete' || s.action.kind === 'label')) ? { networkPolicy: { policies: scenario.networkPolicies, namespaces: scenario.namespaces, options: scenario.cluster.networkPolicy, nodePortRange: scenario.cluster.serviceNodePortRange } } : {}),
      },
    });
    this.index = new ScenarioIndex(scenario);
    scheduleSteps(this.cluster, scenario);
    this.devicesAtBuild = snapshotDevices(this.cluster);
    // The applications behind every listening socket answer requests whose traffic item asks for a reply.
    // Asked for every request a server reads: nothing to look up when no item asks for a reply.
    const answer = (flow: string | undefined): number | undefined => (flow === undefined || this.replies.size === 0 ? undefined : this.replies.get(flow.replace(/#\d+$/, '')));
    this.cluster.world.serverReply = answer; // pods a step creates later answer too
    this.budgetLeft = opts.eventBudget ?? DEFAULT_EVENT_BUDGET;
    const budget = this.budgetLeft;
    const report = opts.onProgress;
    if (report) this.onProgress = (events, nowNs) => report({ events, nowNs, budget, flowsOver: this.flowsTaken, flows: this.flows });
    const tracer = this.cluster.world.tracer;
    this.results = opts.keepFlows === false ? undefined : new FlowList();
    this.onFlow = opts.onFlow;
    this.trains = trainsFromEnv() && opts.detailed === false && opts.onEvent === undefined && opts.flowSinks === undefined && opts.onFlow === undefined && opts.keepFlows !== false;
    // First of the sinks: a flow found over with an event is taken before anyone reads that event.
    this.life = new FlowLife<Sent>(this.cluster.world.holds, this.cluster.sched, (s) => this.over(s));
    tracer.attach(this.life);
    this.stream.attach(this.summarizer);
    for (const s of opts.flowSinks ?? []) this.stream.attach(s);
    tracer.attach(this.stream);
    // A kept trace says at the end where it went; only a streamed one needs them gathered as it goes.
    if (opts.keepTrace === false) tracer.attach({ event: (e) => this.seen.add(e.at) });
    if (opts.onEvent) tracer.attach({ event: opts.onEvent });
    this.ownSinks = tracer.sinkCount;
    opts.onBuilt?.(this.cluster);
    if (opts.keepTrace === false) tracer.release();
  }

  /** Simulated time now (ns). */
  get now(): number {
    return this.cluster.sched.now;
  }

  /** Schedule a validated traffic item (its `atNs` must not be in the past). */
  schedule(t: TrafficSpec): void {
    if (this.result) throw new Error('the run has finished: no more traffic can be sent');
    const sched = this.cluster.sched;
    const from = resolveNetns(t.from, this.cluster);
    if (t.reply !== undefined) this.replies.set(t.name, t.reply);
    this.scheduled.add(t);
    const train = this.trains && isTrain(t) ? new TrainReplay(this.cluster.world, from, t.intervalNs, `${t.name}#`) : undefined;
    const item: Item = { t, from, seq: sched.reserve(t.count), started: 0, taken: 0, first: undefined, last: undefined, names: new FlowNames(`${t.name}#`), dst: undefined, train, lastResult: undefined };
    this.items.push(item);
    this.flows += t.count;
    if (t.count > 0) sched.callAtReserved(t.atNs, item.seq, ScenarioRun.due, this, item);
  }

  /** Requests of scheduled items not yet in the event queue (each item has its next one there). */
  private get unscheduled(): number {
    let n = 0;
    for (let i = this.nextItem; i < this.items.length; i++) {
      const item = this.items[i];
      if (item && item.started < item.t.count) n += item.t.count - item.started - 1;
    }
    return n;
  }

  /** `item`'s next request is due: its flow starts, the one after it is scheduled, and the request is sent. */
  private startNext(item: Item): void {
    const { t } = item;
    const train = item.train;
    if (train !== undefined) {
      const n = train.due(t.count - item.started);
      if (n > 0 && !train.lagging) return this.trainWindow(item, train, n);
      if (n > 0 && this.lagWindow(item, train, n)) return;
    }
    const s = this.startFlow(item, true);
    if (t.to.kind === 'dns') this.resolveThenSend(s, t.to.name);
    else {
      s.dst = item.dst ??= resolveIp(t.to, this.scenario, this.index);
      this.stream.send(s.flow, ScenarioRun.sendRequest, this, s, firstIsRequest(t));
    }
    this.life.launched(s);
  }

  /** `item`'s next flow starts (and, `scheduleNext`, the one after it is scheduled): followed from here on. */
  private startFlow(item: Item, scheduleNext: boolean): Sent {
    const { t } = item;
    const k = item.started++;
    this.flowsStarted++;
    if (scheduleNext && item.started < t.count) this.cluster.sched.callAtReserved(t.atNs + item.started * t.intervalNs, item.seq + item.started, ScenarioRun.due, this, item);
    const flow = t.count > 1 ? item.names.of(k + 1) : t.name;
    const s = this.spare.pop()?.again(item, k, flow) ?? new Sent(item, k, flow, this.summarizer.precedents);
    this.summarizer.track(s);
    if (item.last === undefined) item.first = s;
    else item.last.next = s;
    item.last = s;
    this.life.start(s);
    return s;
  }

  /**
   * A train's next `n` requests in one event (kernel/fastpath/train.ts): each
   * one's flow started, its datagram made and told, and delivered, at its
   * own time (the clock moved to each: the run's readers see each as they
   * would have), then the kernel state their walks leave in closed form, and
   * the request after them scheduled where it was due.
   */
  private trainWindow(item: Item, train: TrainReplay, n: number): void {
    const { t } = item;
    const sched = this.cluster.sched;
    let sendNs = sched.now;
    const first = n > 1 ? this.trainBlock(item, train, n - 1) : 0;
    for (let j = first; j < n; j++) {
      // (The sum `startNext`'s schedule makes: the same time to the last bit.)
      if (j > 0) sched.skip((sendNs = t.atNs + item.started * t.intervalNs), 0, 0);
      const s = this.startFlow(item, false);
      s.dst = item.dst!;
      this.stream.send(s.flow, ScenarioRun.trainRequest, this, s, true);
      this.life.launched(s);
      sched.skip(train.deliverNs(sendNs), 0, 0);
      train.deliver(this.trainSkb!);
      this.trainSkb = undefined;
    }
    train.commit(n, sendNs);
    if (item.started < t.count) sched.callAtReserved(t.atNs + item.started * t.intervalNs, item.seq + item.started, ScenarioRun.due, this, item);
  }

  /**
   * A window's first `m` datagrams kept as one record each in the trace and
   * the results (trace/event-store.ts `addTrain`, flow-list.ts `pushTrain`),
   * nothing made per datagram: each is a flow that starts, sends, is
   * delivered and is over before the next starts, its result the item's last
   * one but for its flow and packet. So the run's readers (the flow life, the
   * summariser, the stream) are left as they were, with the item's counts
   * moved on — once every flow started so far is taken (the item's last one
   * by the flow life's advance to now), this item's results are next, and no
   * sink but the run's own reads the trace. Returns how many it made (0: the
   * window makes each datagram on its own).
   */
  private trainBlock(item: Item, train: TrainReplay, m: number): number {
    this.life.advance();
    const results = this.results;
    const template = item.lastResult;
    const tracer = this.cluster.world.tracer;
    if (results === undefined || template === undefined || !repeatable(template) || this.flowsTaken !== this.flowsStarted || this.life.open !== 0 || this.items[this.nextItem] !== item) return 0;
    if (tracer.sinkCount !== this.ownSinks) return 0;
    const { t } = item;
    const k0 = item.started;
    // (Its socket found as its flows' requests find it: Sent's `port` and `sport`.)
    const b = train.block(item.dst!, t.port!, t.sourcePort, m);
    if (b === undefined) return 0;
    const prefix = `${t.name}#`;
    const d = b.deliver;
    tracer.keepTrain({ count: m, atNs: t.atNs, intervalNs: t.intervalNs, k0, pkt0: b.pkt0, pktStep: 1, createdAt: b.createdAt, flowPrefix: prefix, by: 'app', l3only: true, frame: b.frame, ids: b.ids, at: d.at, to: 'udp', socket: d.socket, src: d.src, sport: d.sport, delays: [b.spanNs], lag: 0, deliverFirst: false });
    results.pushTrain(template, prefix, k0, m, b.pkt0, 1);
    item.started += m;
    item.taken += m;
    this.flowsStarted += m;
    this.flowsTaken += m;
    // (Read only when the trace is not kept: the places it named.)
    this.seen.add(b.createdAt);
    this.seen.add(d.at);
    return m;
  }

  /**
   * A window of a train whose datagrams are in flight at every send (across
   * nodes: kernel/fastpath/train-lag.ts): its `n` periods made at once. The
   * kept trace holds them as one record (the creates of the window's
   * datagrams, the delivers of the `m` before it on), and so do the results
   * (those the window's datagrams delivered in it); the run's own readers are
   * told, at their times, of the delivers of the `m` datagrams in flight now
   * (taken over: their flows end as they would) and the creates of the last
   * `m` (left in flight: their flows start as they would), so the flow life,
   * summariser and stream end as after the walks. False (nothing done): the
   * datagram walks.
   */
  private lagWindow(item: Item, train: TrainReplay, n: number): boolean {
    const { t } = item;
    const m = train.lag;
    this.life.advance();
    const results = this.results;
    const template = item.lastResult;
    const tracer = this.cluster.world.tracer;
    const ok = results !== undefined && template !== undefined && repeatable(template) && tracer.sinkCount === this.ownSinks && this.items[this.nextItem] === item;
    // (Later items' flows may have started and ended: their results wait for this item's, whose are next.)
    if (!ok || item.taken !== item.started - m || this.life.open !== m || item.dst === undefined) {
      train.lagForget();
      return false;
    }
    const frame = train.lagTemplate(item.dst, t.port!, t.sourcePort);
    if (frame === undefined) {
      train.lagForget();
      return false;
    }
    const sched = this.cluster.sched;
    const k0 = item.started;
    const prefix = `${t.name}#`;
    const b = train.lagCommit(n, k0, frame, (k) => item.names.of(k + 1));
    const d = b.deliver;
    const at = (k: number): number => t.atNs + k * t.intervalNs;
    tracer.keepTrain({ count: n, atNs: t.atNs, intervalNs: t.intervalNs, k0, pkt0: b.pkt0, pktStep: 1, createdAt: b.createdAt, flowPrefix: prefix, by: 'app', l3only: true, frame, ids: b.ids, at: d.at, to: 'udp', socket: d.socket, src: d.src, sport: d.sport, delays: [b.spanNs], lag: m, deliverFirst: false });
    // The m in flight, taken over: delivered at their times, their flows over as they would be.
    for (let i = 0; i < m; i++) {
      sched.skip(at(k0 - m + i) + b.spanNs, 0, 0);
      tracer.tellDeliver(sched.now, b.pkt0 - m + i, d.at, 'udp', d.socket, d.src, d.sport);
    }
    sched.skip(at(k0 + n - m), 0, 0);
    this.life.advance();
    if (item.taken !== k0 || item.lastResult === undefined || !repeatable(item.lastResult)) throw new Error(`internal: a train window's flows in flight were not taken (${item.taken} of ${k0})`);
    results!.pushTrain(item.lastResult, prefix, k0, n - m, b.pkt0, 1);
    item.started += n - m;
    item.taken += n - m;
    this.flowsStarted += n - m;
    this.flowsTaken += n - m;
    this.seen.add(b.createdAt);
    this.seen.add(d.at);
    // The last m, left in flight: their flows start and their requests are told at their times.
    for (let j = n - m; j < n; j++) {
      if (j > n - m) sched.skip(at(k0 + j), 0, 0);
      const s = this.startFlow(item, false);
      s.dst = item.dst;
      // (Bytes of its own: a reader may keep the create's.)
      const bytes = new Uint8Array(frame.length);
      frame.writeAt(b.ids[j]!, bytes, 0);
      this.lagPkt = b.pkt0 + j;
      this.lagBytes = bytes;
      this.stream.send(s.flow, ScenarioRun.lagRequest, this, s, true);
      this.life.launched(s);
    }
    this.lagBytes = undefined;
    train.lagFinish(n);
    if (item.started < t.count) sched.callAtReserved(at(item.started), item.seq + item.started, ScenarioRun.due, this, item);
    return true;
  }

  /** The request a train window leaves in flight (`lagWindow`): its packet id and bytes at its create. */
  private lagPkt = 0;
  private lagBytes: Uint8Array | undefined;

  /** A request a train window leaves in flight: its `create` told to the run's readers (the trace keeps it in the window's record). */
  private lagRequest(s: Sent): number | undefined {
    this.summarizer.sending(s);
    const bytes = this.lagBytes!;
    this.cluster.world.tracer.tellCreate(this.cluster.sched.now, this.lagPkt, s.item.from.name, s.flow, undefined, 'app', true, bytes, 0, bytes.length);
    return this.lagPkt;
  }

  /** A train window's request: its datagram made and told (`create`), not walked. */
  private trainRequest(s: Sent): number | undefined {
    this.summarizer.sending(s);
    const skb = s.item.train!.send(s);
    this.trainSkb = skb;
    return skb.id;
  }

  /**
   * A name: the sender's resolver asks cluster DNS first (real packets), then
   * connects. (A method of its own: the closure's variables would otherwise
   * be kept in a context made on every request, of any item.)
   */
  private resolveThenSend(s: Sent, name: string): void {
    const { cluster, scenario } = this;
    const { t, from } = s.item;
    const dnsIp = scenario.services.find((x) => x.builtin && x.name === 'kube-dns')!.clusterIP!;
    // The sender's resolv.conf: a pod's as kubelet writes it (dnsPolicy, dnsConfig), a node's or host's otherwise.
    const pod = t.from.kind === 'pod' ? this.index.pod(t.from.namespace, t.from.name) : undefined;
    const conf = pod ? podResolvConf(pod, dnsIp) : nodeResolvConf(dnsIp);
    // The resolver may still send (its retry timer) while none of its packets is in flight: it holds the flow.
    const resolver = {};
    cluster.world.holds.hold(resolver, s.flow);
    lookup(from, conf, name, s.flow, (r) => {
      if (r.ok) {
        s.dst = r.ip;
        this.stream.send(s.flow, ScenarioRun.sendRequest, this, s, firstIsRequest(t));
      } else s.unresolved = r.why;
      cluster.world.holds.free(resolver);
    });
  }

  /** Sends a started flow's request; returns its packet id. */
  private sendRequest(s: Sent): number | undefined {
    const { t, from } = s.item;
    const dst = s.dst;
    this.summarizer.sending(s);
    if (t.http) {
      const host = t.http.host ?? (t.to.kind === 'dns' ? t.to.name : formatIpv4(dst));
      const bodyBytes = t.http.method === 'GET' || t.http.method === 'HEAD' ? 0 : t.payload;
      return sendHttp(from, dst, t.port!, { method: t.http.method, host, path: t.http.path, headers: t.http.headers, bodyBytes }, s.flow, t.ttl);
    }
    return from.sockets.send(s);
  }

  /** A started flow is over: its result (and those of the flows after it that were waiting for it) can be taken. */
  private over(s: Sent): void {
    s.over = true;
    this.takeResults();
  }

  /**
   * Results of the flows over, in order, up to the first one not over. A
   * flow whose request never left waits for the end (why it did not leave
   * depends on how the run ended); so does one not started yet.
   */
  private takeResults(): void {
    while (this.nextItem < this.items.length) {
      const item = this.items[this.nextItem]!;
      if (item.taken === item.t.count) {
        this.items[this.nextItem++] = undefined;
        continue;
      }
      const s = item.taken < item.started ? item.first! : undefined;
      let r: FlowResult;
      if (s === undefined) {
        // Never started: the run stopped (event budget) before its time came.
        if (this.unsent === undefined) return;
        r = unsentResult(item.t.count > 1 ? item.names.of(item.taken + 1) : item.t.name, item.t, this.unsent);
      } else {
        const why = s.unresolved;
        const failed = s.sendError;
        if (this.unsent === undefined && (!s.over || (why === undefined && failed === undefined && !s.sent))) return;
        r =
          why !== undefined
            ? { flow: s.flow, traffic: s.traffic, pkt: undefined, verdict: 'dropped', dropReason: 'dns-unresolved', dropDetail: why, path: [] }
            : failed !== undefined
              ? { flow: s.flow, traffic: s.traffic, pkt: undefined, verdict: 'dropped', dropReason: 'send-error', dropDetail: failed, path: [] }
              : this.summarizer.result(s, this.cluster, this.unsent ?? 'not-finished');
      }
      this.results?.push(r);
      this.onFlow?.(r);
      if (s) {
        item.lastResult = r;
        this.summarizer.forget(s);
        item.first = s.next;
        if (item.first === undefined) item.last = undefined;
        // Nothing refers to it any more (its result has copies of what it keeps, never its own lists to grow).
        if (this.spare.length < SPARE_SENT) this.spare.push(s);
      }
      item.taken++;
      this.flowsTaken++;
    }
  }

  /** Run events up to simulated time `ns` (inclusive) without ending the run: kernel state is then as of `ns`. */
  runUntil(ns: number): void {
    if (this.result || this.outOfBudget || ns < this.now) return;
    const sched = this.cluster.sched;
    // A no-op at `ns` makes the clock land exactly there even when the queue drains earlier (timers read `now`).
    sched.at(ns, () => {});
    const before = sched.eventsExecuted;
    const outcome = sched.run({ untilNs: ns, budget: this.budgetLeft, ...(this.onProgress ? { onProgress: this.onProgress } : {}) });
    this.budgetLeft -= sched.eventsExecuted - before;
    if (outcome.kind === 'budget') this.outOfBudget = true;
  }

  /** Run to the end (queue drained or event budget spent) and read each flow's fate. Idempotent. */
  finish(): RunResult {
    if (this.result) return this.result;
    const { cluster, scenario } = this;
    const before = cluster.sched.eventsExecuted;
    const run = this.outOfBudget ? { kind: 'budget' as const, events: 0, pending: cluster.sched.pending } : cluster.sched.run({ budget: this.budgetLeft, ...(this.onProgress ? { onProgress: this.onProgress } : {}) });
    // Pending as if every request had been scheduled up front (the message says how much was left).
    const outcome = run.kind === 'budget' ? { ...run, pending: run.pending + this.unscheduled } : run;
    this.budgetLeft -= cluster.sched.eventsExecuted - before;
    if (outcome.kind === 'budget') {
      cluster.world.finish('event-budget', `run stopped after ${cluster.sched.eventsExecuted} events with ${outcome.pending} pending (a forwarding loop?)`);
      cluster.sched.clear();
    } else {
      cluster.world.finish('not-finished', 'still in flight when the event queue drained');
    }
    // Every packet has ended (the queue drained, or the budget stopped it): every flow is over.
    this.life.finish();
    this.unsent = outcome.kind === 'budget' ? 'event-budget' : 'not-finished';
    this.takeResults();
    // Devices at the start and the end (steps add and remove some), and every location the trace names.
    const traffic = [...this.scheduled];
    let invalid: Problem[] = [];
    if (namesDevices(traffic)) {
      const known = deviceNames(this.devicesAtBuild, snapshotDevices(cluster));
      if (cluster.world.tracer.keeping) for (const e of cluster.world.tracer.events) known.add(e.at);
      else for (const at of this.seen) known.add(at);
      invalid = unknownDevices(traffic, known);
    }
    const tracer = cluster.world.tracer;
    const results = this.results;
    this.result = {
      scenario,
      cluster,
      get events() {
        return tracer.events;
      },
      get flows() {
        if (!results) throw new Error('flow results were not kept (the run handed them to onFlow)');
        return results.all();
      },
      stopped: outcome.kind === 'budget' ? 'budget' : 'idle',
      eventsExecuted: cluster.sched.eventsExecuted,
      ...(invalid.length > 0 ? { invalid } : {}),
    };
    return this.result;
  }
}

/**
 * Whether a traffic item is a periodic train a replay may stand for (kernel/fastpath/train.ts): datagrams from one
 * connected UDP socket at a fixed interval to an address, nothing answered, nothing asked of an application.
 */
function isTrain(t: TrafficSpec): boolean {
  return t.protocol === 'UDP' && t.reuseConnection === true && t.count > 2 && t.http === undefined && t.to.kind !== 'dns' && t.reply === undefined && TrainReplay.interval(t.intervalNs);
}

/** `PODWALK_TRAIN_REPLAY=off` (or 0/false) turns train replays off for a whole process. */
function trainsFromEnv(): boolean {
  const v = typeof process === 'undefined' ? undefined : process.env.PODWALK_TRAIN_REPLAY;
  return !(v === 'off' || v === '0' || v === 'false');
}

/**
 * Whether an item's request is the first packet its send creates (FlowStream.send): a datagram or an echo
 * request from the sender's sockets (a TCP connection's or an HTTP request's may follow others, or none).
 */
function firstIsRequest(t: TrafficSpec): boolean {
  return t.http === undefined && (t.protocol === 'UDP' || t.protocol === 'ICMP');
}

function resolveNetns(ref: EndpointRef, cluster: Cluster): NetNs {
  const ns =
    ref.kind === 'pod' ? cluster.pods.get(`${ref.namespace}/${ref.name}`) : ref.kind === 'node' ? cluster.nodes.get(ref.name) : ref.kind === 'host' ? cluster.hosts.get(ref.name) : undefined;
  if (!ns) throw new Error(`cannot send from ${JSON.stringify(ref)}`); // the loader rejects these
  return ns;
}

function resolveIp(ref: EndpointRef, scenario: Scenario, index: ScenarioIndex): number {
  switch (ref.kind) {
    case 'ip':
      return parseIpv4(ref.ip)!;
    case 'pod':
      return parseIpv4(index.pod(ref.namespace, ref.name)!.ip)!;
    case 'node':
      return parseIpv4(scenario.cluster.nodes.find((n) => n.name === ref.name)!.ip)!;
    case 'host':
      return parseIpv4(scenario.cluster.externalHosts.find((h) => h.name === ref.name)!.ip)!;
    case 'service':
      // A client addresses a Service by its cluster IP; kube-proxy's rules do the rest.
      return parseIpv4(index.service(ref.namespace, ref.name)!.clusterIP!)!;
    default:
      throw new Error(`${ref.kind} targets are not modelled yet`);
  }
}
