import type { Rng } from '../../engine/rng.js';
import { formatIpv4 } from '../../wire/addr.js';
import { ICMP_DEST_UNREACH } from '../../wire/icmp.js';
import { decodeIpv4, IPPROTO_ICMP, IPPROTO_TCP, type Ipv4Packet } from '../../wire/ipv4.js';
import { readTuple, rewriteAddrs, rewriteIcmpError, type AddrChange, type PacketTuple } from '../../wire/l4-rewrite.js';
import { IPPROTO_SCTP, sctpChunkTypes } from '../../wire/sctp.js';
import { sctpChunkMask } from '../sctp/conntrack-sctp.js';
import { Conntrack, formatTuple, invert, type CtEntry, type CtTuple } from '../conntrack/conntrack.js';
import { addCost, type Cpu } from '../cost-model.js';
import { natAddress } from '../conntrack/nat-addr.js';
import { NAT_HARDER_THRESH, NatPortAllocator } from '../conntrack/nat-port.js';
import { Veth } from '../devices/veth.js';
import { isFragment, NfDefrag } from '../conntrack/nf-defrag.js';
import type { NetDevice } from '../devices/device.js';
import type { NetNs } from '../netns.js';
import type { AddrType, CtState, FlowRecording, Hook, MatchedRule, NatAction, NfEnv, NfPacket, RejectWith, TableName, Traversal } from '../netfilter/types.js';
import type { Skb } from '../skb.js';
import type { PolicyEvent } from '../../trace/events.js';
import { walkBaseChain, type HookedChain, type Nftables, type NftTraversal } from '../nftables/index.js';

/** What the hooks need of the rule engine (src/kernel/netfilter). */
export interface RuleEngine {
  traverse(table: TableName, hook: Hook, pkt: NfPacket, env: NfEnv): Traversal;
  /** True when the table's built-in chain for the hook has no rules and policy ACCEPT. */
  idle(table: TableName, hook: Hook): boolean;
  /** The rule set as iptables-save prints it (`-c`: with each rule's counters). */
  save(opts?: { counters?: boolean }): string;
  /** Count a packet on the policy of a built-in chain skipped as idle. */
  countPolicy(table: TableName, hook: Hook, bytes: number): void;
  /** Bumped by every change of the rule set: the flow table's recorded walks depend on it (flowtable.ts). */
  readonly generation: number;
  /** The ipsets the rules read, with their own generation. */
  readonly ipsets: { readonly generation: number };
  /** Set while the flow table records a packet's walk: the engine reports its counters and walks there. */
  flowRecording: FlowRecording | undefined;
}

/** Tables on each hook in priority order (raw -300, conntrack -200, mangle -150, nat -100 / +100, filter 0). */
const TABLES: Record<Hook, readonly TableName[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'nat'],
  FORWARD: ['mangle', 'filter'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter'],
  POSTROUTING: ['mangle', 'nat'],
};

/** iptables tables' priorities (NF_IP_PRI_*); nat is NAT_DST before routing, NAT_SRC after. */
const TABLE_PRIORITY: Record<TableName, number> = { raw: -300, mangle: -150, nat: -100, filter: 0 };
const NAT_PRIORITY: Record<Hook, number> = { PREROUTING: -100, OUTPUT: -100, INPUT: 100, POSTROUTING: 100, FORWARD: 0 };
const NFT_HOOK: Record<Hook, 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting'> = { PREROUTING: 'prerouting', INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output', POSTROUTING: 'postrouting' };

/**
 * What runs on a hook, in priority order: an iptables table, an nftables base
 * chain (filter or route type), or the NAT stage. NAT is one stage at the
 * nat priority: nf_nat runs every nat-type chain of the hook (the iptables nat
 * table and nftables nat chains, in the order of `stages`) on a connection's
 * first packet until one of them sets up a binding.
 */
type Stage = { kind: 'table'; table: TableName } | { kind: 'nft'; chain: HookedChain } | { kind: 'nat'; chains: NatChain[] };
/** A nat-type chain nf_nat runs: the iptables nat table's, or an nftables one. */
type NatChain = 'iptables' | HookedChain;

/**
 * Where the iptables tables stand among hooks of equal priority. A new hook
 * goes before every hook of its priority (nf_hook_entries_grow, and the nf_nat
 * list likewise), so the newest runs first. The iptables tables, and nf_nat's
 * own hook, are registered when the node boots (kubelet and the CNI write
 * filter and nat before kube-proxy starts), before any nftables chain
 * kube-proxy adds: they run after nft chains of their priority.
 */
const BOOT = 1_000_000;

/** Which address NAT may change on a hook: destination before routing, source after. */
const MANIP: Partial<Record<Hook, 'src' | 'dst'>> = { PREROUTING: 'dst', OUTPUT: 'dst', INPUT: 'src', POSTROUTING: 'src' };

const REJECT_CODES: Record<Exclude<RejectWith, 'tcp-reset'>, number> = {
  'icmp-net-unreachable': 0,
  'icmp-host-unreachable': 1,
  'icmp-proto-unreachable': 2,
  'icmp-port-unreachable': 3,
  'icmp-net-prohibited': 9,
  'icmp-host-prohibited': 10,
  'icmp-admin-prohibited': 13,
};

export interface HookContext {
  inDev?: NetDevice;
  outDev?: NetDevice;
  /** The next hop the packet leaves for (MASQUERADE picks its source towards it). */
  nextHop?: number;
  /** A bridged frame (br_netfilter). */
  bridged?: boolean;
  /** The bridge port a bridged frame is going out of (br_netfilter's physoutdev). */
  physOut?: NetDevice;
  /**
   * IPVS takes the packet at LOCAL_IN (priority 99, after filter): nat INPUT
   * (priority 100) and the confirm (last) never see it; IPVS sends it out and
   * POSTROUTING decides its SNAT and confirms it.
   */
  keepUnconfirmed?: boolean;
  /**
   * Run the hook only up to its nat table, or only after it: IPVS's LOCAL_OUT
   * hooks (priorities NF_IP_PRI_NAT_DST + 1 and + 2) sit between nat OUTPUT
   * and filter OUTPUT, so the stack splits OUTPUT around them. `from-nat`:
   * the rest of LOCAL_IN after IPVS (priority 99) let a packet it sent to a
   * real server on this host go on: nat INPUT (100) and the confirm, not
   * filter INPUT again.
   */
  part?: 'until-nat' | 'after-nat' | 'from-nat';
}

/**
 * The netfilter hooks of one namespace, as the IPv4 stack and the bridge call
 * them: conntrack first (PREROUTING/OUTPUT), then each table's chains in
 * priority order, NAT decided by the nat table on a connection's first packet
 * and applied from its conntrack binding to every later packet, and the entry
 * confirmed when the packet leaves the last hook (POSTROUTING or INPUT).
 */
export class NfHooks {
  readonly conntrack = new Conntrack();
  /** nf_nat's source-port search (which kernel behaviour: a `kernel` step sets it). */
  readonly natPorts: NatPortAllocator;
  /** Connections nf_nat found no free source port for (the range it searched): their confirm fails. */
  private readonly noFreePort = new WeakMap<CtEntry, string>();
  private readonly defrag = new NfDefrag();
  private readonly rng: Rng;
  /** One environment for every traversal, its clock updated each time (rules only read it during a walk). */
  private env: NfEnv | undefined;
  /** Lets the control plane name the choices a load-balancing rule set had (trace "candidates"). */
  explainNat: ((matched: readonly MatchedRule[]) => string[] | undefined) | undefined;
  /**
   * Lets a policy agent say what the filter rules a packet took mean: `policy`
   * trace events, and whether a DROP/REJECT was a NetworkPolicy denial.
   */
  explainFilter: ((matched: readonly MatchedRule[]) => { events: Omit<PolicyEvent, 'kind' | 't' | 'pkt' | 'at'>[]; denied: boolean } | undefined) | undefined;

  /** The namespace's nftables (nft -f), if anything loaded a ruleset; its base chains run beside the iptables tables. */
  nft: Nftables | undefined;
  private stageCache = new Map<Hook, Stage[]>();
  private stageGeneration = -1;

  constructor(
    private readonly ns: NetNs,
    readonly engine: RuleEngine,
  ) {
    this.rng = ns.rng.fork('netfilter');
    this.natPorts = new NatPortAllocator(this.rng, ns.kernel.natPorts);
    this.conntrack.applyLimits(ns.limits);
  }

  /** Hook an nftables ruleset into this namespace's netfilter (the first `nft` command does this on Linux). */
  attachNftables(nft: Nftables): void {
    this.nft = nft;
    this.stageGeneration = -1;
  }

  /** The hook's stages in priority order (ties: the most recently registered first: nft chains newest first, then the iptables tables, registered at boot). */
  private stages(hook: Hook): Stage[] {
    const gen = this.nft?.generation ?? 0;
    if (gen !== this.stageGeneration) {
      this.stageCache.clear();
      this.stageGeneration = gen;
    }
    let stages = this.stageCache.get(hook);
    if (stages) return stages;
    const prio = (t: TableName): number => (t === 'nat' ? NAT_PRIORITY[hook] : TABLE_PRIORITY[t]);
    type Ordered<T> = { p: number; order: number; stage: T };
    const byPriority = (a: Ordered<unknown>, b: Ordered<unknown>): number => a.p - b.p || a.order - b.order;
    const entries: Ordered<Stage>[] = [];
    const natChains: Ordered<NatChain>[] = [];
    TABLES[hook].forEach((t, i) => {
      if (t === 'nat') natChains.push({ p: prio(t), order: BOOT + i, stage: 'iptables' });
      else entries.push({ p: prio(t), order: BOOT + i, stage: { kind: 'table', table: t } });
    });
    // hooked() lists ties newest first: its index is the registration order reversed.
    (this.nft?.hooked(NFT_HOOK[hook]) ?? []).forEach((hc, i) => {
      const e = { p: hc.chain.base!.priority, order: i };
      if (hc.chain.base!.type === 'nat') natChains.push({ ...e, stage: hc });
      else entries.push({ ...e, stage: { kind: 'nft', chain: hc } });
    });
    // nf_nat's hook sits at the nat priority, registered with the iptables nat table at boot.
    if (natChains.length > 0) entries.push({ p: NAT_PRIORITY[hook], order: BOOT + TABLES[hook].indexOf('nat'), stage: { kind: 'nat', chains: natChains.sort(byPriority).map((c) => c.stage) } });
    entries.sort(byPriority);
    stages = entries.map((e) => e.stage);
    this.stageCache.set(hook, stages);
    return stages;
  }

  /**
   * Run `hook` on the IPv4 packet in `skb.data`. Returns the packet as it
   * leaves the hook (rewritten by NAT, re-decoded), or undefined when netfilter
   * consumed it (dropped or rejected — already accounted for).
   */
  run(hook: Hook, skb: Skb, ip: Ipv4Packet, ctx: HookContext = {}): Ipv4Packet | undefined {
    const w = this.ns.world;
    // A train's period watched (fastpath/train-probe.ts): a hook walked, not replayed from a flow table, moves
    // counters and conntrack a window does not repeat (a datagram too short for the flow table, say).
    w.fast.probe?.other();
    let state: CtState = 'UNTRACKED';
    const after = ctx.part === 'after-nat' || ctx.part === 'from-nat';
    if (hook === 'PREROUTING' && isFragment(ip)) {
      // nf_defrag_ipv4 (priority -400): conntrack and NAT only ever see whole datagrams.
      const whole = this.defrag.gather(skb, ip, w.sched.now);
      if (!whole) {
        w.deliver(skb, ctx.inDev?.where ?? this.ns.name, 'reassembly');
        return undefined;
      }
      ip = whole;
    }
    if ((hook === 'PREROUTING' || hook === 'OUTPUT') && !after) {
      const r = this.track(skb, ip);
      if (r === undefined) return undefined;
      state = r;
    } else {
      state = this.stateOf(skb);
    }
    let packet = ip;
    const manip = MANIP[hook];
    if (w.costs && !after) addCost(skb, w.costs.netfilterHook, ip.payload.length + 20);
    const rec = this.engine.flowRecording;
    if (rec && !after) {
      rec.hooks.push(hook);
      rec.charges.push(-1);
    }
    let skipping = after;
    for (const stage of this.stages(hook)) {
      if (skipping) {
        skipping = stage.kind !== 'nat';
        if (skipping || ctx.part !== 'from-nat') continue;
      }
      if (stage.kind === 'nat') {
        if (hook === 'INPUT' && ctx.keepUnconfirmed) continue;
        const ct = skb.nfct;
        const decide = ct !== undefined && ct.table === this.conntrack && !ct.entry.confirmed && ct.dir === 0 && !ct.entry.natDone[manip!];
        let action: NatAction | undefined;
        let matched: readonly MatchedRule[] = [];
        let byNft = false;
        // nf_nat_inet_fn: the hook's nat chains in order until one sets up a binding.
        if (decide) {
          for (const hc of stage.chains) {
            if (hc === 'iptables') {
              if (this.engine.idle('nat', hook)) {
                this.engine.countPolicy('nat', hook, packet.payload.length + 20);
                continue;
              }
              const t = this.traverse('nat', hook, skb, packet, state, ctx);
              action = t.nat;
              matched = t.matched;
              if (action) break;
              continue;
            }
            const t = this.traverseNft(hc, hook, skb, packet, state, ctx);
            if (t.verdict !== 'accept') return this.nftVerdict(t, hc, skb, packet);
            if (t.nat) {
              action = t.nat;
              matched = t.rules.map((r) => ({ table: 'nat', chain: r.slice(0, r.indexOf(': ')), rule: r }));
              byNft = true;
              break;
            }
          }
        }
        if (decide) this.bind(ct.entry, manip!, action, packet, ctx, skb);
        const rewritten = this.applyNat(skb, packet, manip!, action, matched, decide, byNft);
        if (rewritten === undefined) return undefined;
        packet = rewritten;
        if (ctx.part === 'until-nat') return packet;
        continue;
      }
      if (stage.kind === 'nft') {
        if (stage.chain.chain.rules.length === 0 && stage.chain.chain.base!.policy === 'accept') continue;
        const t = this.traverseNft(stage.chain, hook, skb, packet, state, ctx);
        if (t.verdict !== 'accept') return this.nftVerdict(t, stage.chain, skb, packet);
        continue;
      }
      const table = stage.table;
      if (this.engine.idle(table, hook)) {
        this.engine.countPolicy(table, hook, packet.payload.length + 20);
        continue;
      }
      const t = this.traverse(table, hook, skb, packet, state, ctx);
      const explained = table === 'filter' && this.explainFilter ? this.explainFilter(t.matched) : undefined;
      if (explained && w.detailed) for (const e of explained.events) w.emit({ kind: 'policy', t: w.sched.now, pkt: skb.id, at: this.ns.name, ...e });
      if (t.verdict === 'ACCEPT') continue;
      const why = t.byPolicy ? `policy ${t.verdict} of ${table} ${hook}` : (t.matched[t.matched.length - 1]?.rule ?? `${table} ${hook}`);
      const denied = explained?.denied === true;
      if (t.verdict === 'REJECT') {
        this.reject(skb, packet, t.rejectWith ?? 'icmp-port-unreachable');
        w.drop(skb, this.ns.name, denied ? 'policy-denied' : 'netfilter-reject', why);
      } else {
        w.drop(skb, this.ns.name, denied ? 'policy-denied' : 'netfilter-drop', why);
      }
      return undefined;
    }
    if ((hook === 'POSTROUTING' || (hook === 'INPUT' && !ctx.keepUnconfirmed)) && skb.nfct?.table === this.conntrack && !skb.nfct.entry.confirmed) {
      const entry = skb.nfct.entry;
      const c = this.conntrack.confirm(entry, w.sched.now);
      if (c.kind === 'inserted') {
        entry.confirmedAtNs = w.sched.now + (skb.cost ?? 0);
        entry.confirmedOn = this.cpuOf(skb, ctx);
      }
      // Another packet of the same flow won the race to the table: join its entry, or be dropped.
      if (c.kind === 'merged') skb.nfct = { ...skb.nfct, entry: c.entry };
      if (c.kind === 'failed') {
        const exhausted = this.noFreePort.get(entry);
        const why = !c.reply
          ? `nf_conntrack: ${formatTuple(entry.orig)} was confirmed meanwhile with another NAT (insert_failed)`
          : exhausted
            ? `nf_conntrack: reply tuple ${formatTuple(entry.reply)} is another connection's: nf_nat found no free source port in ${exhausted} and used a taken one (insert_failed)`
            : `nf_conntrack: reply tuple ${formatTuple(entry.reply)} is another connection's: both NATs chose the same source port at once (insert_failed)`;
        w.drop(skb, this.ns.name, 'conntrack-insert-failed', why);
        return undefined;
      }
    }
    return packet;
  }

  /** nf_conntrack_in: attach the packet's connection (or a new one); undefined if dropped. */
  private track(skb: Skb, ip: Ipv4Packet): CtState | undefined {
    const w = this.ns.world;
    // A packet that already belongs to one of our connections (loopback, bridge passing up) keeps it.
    if (skb.nfct?.table === this.conntrack) {
      if (skb.nfct.related) this.emitCt(skb, 'RELATED', skb.nfct.dir, skb.nfct.entry);
      return this.stateOf(skb);
    }
    skb.nfct = undefined;
    // A fragment here was not gathered by nf_defrag (OUTPUT of a packet a raw socket fragmented itself): with no
    // transport header to read, nf_conntrack_in gives it no connection.
    if (isFragment(ip)) return 'INVALID';
    const now = w.sched.now;
    if (ip.protocol === IPPROTO_ICMP && ip.payload.length >= 1 && ICMP_ERRORS.has(ip.payload[0]!)) {
      // nf_conntrack_icmpv4_error: an error belongs to the connection of the packet it quotes; with none
      // (or no whole quote) it gets no connection at all, and no entry is made: INVALID.
      const related = this.relatedTo(ip, now);
      if (related) {
        // ctinfo IP_CT_RELATED(_REPLY): every later hook sees it as RELATED too.
        skb.nfct = { table: this.conntrack, entry: related.entry, dir: related.dir, related: true };
        this.emitCt(skb, 'RELATED', related.dir, related.entry);
        return 'RELATED';
      }
      if (w.detailed) w.emit({ kind: 'conntrack', t: now, pkt: skb.id, at: this.ns.name, state: 'INVALID', dir: 'original', entry: `${icmpText(ip)} (no connection for the ICMP error${quotedText(ip)})` });
      return 'INVALID';
    }
    const tuple = readTuple(skb.data);
    // TCP: its flags; SCTP: the set of chunk types; ICMP: the type (what each protocol's conntrack reads).
    const flags = ip.protocol === IPPROTO_TCP && ip.payload.length >= 14 ? ip.payload[13]! : ip.protocol === IPPROTO_SCTP ? sctpChunkMask(sctpChunkTypes(ip.payload)) : ip.protocol === IPPROTO_ICMP && ip.payload.length >= 8 ? ip.payload[0]! : undefined;
    const r = this.conntrack.lookup(tuple, flags, now);
    if (r.kind === 'full') {
      w.drop(skb, this.ns.name, 'conntrack-full', `nf_conntrack: table full (${this.conntrack.max} entries), dropping packet`);
      return undefined;
    }
    if (r.kind === 'invalid') {
      if (w.detailed) w.emit({ kind: 'conntrack', t: now, pkt: skb.id, at: this.ns.name, state: 'INVALID', dir: 'original', entry: `${ip.protocol === IPPROTO_ICMP ? icmpText(ip) : formatTuple(tupleOf(tuple))} (${r.why})` });
      return 'INVALID';
    }
    const entry = r.entry;
    const dir = r.kind === 'found' ? r.dir : 0;
    const state: CtState = dir === 1 || entry.seenReply ? 'ESTABLISHED' : 'NEW';
    this.follow(skb, entry, dir, ip.protocol, flags, ip.payload, 0, ip.payload.length, now);
    this.emitCt(skb, state, dir, entry);
    return state;
  }

  /**
   * The flow table's replay of nf_conntrack_in (flowtable.ts) for a packet of
   * a live connection `Conntrack.peek` found: what `track` does when its
   * lookup finds the entry — the protocol's state and timeout, TCP's
   * sequence end, a reply ending a clash entry — but not its trace event
   * (the replay emits the one it recorded). The transport header and its
   * data are `b[l4..end]` (read in place: no view made per packet).
   */
  refresh(skb: Skb, entry: CtEntry, dir: 0 | 1, protocol: number, b: Uint8Array, l4: number, end: number): void {
    this.follow(skb, entry, dir, protocol, protocol === IPPROTO_TCP && end - l4 >= 14 ? b[l4 + 13]! : undefined, b, l4, end, this.ns.world.sched.now);
  }

  /**
   * nf_conntrack_in once the packet's connection is found or made: the
   * protocol's state and timeout (`flags`: TCP's flags, SCTP's chunk-type
   * mask; for TCP the transport header and data, `b[l4..end]`, which its
   * sequence tracking reads), a reply ending a clash entry; then the packet
   * belongs to it.
   */
  private follow(skb: Skb, entry: CtEntry, dir: 0 | 1, protocol: number, flags: number | undefined, b: Uint8Array, l4: number, end: number, now: number): void {
    this.conntrack.update(entry, dir, protocol, flags, now, protocol === IPPROTO_TCP ? b : undefined, l4, end);
    if (dir === 1) this.conntrack.replied(entry);
    skb.nfct = this.conntrack.ref(entry, dir);
  }

  /**
   * The connection an ICMP error's quoted packet belongs to (nf_conntrack_inet_error), looked up without
   * side effects: an error about nothing known makes and evicts nothing.
   */
  private relatedTo(ip: Ipv4Packet, now: number): { entry: CtEntry; dir: 0 | 1 } | undefined {
    if (ip.payload.length < 28) return undefined;
    const quoted = readTuple(ip.payload.subarray(8));
    return this.conntrack.peek({ src: quoted.dst, dst: quoted.src, protocol: quoted.protocol, sport: quoted.dport ?? 0, dport: quoted.sport ?? 0 }, now);
  }

  /**
   * The state the conntrack match reads on a later hook: a packet nf_conntrack_in gave no connection is
   * INVALID there as well (xt_conntrack: no ct and not IP_CT_UNTRACKED; nothing here marks packets untracked).
   */
  private stateOf(skb: Skb): CtState {
    const ct = skb.nfct;
    if (!ct || ct.table !== this.conntrack) return 'INVALID';
    if (ct.related) return 'RELATED';
    return ct.dir === 1 || ct.entry.seenReply ? 'ESTABLISHED' : 'NEW';
  }

  /** An nftables drop or reject ends the packet here (reject answers first, as nft_reject does). */
  private nftVerdict(t: NftTraversal, hc: HookedChain, skb: Skb, ip: Ipv4Packet): undefined {
    const why = t.byPolicy ? `policy ${t.verdict} of chain ${hc.table.family} ${hc.table.name} ${hc.chain.name}` : `${hc.table.family} ${hc.table.name} ${t.rules[t.rules.length - 1] ?? hc.chain.name}`;
    if (t.verdict === 'reject') {
      this.reject(skb, ip, t.rejectWith ?? 'icmp-port-unreachable');
      this.ns.world.drop(skb, this.ns.name, 'netfilter-reject', why);
    } else this.ns.world.drop(skb, this.ns.name, 'netfilter-drop', why);
    return undefined;
  }

  /** Run one nftables base chain (nft_do_chain) and report it as an `nftables` trace event. */
  private traverseNft(hc: HookedChain, hook: Hook, skb: Skb, ip: Ipv4Packet, state: CtState, ctx: HookContext): NftTraversal {
    const w = this.ns.world;
    const pkt = this.packetOf(skb, ip, state, ctx);
    const result = walkBaseChain(hc, pkt, this.envNow());
    skb.mark = pkt.mark === 0 ? undefined : pkt.mark;
    // A set or map lookup is a hash probe: charged like one rule.
    if (w.costs) skb.cost = (skb.cost ?? 0) + w.costs.netfilterRuleNs * (result.evaluated + result.lookups);
    const rec = this.engine.flowRecording;
    if (rec) {
      // The flow table replays the walk while the committed ruleset is the same (Nftables.generation), unless it
      // read something that changes without a commit (a random numgen, a dynamic or timed set: nftables/rule.ts).
      if (result.volatile) rec.volatile = true;
      rec.charges.push(result.evaluated + result.lookups);
    }
    if (w.detailed) {
      const b = hc.chain.base!;
      w.emit({
        kind: 'nftables',
        t: w.sched.now,
        pkt: skb.id,
        at: this.ns.name,
        table: `${hc.table.family} ${hc.table.name}`,
        chain: hc.chain.name,
        hook: NFT_HOOK[hook],
        priority: b.priority,
        rules: result.rules,
        elements: result.elements,
        verdict: result.verdict,
        policy: result.byPolicy,
        evaluated: result.evaluated,
        lookups: result.lookups,
        ...(ctx.bridged ? { bridged: true } : {}),
      });
    }
    return result;
  }

  private envNow(): NfEnv {
    const ns = this.ns;
    const env = (this.env ??= { nowNs: 0, rng: this.rng, addrType: (a) => addrType(ns, a), ipvsConn: (p) => ns.ipvs?.matchConn(p), fast: ns.world.fast, fibGeneration: 0 });
    env.nowNs = ns.world.sched.now;
    env.fibGeneration = ns.fib.generation;
    return env;
  }

  private packetOf(skb: Skb, ip: Ipv4Packet, state: CtState, ctx: HookContext): NfPacket {
    const ct = skb.nfct?.table === this.conntrack ? skb.nfct.entry : undefined;
    const states: CtState[] = [state];
    if (ct?.dnat) states.push('DNAT');
    if (ct?.snat) states.push('SNAT');
    const t = readTuple(skb.data);
    const pkt: NfPacket = { src: ip.src, dst: ip.dst, protocol: ip.protocol, mark: skb.mark ?? 0, ctstate: states, length: ip.payload.length + 20 };
    if (t.sport !== undefined && ip.protocol !== IPPROTO_ICMP) {
      pkt.sport = t.sport;
      pkt.dport = t.dport!;
    }
    if (ip.protocol === IPPROTO_TCP && ip.payload.length >= 14) pkt.tcpFlags = ip.payload[13]!;
    if (ip.protocol === IPPROTO_ICMP && ip.payload.length >= 2) {
      pkt.icmpType = ip.payload[0]!;
      pkt.icmpCode = ip.payload[1]!;
    }
    if (ctx.inDev) pkt.inIf = ctx.inDev.name;
    if (ctx.outDev) pkt.outIf = ctx.outDev.name;
    if (skb.physIn) pkt.physIn = skb.physIn.name;
    if (ctx.physOut) pkt.physOut = ctx.physOut.name;
    // skb->ipvs_property, with the conntrack direction `-m ipvs --vdir` reads.
    if (skb.ipvsProperty) pkt.ipvs = ct === undefined ? 'untracked' : skb.nfct!.dir === 1 ? 'reply' : 'original';
    return pkt;
  }

  private traverse(table: TableName, hook: Hook, skb: Skb, ip: Ipv4Packet, state: CtState, ctx: HookContext): Traversal {
    const w = this.ns.world;
    const pkt = this.packetOf(skb, ip, state, ctx);
    const env = this.envNow();
    const result = this.engine.traverse(table, hook, pkt, env);
    skb.mark = pkt.mark === 0 ? undefined : pkt.mark;
    if (w.costs) skb.cost = (skb.cost ?? 0) + w.costs.netfilterRuleNs * result.evaluated;
    this.engine.flowRecording?.charges.push(result.evaluated);
    if (w.detailed) {
      w.emit({
        kind: 'netfilter',
        t: w.sched.now,
        pkt: skb.id,
        at: this.ns.name,
        table,
        chain: hook,
        rules: result.matched.map((m) => m.rule),
        verdict: result.verdict,
        policy: result.byPolicy,
        evaluated: result.evaluated,
        ...(ctx.bridged ? { bridged: true } : {}),
      });
    }
    return result;
  }

  /** nf_nat_setup_info: the first packet's NAT decision becomes the connection's reply tuple. */
  private bind(entry: CtEntry, manip: 'src' | 'dst', action: NatAction | undefined, ip: Ipv4Packet, ctx: HookContext, skb: Skb): void {
    entry.natDone[manip] = true;
    if (manip === 'dst') {
      if (action?.type === 'DNAT') entry.reply = { ...entry.reply, src: natAddress(action, entry.reply.dst, entry.reply.src), sport: action.toPort ?? entry.reply.sport };
      return;
    }
    let src = entry.reply.dst;
    if (action?.type === 'SNAT') src = natAddress(action, entry.reply.dst, entry.reply.src);
    else if (action?.type === 'MASQUERADE') {
      const out = ctx.outDev;
      const chosen = out ? this.ns.selectMasqueradeSource(out, ctx.nextHop ?? ip.dst) : undefined;
      if (chosen !== undefined) src = chosen;
    }
    entry.reply = { ...entry.reply, dst: src };
    const r = entry.reply;
    // A null binding (no SNAT rule) keeps the port unless it clashes, as a real SNAT does (get_unique_tuple);
    // an ICMP echo's id is its port (both tuple fields hold it): two pods' pings with one id to one destination
    // behind one address would otherwise share a reply tuple.
    const icmp = r.protocol === IPPROTO_ICMP;
    if (r.protocol !== IPPROTO_TCP && r.protocol !== 17 && r.protocol !== IPPROTO_SCTP && !icmp) return;
    const nat = action?.type === 'SNAT' || action?.type === 'MASQUERADE' ? action : undefined;
    const range: [number, number] | undefined = nat?.toPort === undefined ? undefined : [nat.toPort, nat.toPortMax ?? nat.toPort];
    const cpu = this.cpuOf(skb, ctx);
    const atNs = this.ns.world.sched.now + (skb.cost ?? 0);
    const choice = this.natPorts.choose(r.protocol, {
      origPort: r.dport,
      range,
      random: nat?.randomFully === true ? 'fully' : nat?.random === true ? 'hash' : false,
      reply: r,
      taken: (port, attemptsLeft) => this.conntrack.natTaken(icmp ? { ...r, sport: port, dport: port } : { ...r, dport: port }, entry, cpu, atNs, this.natPorts.evictClosing && attemptsLeft !== undefined && attemptsLeft <= NAT_HARDER_THRESH),
    }, { cpu, atNs });
    if (choice.port !== r.dport) entry.reply = icmp ? { ...r, sport: choice.port, dport: choice.port } : { ...r, dport: choice.port };
    if (!choice.free) this.noFreePort.set(entry, `${choice.range[0]}-${choice.range[1]}`);
  }

  /**
   * The CPU a packet is processed on here: one that came in from a pod's veth is
   * still on the CPU its sender ran on (veth_xmit queues it to that CPU's
   * backlog); anything else on the node's own.
   */
  private cpuOf(skb: Skb, ctx: HookContext): Cpu | undefined {
    const port = skb.physIn ?? ctx.inDev;
    return port instanceof Veth && port.peer.ns !== this.ns ? port.peer.ns.cpu : this.ns.cpu;
  }

  /** nf_nat_packet: make the packet's addresses what its connection's binding says. */
  private applyNat(skb: Skb, ip: Ipv4Packet, manip: 'src' | 'dst', action: NatAction | undefined, matched: readonly MatchedRule[], first: boolean, byNft = false): Ipv4Packet | undefined {
    const ct = skb.nfct;
    if (!ct || ct.table !== this.conntrack) return ip;
    // An IPVS connection: the destination NAT (and its undoing on replies) is IPVS's, not nf_nat's.
    if (ct.entry.ipvs && (ct.dir === 0) === (manip === 'dst')) return ip;
    const want = invert(ct.entry.tuple(ct.dir === 0 ? 1 : 0));
    const now = readTuple(skb.data);
    const related = ip.protocol === IPPROTO_ICMP && ip.payload.length >= 28 && ip.payload[0] !== 8 && ip.payload[0] !== 0;
    // nf_nat_icmp_reply_translation: an ICMP error is only rewritten when its connection has that NAT at all
    // (an error the node itself sends about a non-NATed flow keeps the node's address as its source).
    if (related && !hasNat(ct.entry, manip, ct.dir)) return ip;
    // An echo's id is the source "port" of both directions: only source NAT moves it (the original's source,
    // the reply's destination), so a DNAT of a ping never rewrites it.
    const hasPorts = now.sport !== undefined && (ip.protocol !== IPPROTO_ICMP || (ct.dir === 0) === (manip === 'src'));
    let change: AddrChange | undefined;
    let inner: AddrChange = {};
    if (related) {
      // The quoted header is always made what the connection's other direction says, whatever the outer header
      // is (nf_nat_icmp_reply_translation's own case: DNAT in PREROUTING, an error from routing such as a
      // frag-needed from the node's own address, fixed in POSTROUTING where the outer source is already right).
      const q = (skb.data[0]! & 15) * 4 + 8;
      const quoted = readTuple(skb.data.subarray(q));
      // Ports, or a quoted echo's id (readTuple gives it as both).
      const quotedPorts = quoted.sport !== undefined;
      if (manip === 'dst' && (now.dst !== want.dst || quoted.src !== want.dst || (quotedPorts && quoted.sport !== want.dport))) {
        change = now.dst !== want.dst ? { dst: want.dst } : {};
        inner = { src: want.dst, sport: want.dport };
      } else if (manip === 'src' && (now.src !== want.src || quoted.dst !== want.src || (quotedPorts && quoted.dport !== want.sport))) {
        change = now.src !== want.src ? { src: want.src } : {};
        inner = { dst: want.src, dport: want.sport };
      }
    } else if (manip === 'dst' && (now.dst !== want.dst || (hasPorts && now.dport !== want.dport))) {
      change = { dst: want.dst, ...(hasPorts ? { dport: want.dport } : {}) };
    } else if (manip === 'src' && (now.src !== want.src || (hasPorts && now.sport !== want.sport))) {
      change = { src: want.src, ...(hasPorts ? { sport: want.sport } : {}) };
    }
    if (!change) return ip;
    const rec = this.engine.flowRecording;
    if (rec) {
      // The flow table replays a connection's NAT as this rewrite of its later packets (an ICMP error's is not replayed).
      if (related) rec.volatile = true;
      else if (manip === 'dst') rec.manipDst = rec.manipDst === undefined ? change : { ...rec.manipDst, ...change };
      else rec.manipSrc = rec.manipSrc === undefined ? change : { ...rec.manipSrc, ...change };
    }
    // An error whose outer header stays as it is shows its quoted header's change, seen as the reply it stands for.
    const quotedOnly = related && change.src === undefined && change.dst === undefined;
    const quotedBefore = quotedOnly ? quotedEndpoints(skb.data) : undefined;
    skb.data = related ? rewriteIcmpError(skb.data, change, inner) : rewriteAddrs(skb.data, change);
    const w = this.ns.world;
    const after = readTuple(skb.data);
    if (w.detailed) {
      // A ping's id is shown, on the side this NAT rewrites, where source NAT moved it (nf_nat's "port" of an echo).
      const showId = ip.protocol === IPPROTO_ICMP && now.sport !== after.sport ? manip : undefined;
      const before = quotedBefore ?? endpoints(now, showId);
      const type = ct.dir === 1 ? 'reverse' : (action?.type ?? (manip === 'dst' ? 'DNAT' : 'SNAT'));
      const candidates = first && action ? this.explainNat?.(matched) : undefined;
      const by = first && byNft ? { by: 'nftables' as const } : {};
      w.emit({ kind: 'nat', t: w.sched.now, pkt: skb.id, at: this.ns.name, type, manip, before, after: quotedOnly ? quotedEndpoints(skb.data) : endpoints(after, showId), first, ...(candidates ? { candidates } : {}), ...by });
    }
    const r = decodeIpv4(skb.data);
    return r.ok ? r.value : ip;
  }

  /** REJECT: answer the sender as the target was told to (ipt_REJECT). */
  private reject(skb: Skb, ip: Ipv4Packet, how: RejectWith): void {
    if (how === 'tcp-reset') {
      if (ip.protocol === IPPROTO_TCP) this.ns.sockets.sendReset(ip, skb);
      return;
    }
    this.ns.stack.icmpError(skb.data, ICMP_DEST_UNREACH, REJECT_CODES[how], skb);
  }

  private emitCt(skb: Skb, state: CtState, dir: 0 | 1, entry: CtEntry): void {
    const w = this.ns.world;
    if (!w.detailed) return;
    w.emit({ kind: 'conntrack', t: w.sched.now, pkt: skb.id, at: this.ns.name, state: state === 'SNAT' || state === 'DNAT' ? 'ESTABLISHED' : state, dir: dir === 0 ? 'original' : 'reply', entry: entry.text });
  }
}

/** Whether the connection has the NAT a packet in direction `dir` undergoes at `manip` (IPS_DST_NAT / IPS_SRC_NAT). */
function hasNat(e: CtEntry, manip: 'src' | 'dst', dir: 0 | 1): boolean {
  const dnat = e.dnat;
  const snat = e.snat;
  // Original direction: dst manip = DNAT, src manip = SNAT; replies undo them the other way round.
  return (dir === 0) === (manip === 'dst') ? dnat : snat;
}

/** icmp_is_err: destination unreachable, source quench, redirect, time exceeded, parameter problem. */
const ICMP_ERRORS: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);

/** An ICMP packet as `conntrack` would name it: addresses, type and code, an echo's id. */
function icmpText(ip: Ipv4Packet): string {
  const p = ip.payload;
  const echo = p.length >= 8 && (p[0] === 0 || p[0] === 8);
  return `src=${formatIpv4(ip.src)} dst=${formatIpv4(ip.dst)} type=${p[0] ?? 0} code=${p[1] ?? 0}${echo ? ` id=${(p[4]! << 8) | p[5]!}` : ''}`;
}

/** `: about <the quoted packet's tuple>`, when the error quotes a whole header. */
function quotedText(ip: Ipv4Packet): string {
  if (ip.payload.length < 28) return '';
  return ` about ${formatTuple(tupleOf(readTuple(ip.payload.subarray(8))))}`;
}

function tupleOf(t: PacketTuple): CtTuple {
  return { src: t.src, dst: t.dst, protocol: t.protocol, sport: t.sport ?? 0, dport: t.dport ?? 0 };
}

/** `src:sport > dst:dport`; an ICMP echo's id, when asked, after the side a NAT moved it on (`10.244.1.2 id 7 > ...`). */
function endpoints(t: PacketTuple, echoId?: 'src' | 'dst'): string {
  const id = t.sport === undefined ? '' : ` id ${t.sport}`;
  const s = formatIpv4(t.src) + (t.sport !== undefined && t.protocol !== IPPROTO_ICMP ? `:${t.sport}` : echoId === 'src' ? id : '');
  const d = formatIpv4(t.dst) + (t.dport !== undefined && t.protocol !== IPPROTO_ICMP ? `:${t.dport}` : echoId === 'dst' ? id : '');
  return `${s} > ${d}`;
}

/** The endpoints an ICMP error's quoted header names, the other way round (the reply the error stands for). */
function quotedEndpoints(ip: Uint8Array): string {
  const q = readTuple(ip.subarray((ip[0]! & 15) * 4 + 8));
  return endpoints({ src: q.dst, dst: q.src, protocol: q.protocol, sport: q.dport, dport: q.sport });
}

/** `-m addrtype`: what kind of address this is for the namespace's routing (inet_addr_type). */
function addrType(ns: NetNs, ip: number): AddrType {
  if (ip >>> 28 === 0xe) return 'MULTICAST';
  if (ip === 0xffffffff) return 'BROADCAST';
  const r = ns.fib.lookup(ip);
  if (r?.table === 'local') return r.type === 'broadcast' ? 'BROADCAST' : 'LOCAL';
  return 'UNICAST';
}
