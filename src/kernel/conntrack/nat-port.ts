import type { Rng } from '../../engine/rng.js';
import { IPPROTO_ICMP } from '../../wire/ipv4.js';
import type { Cpu } from '../cost-model.js';

/**
 * How nf_nat searches for a free source port when the connection's own is
 * taken (nf_nat_l4proto_unique_tuple):
 * - `rover` (Linux 4.x, and the 4.9/4.14/4.19 stable kernels before their
 *   February 2022 updates): the search starts at a per-protocol "rover" shared by every
 *   connection and CPU, walks the whole range, and stores where it stopped.
 *   Two connections NATed at once on two CPUs read the same rover and pick the
 *   same port: the second loses the confirm (insert_failed). Only
 *   `--random-fully` starts from a random offset; `--random` starts from a
 *   keyed hash of the NAT address and the destination address and port
 *   (secure_port), the same for every connection to one destination, so two
 *   such connections NATed at once still pick the same port.
 * - `random` (Linux 5.0, commits "remove l4 protocol port rovers" and "limit
 *   port clash resolution attempts", merged in December 2018 and backported
 *   to the 4.x stable kernels in February 2022): a
 *   source-NAT search always starts at a random offset, and gives up after
 *   128 tries, then 64, 32, 16 and 8 more from new random offsets.
 * Linux 6.5 added an eviction to the random search (NAT_HARDER_THRESH).
 * Either way, when nothing free is found the last port tried is used anyway:
 * the connection then fails at the confirm, as a clash (insert_failed).
 *
 * An ICMP echo's identifier is its "port" (the same in both directions): kept
 * when free, else searched for like a port, over all 65536 ids when the rule
 * names no range (no privileged classes), from a random offset since 5.0;
 * before 5.0 icmp_unique_tuple walked 65535 ids from a rover of its own even
 * for `--random`/`--random-fully`, keeping the id it chose.
 */
export type NatPortSearch = 'rover' | 'random';

/** NF_NAT_MAX_ATTEMPTS: the first round of a `random` search. */
export const NAT_MAX_ATTEMPTS = 128;

/**
 * NF_NAT_HARDER_THRESH (Linux >= 6.5, "snat: evict closing tcp entries on reply tuple collision"):
 * in a round's last 32 tries, a new TCP connection may take the port of a source-NATed connection
 * in TIME_WAIT (or CLOSE) whose sequence numbers it is ahead of; the old entry is killed.
 */
export const NAT_HARDER_THRESH = NAT_MAX_ATTEMPTS / 4;

/** Who is asking, and when: a CPU's view of the table (see NatPortAllocator). */
export interface NatView {
  cpu: Cpu | undefined;
  /** The instant of the decision (ns): the packet's event time plus the work it had done on this CPU by then. */
  atNs: number;
}

export interface NatPortRequest {
  /** The connection's source port before SNAT. */
  origPort: number;
  /** `--to-ports a-b`, `--to-source ip:a-b` (NF_NAT_RANGE_PROTO_SPECIFIED). */
  range: [number, number] | undefined;
  /**
   * `--random` ('hash', NF_NAT_RANGE_PROTO_RANDOM) or `--random-fully` ('fully', NF_NAT_RANGE_PROTO_RANDOM_FULLY),
   * both NF_NAT_RANGE_PROTO_RANDOM_ALL: never keep the original port; search from a random offset (before
   * 5.0, `--random` from the keyed hash of `reply`'s addresses instead).
   */
  random: false | 'hash' | 'fully';
  /** The connection's reply tuple with the NAT address as its destination (`--random`'s hash reads it). */
  reply: { src: number; dst: number; sport: number };
  /**
   * nf_nat_used_tuple: is the reply tuple with this source port someone else's? `attemptsLeft`
   * (random search only) lets Linux >= 6.5 evict a closing holder in the last 32 tries.
   */
  taken: (port: number, attemptsLeft?: number) => boolean;
}

export interface NatPortChoice {
  port: number;
  /** false: every port tried was taken; the port is used anyway and the confirm will fail. */
  free: boolean;
  /** How many candidate ports were looked at. */
  tries: number;
  /** The range searched. */
  range: [number, number];
}

/** The rover's last write: who wrote it and when, and what it held before (what a concurrent reader still sees). */
interface Rover {
  value: number;
  before: number;
  cpu: Cpu | undefined;
  atNs: number;
}

/**
 * What nf_nat keeps once per kernel, whatever the network namespace: before
 * Linux 5.0 each protocol's rover is a static variable of the module
 * (nf_nat_proto_udp.c's `udp_port_rover`, and one per other protocol), so every
 * namespace on the machine (a node and all its pods) advances the same one;
 * and the release decides the search, for every namespace alike.
 */
export class NatPortKernel {
  search: NatPortSearch = 'random';
  /** Linux >= 6.5: the last tries of a random search may evict a closing TCP connection (NAT_HARDER_THRESH). */
  evictClosing = true;
  readonly rovers = new Map<number, Rover>();
  /** net_secret: drawn once per boot, on first use (`--random`'s port hash on kernels before 5.0). */
  netSecret: number | undefined;
}

/**
 * Source-port selection of one network namespace's nf_nat (get_unique_tuple's
 * port part), on the kernel state its machine shares (NatPortKernel).
 * Concurrency: the simulation runs packets one after the other, but a node
 * may have several CPUs (`cluster.nodes[].cpus`). A rover write made on
 * another CPU at or after this decision's instant is not seen (both CPUs read
 * it before either wrote), as a conntrack entry confirmed meanwhile on another
 * CPU is not (Conntrack.natTaken).
 */
export class NatPortAllocator {
  private readonly rovers: Map<number, Rover>;

  constructor(
    private readonly rng: Rng,
    /** The machine's kernel (a pod's namespace shares its node's). */
    readonly kernel = new NatPortKernel(),
  ) {
    this.rovers = kernel.rovers;
  }

  /** Whether nf_nat_used_tuple may evict a closing holder (the release's; a `kernel` step changes the machine's). */
  get evictClosing(): boolean {
    return this.kernel.evictClosing;
  }

  choose(protocol: number, req: NatPortRequest, view: NatView): NatPortChoice {
    const icmp = protocol === IPPROTO_ICMP;
    const [min, max] = req.range ?? (icmp ? ICMP_IDS : defaultRange(req.origPort));
    const inRange = req.origPort >= min && req.origPort <= max;
    // get_unique_tuple: keep the original port when it is in range and free (a one-port range is used as it is).
    if (!req.random && inRange && (min === max || !req.taken(req.origPort))) return { port: req.origPort, free: true, tries: 1, range: [min, max] };
    if (!req.random && min === max) return { port: min, free: !req.taken(min), tries: 1, range: [min, max] };
    const size = max - min + 1;
    const found =
      this.kernel.search !== 'rover'
        ? this.randomSearch(req, min, size)
        : icmp // icmp_unique_tuple: the rover whatever the flags, 0xFFFF ids when no range is given
          ? this.roverSearch(protocol, { ...req, random: false }, view, min, req.range ? size : 0xffff)
          : this.roverSearch(protocol, req, view, min, size);
    return { ...found, range: [min, max] };
  }

  /** Linux < 5.0: start at the shared rover (at random with --random-fully, at the keyed hash with --random), walk the whole range. */
  private roverSearch(protocol: number, req: NatPortRequest, view: NatView, min: number, size: number): Omit<NatPortChoice, 'range'> {
    let off = req.random === 'fully' ? this.rng.nextU32() % size : req.random === 'hash' ? this.securePort(req.reply) : this.readRover(protocol, view);
    for (let i = 1; ; i++, off = (off + 1) & 0xffff) {
      const port = min + (off % size);
      if (i !== size && req.taken(port)) continue;
      if (!req.random) this.writeRover(protocol, off, view);
      return { port, free: i !== size || !req.taken(port), tries: i };
    }
  }

  /** Linux >= 5.0: a random offset, at most 128 tries, then rounds of half as many from new random offsets. */
  private randomSearch(req: NatPortRequest, min: number, size: number): Omit<NatPortChoice, 'range'> {
    let attempts = Math.min(size, NAT_MAX_ATTEMPTS);
    let tries = 0;
    let port = min;
    for (;;) {
      // The kernel's offset is 16 bits wide (it wraps at 65536, which slightly favours the low ports of the
      // full range); podwalk draws it within the range.
      let off = this.rng.nextU32() % size;
      for (let i = 0; i < attempts; i++, off = (off + 1) % size) {
        port = min + off;
        tries++;
        if (!req.taken(port, attempts - i)) return { port, free: true, tries };
      }
      if (attempts >= size || attempts < 16) return { port, free: false, tries };
      attempts = Math.floor(attempts / 2);
    }
  }

  /**
   * secure_ipv4_port_ephemeral(NAT address, destination, destination port): a hash keyed by the boot-time
   * net_secret (siphash since 4.14; here a seeded key and a 32-bit mix), truncated to nf_nat's 16-bit offset.
   */
  private securePort(reply: NatPortRequest['reply']): number {
    const key = (this.kernel.netSecret ??= this.rng.nextU32());
    let h = Math.imul(key ^ reply.dst, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ reply.src, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ reply.sport, 0x27d4eb2f);
    return (h ^ (h >>> 15)) & 0xffff;
  }

  private readRover(protocol: number, view: NatView): number {
    const r = this.rovers.get(protocol);
    if (!r) return 0;
    const concurrent = r.cpu !== view.cpu && r.atNs >= view.atNs;
    return concurrent ? r.before : r.value;
  }

  private writeRover(protocol: number, value: number, view: NatView): void {
    const r = this.rovers.get(protocol);
    this.rovers.set(protocol, { value, before: r ? this.readRover(protocol, view) : 0, cpu: view.cpu, atNs: view.atNs });
  }
}

/** An ICMP echo id's range when the rule names none (nf_nat_l4proto_unique_tuple: min 0, 65536 ids). */
const ICMP_IDS: [number, number] = [0, 0xffff];

/**
 * The range a source port may be moved within when the rule names none: the
 * original port's class (nf_nat_l4proto_unique_tuple: below 512, 600-1023 for
 * other privileged ports, else 1024-65535).
 */
export function defaultRange(port: number): [number, number] {
  if (port < 512) return [1, 511];
  if (port < 1024) return [600, 1023];
  return [1024, 65535];
}

/**
 * The kernel's port search for a release's major number (`4.19.0-9-amd64`: 4,
 * `6.1`: 6): the rover before 5.0. (The 4.x stable kernels got the change as
 * updates in February 2022; podwalk goes by the release number only.)
 */
export function natPortSearchFor(major: number): NatPortSearch {
  return major >= 5 ? 'random' : 'rover';
}

/** Whether the release evicts closing connections in the last tries of a search (Linux 6.5). */
export function natEvictsClosing(major: number, minor: number): boolean {
  return major > 6 || (major === 6 && minor >= 5);
}
