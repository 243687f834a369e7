import { formatIpv4, parseIpv4 } from '../../wire/addr.js';
import { formatAddrMask, maskToPrefix, parseAddrMask, prefixToMask } from './addr.js';
import { addressWord, jhash2 } from '../conntrack/jhash.js';
import { clampBucketsize, DEFAULT_BUCKETSIZE, HashTable } from './ipset-hash-table.js';
import type { NfPacket } from './types.js';
import { stateEpoch } from '../fastpath/state-epoch.js';

export type IpSetType = 'hash:ip' | 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'hash:net' | 'bitmap:port';
type Dim = 'ip' | 'port' | 'net';

const DIMS: Record<IpSetType, readonly Dim[]> = {
  'hash:ip': ['ip'],
  'hash:ip,port': ['ip', 'port'],
  'hash:ip,port,ip': ['ip', 'port', 'ip'],
  'hash:ip,port,net': ['ip', 'port', 'net'],
  'hash:net': ['net'],
  'bitmap:port': ['port'],
};

const PORT_PROTOS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, udplite: 136 };
const PROTO_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 136: 'udplite' };

export class IpSetError extends Error {
  constructor(
    message: string,
    /** `restore`: the (1-based) line it failed at; the lines before it were applied. */
    readonly line?: number,
  ) {
    super(message);
  }
}

/** The kernel's newest revision of each set type (Linux 6.18), the `Revision:` of ipset list. */
const REVISION: Record<IpSetType, number> = { 'hash:ip': 6, 'hash:ip,port': 7, 'hash:ip,port,ip': 6, 'hash:ip,port,net': 8, 'hash:net': 7, 'bitmap:port': 3 };

export interface IpSetCreateOptions {
  hashsize?: number;
  maxelem?: number;
  /** Hash types: the jhash seed (the kernel draws it at random unless `create` gives it, as `ipset save` does). */
  initval?: number;
  /** Hash types: slots per bucket before the table grows (2–12, default 12). */
  bucketsize?: number;
  /** bitmap:port only: the port range (required there). */
  range?: readonly [number, number];
}

/** One element dimension as stored: an address, proto<<16|port, or a net with its prefix. */
type Key = number | { net: number; prefix: number };

/** Nested lookup levels, one per dimension; net levels are keyed by prefix, then network. */
type Level = Map<number, Level | true>;

/**
 * One ipset: a typed set of tuples matched against packet fields. `ipset
 * list`/`save` print a hash set's members in the kernel's bucket order
 * (ipset-hash-table.ts) and a bitmap's in port order.
 */
export class IpSet {
  readonly dims: readonly Dim[];
  private readonly members = new Map<string, Key[]>();
  private root: Level = new Map();
  /** How many rules reference the set (`References:` in ipset list). */
  references = 0;
  /** Called on every change of the members (the fast path's cached walks depend on them). */
  onChange: (() => void) | undefined;

  /** Hash types: where the kernel keeps the members (their order, the table's size, memory). */
  private readonly table: HashTable | undefined;

  constructor(
    readonly name: string,
    readonly type: IpSetType,
    readonly options: Required<Pick<IpSetCreateOptions, 'hashsize' | 'maxelem'>> & Pick<IpSetCreateOptions, 'range' | 'initval' | 'bucketsize'>,
  ) {
    this.dims = DIMS[type];
    if (type !== 'bitmap:port') {
      const bucketsize = clampBucketsize(options.bucketsize ?? DEFAULT_BUCKETSIZE);
      this.table = new HashTable(type, options.hashsize, options.initval ?? initvalFor(name), bucketsize);
    }
  }

  get size(): number {
    return this.members.size;
  }

  add(entry: string, opts: { exist?: boolean } = {}): void {
    const keys = this.parse(entry);
    const text = this.format(keys);
    if (this.members.has(text)) {
      if (opts.exist) return;
      throw new IpSetError("Element cannot be added to the set: it's already added");
    }
    if (this.members.size >= this.options.maxelem) throw new IpSetError('Hash is full, cannot add more elements');
    this.members.set(text, keys);
    this.table?.add(text, this.words(keys));
    this.onChange?.();
    this.index(keys);
  }

  /** Adds an element's keys to the lookup levels. */
  private index(keys: Key[]): void {
    let level = this.root;
    keys.forEach((k, i) => {
      const last = i === keys.length - 1;
      if (typeof k === 'number') {
        if (last) level.set(k, true);
        else {
          let next = level.get(k);
          if (next === undefined || next === true) level.set(k, (next = new Map()));
          level = next;
        }
        return;
      }
      let byNet = level.get(k.prefix);
      if (byNet === undefined || byNet === true) level.set(k.prefix, (byNet = new Map()));
      if (last) byNet.set(k.net, true);
      else {
        let next = byNet.get(k.net);
        if (next === undefined || next === true) byNet.set(k.net, (next = new Map()));
        level = next;
      }
    });
  }

  del(entry: string, opts: { exist?: boolean } = {}): void {
    const text = this.format(this.parse(entry));
    const keys = this.members.get(text);
    if (!keys) {
      if (opts.exist) return;
      throw new IpSetError("Element cannot be deleted from the set: it's not added");
    }
    this.members.delete(text);
    this.table?.del(text, this.words(keys));
    this.root = new Map();
    for (const k of this.members.values()) this.index(k);
    this.onChange?.();
  }

  flush(): void {
    this.members.clear();
    this.table?.flush();
    this.root = new Map();
    this.onChange?.();
  }

  /** `ipset test`: is exactly this element in the set (nets: does a stored net contain it)? */
  test(entry: string): boolean {
    const keys = this.parse(entry);
    return this.lookup(this.root, 0, (i) => {
      const k = keys[i]!;
      return typeof k === 'number' ? k : k.net;
    });
  }

  /**
   * The set match: dimension i takes the packet's source (dirs[i] = 0) or
   * destination (1) address or port. Fewer directions than dimensions never
   * match, as in ip_set_test.
   */
  testPacket(p: NfPacket, dirs: readonly number[]): boolean {
    if (dirs.length < this.dims.length) return false;
    for (let i = 0; i < this.dims.length; i++) {
      // Port dimensions need a protocol with ports (the kernel fails the lookup otherwise).
      if (this.dims[i] === 'port' && (dirs[i] ? p.dport : p.sport) === undefined) return false;
    }
    return this.lookup(this.root, 0, (i) => {
      const src = dirs[i] === 0;
      if (this.dims[i] === 'port') {
        const port = (src ? p.sport : p.dport)!;
        return this.type === 'bitmap:port' ? port : p.protocol * 65536 + port;
      }
      return src ? p.src : p.dst;
    });
  }

  /** Members as `ipset list` prints them: a hash set's in bucket order, a bitmap's by port. */
  list(): string[] {
    if (this.table) return this.table.members();
    return [...this.members.entries()].sort((a, b) => (a[1][0] as number) - (b[1][0] as number)).map(([text]) => text);
  }

  /** `Header:` of ipset list and the tail of `create` in ipset save. */
  header(): string {
    if (!this.table) return `range ${this.options.range![0]}-${this.options.range![1]}`;
    const t = this.table;
    return `family inet hashsize ${t.hashsize} maxelem ${this.options.maxelem} bucketsize ${t.bucketsize} initval 0x${t.initval.toString(16).padStart(8, '0')}`;
  }

  /** `Revision:` of ipset list: the kernel module's revision of the type. */
  get revision(): number {
    return REVISION[this.type];
  }

  /** `Size in memory:` of ipset list, as the kernel counts it. */
  get memsize(): number {
    if (this.table) return this.table.memsize;
    // bitmap:port: struct bitmap_port (72 B on x86-64) and one bit per port of the range, in longs.
    const [lo, hi] = this.options.range!;
    return 72 + Math.ceil((hi - lo + 1) / 64) * 8;
  }

  private lookup(level: Level, i: number, value: (i: number) => number): boolean {
    const v = value(i);
    const last = i === this.dims.length - 1;
    if (this.dims[i] !== 'net') {
      const next = level.get(v);
      if (next === undefined) return false;
      return last || (next !== true && this.lookup(next, i + 1, value));
    }
    for (const [prefix, byNet] of level) {
      if (byNet === true) continue;
      const next = byNet.get((v & prefixToMask(prefix)) >>> 0);
      if (next === undefined) continue;
      if (last || (next !== true && this.lookup(next, i + 1, value))) return true;
    }
    return false;
  }

  /**
   * The element struct of a hash type as jhash2 reads it: each field in
   * network order, taken as little-endian 32-bit words. A port word holds
   * the port's two bytes, then the protocol and a pad byte (hash:ip,port,net:
   * the net's prefix − 1, then the protocol); hash:net's second word holds
   * its prefix in the top byte.
   */
  private words(keys: Key[]): number[] {
    const ip = (k: Key): number => addressWord(typeof k === 'number' ? k : k.net);
    const portWord = (k: Key, third: number, fourth: number): number => {
      const v = k as number;
      const port = v % 65536;
      return ((port >>> 8) | ((port & 0xff) << 8) | (third << 16) | (fourth << 24)) >>> 0;
    };
    const proto = (k: Key): number => Math.floor((k as number) / 65536);
    switch (this.type) {
      case 'hash:ip':
        return [ip(keys[0]!)];
      case 'hash:ip,port':
        return [ip(keys[0]!), portWord(keys[1]!, proto(keys[1]!), 0)];
      case 'hash:ip,port,ip':
        return [ip(keys[0]!), ip(keys[2]!), portWord(keys[1]!, proto(keys[1]!), 0)];
      case 'hash:ip,port,net': {
        const net = keys[2] as { net: number; prefix: number };
        return [ip(keys[0]!), ip(net), portWord(keys[1]!, (net.prefix - 1) & 0x7f, proto(keys[1]!))];
      }
      case 'hash:net':
        return [ip(keys[0]!), ((keys[0] as { prefix: number }).prefix << 24) >>> 0];
      default:
        return [];
    }
  }

  private parse(entry: string): Key[] {
    const parts = entry.trim().split(',');
    if (parts.length !== this.dims.length) throw new IpSetError(`Syntax error: ${this.type} needs ${this.dims.length} element part(s): "${entry}"`);
    return parts.map((part, i) => {
      const dim = this.dims[i]!;
      if (dim === 'ip') {
        const a = parseIpv4(part);
        if (a === undefined) throw new IpSetError(`Syntax error: cannot parse ${part}: resolving to IPv4 address failed`);
        return a;
      }
      if (dim === 'net') {
        const am = parseAddrMask(part);
        const prefix = am ? maskToPrefix(am.mask) : -1;
        if (!am || prefix < 0) throw new IpSetError(`Syntax error: cannot parse ${part}`);
        if (prefix === 0) throw new IpSetError('The value of the CIDR parameter of the IP address is invalid');
        return { net: am.net, prefix };
      }
      const colon = part.indexOf(':');
      const protoName = colon < 0 ? 'tcp' : part.slice(0, colon);
      const portText = colon < 0 ? part : part.slice(colon + 1);
      const proto = PORT_PROTOS[protoName];
      const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
      if (proto === undefined || !(port <= 65535)) throw new IpSetError(`Syntax error: cannot parse ${part} as a (protocol:)port`);
      if (this.type === 'bitmap:port') {
        const [lo, hi] = this.options.range!;
        if (port < lo || port > hi) throw new IpSetError('Element is out of the range of the set');
        return port;
      }
      return proto * 65536 + port;
    });
  }

  private format(keys: Key[]): string {
    return keys
      .map((k, i) => {
        const dim = this.dims[i]!;
        if (typeof k !== 'number') return k.prefix === 32 ? formatIpv4(k.net) : formatAddrMask(k.net, prefixToMask(k.prefix));
        if (dim === 'ip') return formatIpv4(k);
        if (this.type === 'bitmap:port') return String(k);
        return `${PROTO_NAMES[Math.floor(k / 65536)] ?? Math.floor(k / 65536)}:${k % 65536}`;
      })
      .join(',');
  }
}

/** The ipsets of one network namespace, as the `ipset` command manages them. */
export class IpSets {
  private readonly sets = new Map<string, IpSet>();
  /** Bumped by every change to any set or its members (fast-path.ts). */
  generation = 0;

  create(name: string, type: IpSetType, opts: IpSetCreateOptions = {}, exist = false): IpSet {
    const have = this.sets.get(name);
    if (have) {
      if (exist && have.type === type) return have;
      throw new IpSetError('Set cannot be created: set with the same name already exists');
    }
    if (!(type in DIMS)) throw new IpSetError(`Syntax error: typename '${type}' is unknown`);
    if (type === 'bitmap:port' && !opts.range) throw new IpSetError('Syntax error: bitmap:port needs a range');
    const set = new IpSet(name, type, {
      hashsize: opts.hashsize ?? 1024,
      maxelem: opts.maxelem ?? 65536,
      ...(opts.range ? { range: opts.range } : {}),
      ...(opts.initval !== undefined ? { initval: opts.initval } : {}),
      ...(opts.bucketsize !== undefined ? { bucketsize: opts.bucketsize } : {}),
    });
    set.onChange = () => {
      this.generation++;
      stateEpoch.n++;
    };
    this.sets.set(name, set);
    this.generation++;
    stateEpoch.n++;
    return set;
  }

  get(name: string): IpSet | undefined {
    return this.sets.get(name);
  }

  /** `ipset destroy`: refused while a rule references the set. */
  destroy(name: string): void {
    const set = this.sets.get(name);
    if (!set) throw new IpSetError('The set with the given name does not exist');
    if (set.references > 0) throw new IpSetError('Set cannot be destroyed: it is in use by a kernel component');
    this.sets.delete(name);
    this.generation++;
    stateEpoch.n++;
  }

  names(): string[] {
    return [...this.sets.keys()];
  }

  /** `ipset list [NAME]`. */
  list(name?: string): string {
    const sets = name === undefined ? [...this.sets.values()] : [this.must(name)];
    return sets
      .map((s) =>
        [`Name: ${s.name}`, `Type: ${s.type}`, `Revision: ${s.revision}`, `Header: ${s.header()}`, `Size in memory: ${s.memsize}`, `References: ${s.references}`, `Number of entries: ${s.size}`, 'Members:', ...s.list()].join('\n'),
      )
      .join('\n\n');
  }

  /** `ipset save`: create lines, then each set's add lines. */
  save(): string {
    const out: string[] = [];
    for (const s of this.sets.values()) {
      out.push(`create ${s.name} ${s.type} ${s.header()}`);
      for (const m of s.list()) out.push(`add ${s.name} ${m}`);
    }
    return out.length ? `${out.join('\n')}\n` : '';
  }

  /** `ipset restore`: create/add/del/flush/destroy lines (with -exist semantics when asked). */
  restore(text: string, exist = false): void {
    text.split('\n').forEach((raw, idx) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line === 'COMMIT') return;
      const [cmd, name, ...rest] = line.split(/\s+/);
      try {
        if (cmd === 'create' || cmd === '-N') {
          const [type, ...opts] = rest;
          const o: IpSetCreateOptions = {};
          for (let i = 0; i < opts.length; i += 2) {
            const v = opts[i + 1] ?? '';
            if (opts[i] === 'hashsize') o.hashsize = Number(v);
            else if (opts[i] === 'maxelem') o.maxelem = Number(v);
            else if (opts[i] === 'bucketsize') o.bucketsize = Number(v);
            else if (opts[i] === 'initval') o.initval = Number(v) >>> 0;
            else if (opts[i] === 'range') {
              const [lo, hi] = v.split('-').map(Number);
              o.range = [lo ?? 0, hi ?? lo ?? 0];
            }
          }
          this.create(name!, type as IpSetType, o, exist);
        } else if (cmd === 'add' || cmd === '-A') this.must(name!).add(rest[0] ?? '', { exist });
        else if (cmd === 'del' || cmd === '-D') this.must(name!).del(rest[0] ?? '', { exist });
        else if (cmd === 'flush' || cmd === '-F') this.must(name!).flush();
        else if (cmd === 'destroy' || cmd === '-X') this.destroy(name!);
        else throw new IpSetError(`Unknown command ${cmd ?? ''}`);
      } catch (e) {
        throw new IpSetError(`Error in line ${idx + 1}: ${e instanceof Error ? e.message : String(e)}`, idx + 1);
      }
    });
  }

  private must(name: string): IpSet {
    const s = this.sets.get(name);
    if (!s) throw new IpSetError('The set with the given name does not exist');
    return s;
  }
}

/**
 * A set's jhash seed when `create` gives none. The kernel draws it at random
 * (get_random_bytes); podwalk derives it from the set's name so that the
 * same scenario lists its members in the same order on every run.
 */
function initvalFor(name: string): number {
  const bytes = new TextEncoder().encode(name);
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) words.push((bytes[i]! | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24)) >>> 0);
  return jhash2(words, 0x706f6477); // 'podw'
}
