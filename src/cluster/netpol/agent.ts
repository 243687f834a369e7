import { Netfilter } from '../../kernel/netfilter/netfilter.js';
import type { MatchedRule } from '../../kernel/netfilter/types.js';
import type { NetNs } from '../../kernel/netns.js';
import { planNode, TOP_CHAINS, type NodePolicyPlan, type RuleNote } from './plan.js';
import type { PolicyPod, PolicyWorld } from './types.js';

/** What the agent last programmed on one node (for `show`, tests and resyncs). */
export interface NodePolicyState {
  plan: NodePolicyPlan;
  /** The iptables-restore text of the last sync. */
  restored: string;
}

/**
 * A NetworkPolicy agent in the style of kube-router: on every node it keeps
 * ipsets of peer addresses and filter-table chains per local pod, hooked
 * first in FORWARD, INPUT and OUTPUT (moved back to rule 1 at every sync:
 * topJumps), and re-syncs them whenever policies,
 * pods or namespace labels change. Everything goes in through the kernel
 * model's ipset and iptables-restore parsers, as on a node. It watches the
 * API as a real agent does: pods the controllers create or delete while the
 * run goes on, and (ipvs mode) the Services whose IPs are local addresses.
 */
export class PolicyAgent {
  private readonly state = new Map<string, NodePolicyState>();
  private current: PolicyWorld | undefined;
  /** Nodes whose agent cannot reach the API server: it sees no change and keeps what it programmed. */
  private readonly cutOff = new Set<string>();

  constructor(
    private readonly nodes: Map<string, NetNs>,
    /** Service IPs that are local addresses on every node (ipvs mode's kube-ipvs0); empty in the other modes. */
    private localServiceIps: readonly string[],
  ) {}

  /** A watch event: a pod has its IP (CNI ADD done), or is replaced by one of the same name. */
  podAdded(pod: PolicyPod): void {
    const w = this.world;
    this.sync({ ...w, pods: [...w.pods.filter((p) => !(p.namespace === pod.namespace && p.name === pod.name)), pod] });
  }

  /** A watch event: the pod object is gone (its address may go to the next pod). */
  podDeleted(namespace: string, name: string): void {
    const w = this.world;
    this.sync({ ...w, pods: w.pods.filter((p) => !(p.namespace === namespace && p.name === name)) });
  }

  /** A watch event on Services: re-sync when the set of local Service IPs changed. */
  serviceIpsChanged(ips: readonly string[]): void {
    const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join() === [...b].sort().join();
    if (same(ips, this.localServiceIps)) return;
    this.localServiceIps = [...ips];
    this.sync(this.world);
  }

  /** Program (or re-program) every node that reaches the API from the current API objects. */
  sync(world: PolicyWorld): void {
    this.current = world;
    for (const [name, ns] of this.nodes) if (!this.cutOff.has(name)) this.syncNode(name, ns, world);
  }

  /** The node's agent lost the API server (its watches stall) or reached it again (it relists and syncs). */
  setReachable(name: string, reachable: boolean): void {
    if (!reachable) {
      this.cutOff.add(name);
      return;
    }
    const ns = this.nodes.get(name);
    if (this.cutOff.delete(name) && ns && this.current) this.syncNode(name, ns, this.current);
  }

  /** The API objects of the last sync (what a change starts from). */
  get world(): PolicyWorld {
    if (!this.current) throw new Error('policy agent: not synced yet');
    return this.current;
  }

  nodeState(name: string): NodePolicyState | undefined {
    return this.state.get(name);
  }

  private syncNode(name: string, ns: NetNs, world: PolicyWorld): void {
    const rules = netfilterOf(ns);
    const prev = this.state.get(name);
    const plan = planNode(world, name, this.localServiceIps);
    // ipsets first (rules may only reference existing sets), refilled in place so live rules never see a gap.
    const setLines: string[] = [];
    for (const s of plan.sets) {
      setLines.push(`create ${s.name} ${s.type}`, `flush ${s.name}`);
      for (const m of s.members) setLines.push(`add ${s.name} ${m}`);
    }
    rules.ipsets.restore(setLines.join('\n'), true);
    const stale = (prev?.plan.chains ?? []).filter((c) => !plan.chains.includes(c));
    const lines = ['*filter', ...[...plan.chains, ...stale].map((c) => `:${c} - [0:0]`), ...plan.rules, ...stale.map((c) => `-X ${c}`)];
    lines.push(...topJumps(rules), 'COMMIT', '');
    const restored = lines.join('\n');
    rules.restore(restored, { noflush: true });
    for (const s of prev?.plan.sets ?? []) {
      if (!plan.sets.some((x) => x.name === s.name)) rules.ipsets.destroy(s.name);
    }
    this.state.set(name, { plan, restored });
    ns.nf!.explainFilter = explainer(plan.notes);
  }
}

/**
 * kube-router's ensureTopLevelChains, run at the start of every full sync:
 * each built-in chain's jump to the agent's chain must be rule 1. Missing, it
 * is inserted there (`-I 1`); elsewhere (kube-proxy, which prepends its own
 * jumps with `-I` when they are missing, came after it), it is inserted at 1
 * and the old one deleted. kube-proxy never moves a jump that exists, so
 * whichever started first, the policy's chains run before kube-proxy's in
 * INPUT, FORWARD and OUTPUT (its REJECT of a Service without endpoints
 * included) from the agent's next sync on.
 */
function topJumps(rules: Netfilter): string[] {
  const out: string[] = [];
  for (const [hook, chain] of Object.entries(TOP_CHAINS)) {
    const spec = `-m comment --comment "netpol: NetworkPolicy enforcement" -j ${chain}`;
    const at = rules.list('filter', hook)[0]?.rules.indexOf(`-A ${hook} ${spec}`) ?? -1;
    if (at === 0) continue;
    out.push(`-I ${hook} 1 ${spec}`);
    // The old rule moved down by one: iptables numbers from 1.
    if (at > 0) out.push(`-D ${hook} ${at + 2}`);
  }
  return out;
}

/** The node's rule engine (kube-proxy usually created it; a node without Services gets one now). */
function netfilterOf(ns: NetNs): Netfilter {
  const engine = ns.nf?.engine;
  if (engine instanceof Netfilter) return engine;
  if (engine) throw new Error(`${ns.name}: the policy agent needs the iptables rule engine`);
  const rules = new Netfilter();
  ns.enableNetfilter(rules);
  return rules;
}

const COMMENT = /--comment (?:"((?:[^"\\]|\\.)*)"|(\S+))/;

/** Reads `policy` events (and whether a drop was the policy's) off the rules a packet took. */
function explainer(notes: Map<string, RuleNote>): (matched: readonly MatchedRule[]) => { events: RuleNote[]; denied: boolean } | undefined {
  return (matched) => {
    let events: RuleNote[] | undefined;
    let denied = false;
    for (const m of matched) {
      if (!m.chain.startsWith('NETPOL-')) continue;
      const c = COMMENT.exec(m.rule);
      const note = c ? notes.get((c[1] ?? c[2] ?? '').replace(/\\(.)/g, '$1')) : undefined;
      if (!note) continue;
      (events ??= []).push(note);
      if (note.verdict === 'deny') denied = true;
    }
    return events ? { events, denied } : undefined;
  };
}
