import { stateEpoch } from './state-epoch.js';
import type { TrainProbe } from './train-probe.js';

/**
 * The flow fast path's switch and the world-wide generation counters its
 * caches check (in the spirit of Linux's route cache and nf_flowtable, and of
 * Open vSwitch's megaflow cache): a cached decision is reused only while every
 * piece of state it was computed from is unchanged, which the caches test with
 * integer compares of generation counters that every change bumps.
 *
 * The fast path must be invisible: the same traces, captures and outcomes with
 * it on or off (`PODWALK_FAST_PATH=off` turns it off; test/fast-path runs
 * every scenario both ways and compares the bytes). So a cache may only hold a
 * result that is a pure function of its key and of generation-counted state;
 * anything else (random draws, clocks, per-connection state) is not cached.
 *
 * Registered state (whoever adds state a cached decision reads must add its
 * counter here or in the cache's own check):
 * - `Fib.generation`: routes added, deleted or settled from a deferred program;
 * - `FastPath.linkGeneration`: any device going up or down or losing or
 *   regaining its carrier (a route through an administratively down device is
 *   skipped, so lookups depend on it; a recorded walk crossed devices that
 *   were up);
 * - `Netfilter.generation`: rule sets restored (tables, chains, rules);
 * - `IpSets.generation`: ipset members and sets;
 * - `Bridge.fdbGeneration`: forwarding database entries added, replaced or
 *   removed, and hairpin modes.
 * - `Sysctls.generation`: any switch or mode of a namespace written
 *   (ip_forward, rp_filter, bridge-nf-call-iptables, arp_announce, ...).
 *
 * The caches: `Fib.lookup` per destination, `Netfilter.traverse` per table
 * walk (netfilter/walk-cache.ts), and the forwarding flow table of each
 * namespace (flowtable.ts), which replays a confirmed connection's crossing of
 * the namespace — routed (PREROUTING with the conntrack refresh, route,
 * reverse-path check, TTL, FORWARD, POSTROUTING, or INPUT up to the socket),
 * local output (route, OUTPUT, POSTROUTING) or bridged with br_netfilter
 * (FDB learning and ageing, the same hooks) — with every side effect in order,
 * an established connection's NAT rewrites included.
 */
export class FastPath {
  private links = 0;
  /** Bumped whenever any device's link state changes (routes through down devices are skipped). */
  get linkGeneration(): number {
    return this.links;
  }
  set linkGeneration(n: number) {
    this.links = n;
    stateEpoch.n++;
  }
  /** Decisions answered from a cache in this world (tests check the differential runs exercised the fast path). */
  hits = 0;
  /** Packets whose crossing of a namespace (routed or bridged) was replayed from its flow table (flowtable.ts). */
  replays = 0;
  /** Datagrams of periodic trains made in closed form (train.ts), and the windows they came in. */
  trainDatagrams = 0;
  trainWindows = 0;
  /** Train replays allowed (the run layer turns them off for readers that need every walk: scenario/run/simulate.ts). */
  trains = true;
  /** Set while a train's datagram is watched (train-probe.ts): the kernel objects report to it what they do. */
  probe: TrainProbe | undefined;

  constructor(
    /** Off: every packet walks every decision (the reference the differential test compares against). */
    public enabled: boolean = fastPathFromEnv(),
  ) {}
}

/** `PODWALK_FAST_PATH=off` (or 0/false) turns the fast path off for a whole process. */
export function fastPathFromEnv(): boolean {
  const v = typeof process === 'undefined' ? undefined : process.env.PODWALK_FAST_PATH;
  return !(v === 'off' || v === '0' || v === 'false');
}
