import type { CtState, NatAction, NfEnv, NfPacket } from '../netfilter/types.js';
import { parseIpv4 } from '../../wire/addr.js';
import { formatValue, parseValue, type NftType, type Range } from './datatypes.js';
import { compareKeys } from './element-order.js';
import { anonymousKeys } from './intervals.js';
import type { NftSet } from './set.js';
import { unquote, type Token } from './tokens.js';
import { formatVerdict, readVerdict, type NftVerdict } from './verdict.js';

/** A syntax or semantic error in `nft -f` input, pointing at a token. */
export class NftError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

/** What one walk through a base chain carries from statement to statement. */
export interface WalkState {
  pkt: NfPacket;
  env: NfEnv;
  /** Elements that matched, for the trace. */
  elements: string[];
  lookups: number;
  verdict: NftVerdict | undefined;
  nat: NatAction | undefined;
  /**
   * The walk read or wrote something that is not a function of the packet and
   * of the committed ruleset: a random or counting `numgen`, a set written from
   * the packet path, a lookup in a set whose elements time out or the packet
   * path writes. The flow table does not replay it (flowtable.ts).
   */
  volatile: boolean;
}

/** A statement's outcome: go on with the rule, the rule does not match, or a verdict was set. */
export const NEXT = 0;
export const BREAK = 1;
export const VERDICT = 2;

export interface Stmt {
  /** As `nft list ruleset` prints it. */
  list: string;
  run(s: WalkState): number;
  /** Chains a verdict (or an anonymous verdict map) of this statement jumps or goes to. */
  targets?: string[];
  /** Named sets it reads or writes. */
  sets?: string[];
  /** The set an `add @set` / `update @set` statement writes from the packet path (nft_dynset). */
  updates?: string;
  /** A NAT statement (only valid in nat chains). */
  nat?: boolean;
  /** A reject (only valid on input, forward and output, and prerouting since Linux 5.9). */
  reject?: boolean;
}

/** A compiled rule. `text` is the rule as it was written (words joined by one blank), the form `nft -f` and knftables use. */
export interface NftRule {
  text: string;
  list: string;
  comment: string | undefined;
  stmts: Stmt[];
  handle: number;
}

export interface RuleContext {
  set(name: string): NftSet | undefined;
}

interface Selector {
  list: string;
  type: NftType;
  get(s: WalkState): number | undefined;
}

const CT_STATES: Record<string, CtState> = { new: 'NEW', established: 'ESTABLISHED', related: 'RELATED', invalid: 'INVALID', untracked: 'UNTRACKED' };
const FIB_TYPES = ['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit'];
const PROTO_OF: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

/** Compile the words of one rule (after `add rule FAMILY TABLE CHAIN`). */
export function compileRule(words: Token[], ctx: RuleContext, handle: number): NftRule {
  const p = new RuleParser(words, ctx);
  const stmts: Stmt[] = [];
  let comment: string | undefined;
  while (!p.done()) {
    if (p.peek() === 'comment') {
      p.next();
      const c = p.next();
      if (!c.startsWith('"')) p.fail('expected a quoted comment');
      comment = unquote(c);
      if (!p.done()) p.fail('comment must be the last thing in a rule');
      break;
    }
    stmts.push(p.statement());
  }
  if (stmts.length === 0) p.fail('empty rule');
  const text = words.map((w) => w.text).join(' ');
  const body = stmts.map((s) => s.list).join(' ');
  return { text, list: comment === undefined ? body : `${body} comment "${comment}"`, comment, stmts, handle };
}

class RuleParser {
  private i = 0;
  /** A value written as a prefix or range was read (nft makes an anonymous set holding one an interval set). */
  private rangeWritten = false;
  constructor(
    private readonly w: Token[],
    private readonly ctx: RuleContext,
  ) {}

  done(): boolean {
    return this.i >= this.w.length;
  }
  peek(k = 0): string | undefined {
    return this.w[this.i + k]?.text;
  }
  next(): string {
    const t = this.w[this.i];
    if (!t) this.fail('unexpected end of rule');
    this.i++;
    return t!.text;
  }
  expect(word: string): void {
    const t = this.peek();
    if (t !== word) this.fail(`expected "${word}", found ${t === undefined ? 'end of rule' : `"${t}"`}`);
    this.i++;
  }
  fail(message: string): never {
    const t = this.w[Math.min(this.i, this.w.length - 1)];
    throw new NftError(message, t?.line ?? 0, t?.col ?? 0);
  }

  statement(): Stmt {
    const words = this.w.map((t) => t.text);
    const v = readVerdict(words, this.i);
    if (v) {
      this.i += v.used;
      return verdictStmt(v.verdict);
    }
    const w = this.peek()!;
    if (w === 'counter') {
      this.next();
      if (this.peek() === 'packets') this.i += 4; // `counter packets N bytes M` as nft lists it: counts are not kept here
      return { list: 'counter', run: () => NEXT };
    }
    if (w === 'ct' && this.peek(1) === 'state') return this.ctState();
    if (w === 'fib') return this.fib();
    if ((w === 'mark' || (w === 'meta' && this.peek(1) === 'mark')) && this.peek(w === 'meta' ? 2 : 1) === 'set') return this.markSet();
    if (w === 'update' || (w === 'add' && this.peek(1)?.startsWith('@'))) return this.dynset();
    if (w === 'dnat' || w === 'snat') return this.nat(w);
    if (w === 'masquerade') return this.masquerade();
    if (w === 'iifname' || w === 'oifname' || (w === 'meta' && (this.peek(1) === 'iifname' || this.peek(1) === 'oifname'))) return this.ifname();
    return this.relational();
  }

  private ctState(): Stmt {
    this.i += 2;
    let neg = false;
    if (this.peek() === '!=') {
      neg = true;
      this.next();
    }
    const names = this.valueList();
    const states = names.map((n) => CT_STATES[n] ?? this.fail(`unknown ct state "${n}"`));
    return {
      list: `ct state ${neg ? '!= ' : ''}${names.length > 1 ? `{ ${names.join(', ')} }` : names[0]}`,
      run: (s) => (states.some((st) => s.pkt.ctstate.includes(st)) !== neg ? NEXT : BREAK),
    };
  }

  /** `a,b` or `{ a, b }` or `a`. */
  private valueList(): string[] {
    const out: string[] = [];
    if (this.peek() === '{') {
      this.next();
      while (this.peek() !== '}') {
        const v = this.next();
        if (v !== ',') out.push(v);
      }
      this.next();
      return out;
    }
    out.push(this.next());
    while (this.peek() === ',') {
      this.next();
      out.push(this.next());
    }
    return out;
  }

  private fib(): Stmt {
    this.next();
    const which = this.next();
    if (which !== 'saddr' && which !== 'daddr') this.fail(`expected saddr or daddr after fib, found "${which}"`);
    while (this.peek() === '.') this.i += 2; // `. iif`, `. oif`: the interface qualifier does not change the type here
    this.expect('type');
    let neg = false;
    if (this.peek() === '!=') {
      neg = true;
      this.next();
    }
    const types = this.valueList();
    for (const t of types) if (!FIB_TYPES.includes(t)) this.fail(`unknown fib type "${t}"`);
    return {
      list: `fib ${which} type ${neg ? '!= ' : ''}${types.length > 1 ? `{ ${types.join(', ')} }` : types[0]}`,
      run: (s) => {
        const t = s.env.addrType(which === 'saddr' ? s.pkt.src : s.pkt.dst).toLowerCase();
        return types.includes(t) !== neg ? NEXT : BREAK;
      },
    };
  }

  private markSet(): Stmt {
    if (this.peek() === 'meta') this.next();
    this.i += 2; // mark set
    if (this.peek() === 'mark' || (this.peek() === 'meta' && this.peek(1) === 'mark')) {
      if (this.peek() === 'meta') this.next();
      this.next();
      const op = this.next();
      const v = this.int(this.next());
      const sym = { or: '|', '|': '|', xor: '^', '^': '^', and: '&', '&': '&' }[op];
      if (!sym) this.fail(`expected or, xor or and, found "${op}"`);
      const f = sym === '|' ? (m: number) => (m | v) >>> 0 : sym === '^' ? (m: number) => (m ^ v) >>> 0 : (m: number) => (m & v) >>> 0;
      return {
        list: `meta mark set meta mark ${sym} ${hex8(v)}`,
        run: (s) => {
          s.pkt.mark = f(s.pkt.mark);
          return NEXT;
        },
      };
    }
    const v = this.int(this.next());
    return {
      list: `meta mark set ${hex8(v)}`,
      run: (s) => {
        s.pkt.mark = v;
        return NEXT;
      },
    };
  }

  private int(text: string): number {
    const r = parseValue('mark', text);
    if (!r || r.lo !== r.hi) this.fail(`expected a number, found "${text}"`);
    return r!.lo;
  }

  private dynset(): Stmt {
    const op = this.next();
    const ref = this.next();
    const name = ref.slice(1);
    const set = this.ctx.set(name);
    if (!set) this.fail(`set "${name}" does not exist`);
    if (!set!.flags.includes('dynamic') && !set!.hasTimeout) this.fail(`set "${name}" is not dynamic`);
    this.expect('{');
    const sels = this.concat();
    this.expect('}');
    const refresh = op === 'update';
    const ctx = this.ctx;
    return {
      list: `${op} @${name} { ${sels.map((x) => x.list).join(' . ')} }`,
      sets: [name],
      updates: name,
      run: (s) => {
        s.volatile = true;
        const values = keyOf(sels, s);
        if (!values) return BREAK;
        ctx.set(name)?.update(values, s.env.nowNs, refresh);
        return NEXT;
      },
    };
  }

  private nat(kind: 'dnat' | 'snat'): Stmt {
    this.next();
    if (this.peek() === 'ip') this.next();
    this.expect('to');
    const to = this.next();
    const colon = to.lastIndexOf(':');
    const ipText = colon > 0 ? to.slice(0, colon) : to;
    const ip = parseIpv4(ipText);
    const port = colon > 0 ? Number(to.slice(colon + 1)) : undefined;
    if (ip === undefined || (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))) this.fail(`expected ADDRESS[:PORT] after "${kind} to", found "${to}"`);
    const flags = this.natFlags();
    const action: NatAction = kind === 'dnat' ? { type: 'DNAT', toIp: ip!, ...(port === undefined ? {} : { toPort: port }) } : { type: 'SNAT', toIp: ip!, ...(port === undefined ? {} : { toPort: port }), ...randomFlags(flags) };
    return {
      list: `${kind} to ${to}${flags.length > 0 ? ` ${flags.join(',')}` : ''}`,
      nat: true,
      run: (s) => {
        s.nat = action;
        s.verdict = { kind: 'accept' };
        return VERDICT;
      },
    };
  }

  private natFlags(): string[] {
    const out: string[] = [];
    while (this.peek() === 'random' || this.peek() === 'fully-random' || this.peek() === 'persistent') {
      out.push(this.next());
      if (this.peek() === ',') this.next();
    }
    return out;
  }

  private masquerade(): Stmt {
    this.next();
    const flags = this.natFlags();
    const action: NatAction = { type: 'MASQUERADE', ...randomFlags(flags) };
    return {
      list: `masquerade${flags.length > 0 ? ` ${flags.join(',')}` : ''}`,
      nat: true,
      run: (s) => {
        s.nat = action;
        s.verdict = { kind: 'accept' };
        return VERDICT;
      },
    };
  }

  private ifname(): Stmt {
    if (this.peek() === 'meta') this.next();
    const which = this.next();
    let neg = false;
    if (this.peek() === '!=' || this.peek() === '==') neg = this.next() === '!=';
    const names = this.valueList().map(unquote);
    const tests = names.map((n) => (n.endsWith('*') ? (x: string) => x.startsWith(n.slice(0, -1)) : (x: string) => x === n));
    return {
      list: `${which} ${neg ? '!= ' : ''}${names.length > 1 ? `{ ${names.map((n) => `"${n}"`).join(', ')} }` : `"${names[0]}"`}`,
      run: (s) => {
        const dev = which === 'iifname' ? s.pkt.inIf : s.pkt.outIf;
        return (dev !== undefined && tests.some((t) => t(dev))) !== neg ? NEXT : BREAK;
      },
    };
  }

  /** One selector, or several joined by ` . ` (a concatenation). */
  private concat(): Selector[] {
    const out = [this.selector()];
    while (this.peek() === '.') {
      this.next();
      out.push(this.selector());
    }
    return out;
  }

  private selector(): Selector {
    const w = this.next();
    const field = (list: string, type: NftType, get: (s: WalkState) => number | undefined): Selector => ({ list, type, get });
    switch (w) {
      case 'ip': {
        const f = this.next();
        if (f === 'saddr') return field('ip saddr', 'ipv4_addr', (s) => s.pkt.src);
        if (f === 'daddr') return field('ip daddr', 'ipv4_addr', (s) => s.pkt.dst);
        if (f === 'protocol') return field('ip protocol', 'inet_proto', (s) => s.pkt.protocol);
        return this.fail(`unknown ip field "${f}"`);
      }
      case 'meta': {
        const f = this.next();
        if (f === 'l4proto') return field('meta l4proto', 'inet_proto', (s) => s.pkt.protocol);
        if (f === 'mark') return field('meta mark', 'mark', (s) => s.pkt.mark);
        return this.fail(`unknown meta key "${f}"`);
      }
      case 'mark':
        return field('meta mark', 'mark', (s) => s.pkt.mark);
      case 'th':
      case 'tcp':
      case 'udp':
      case 'sctp': {
        const f = this.next();
        if (f !== 'dport' && f !== 'sport') return this.fail(`unknown ${w} field "${f}"`);
        const proto = PROTO_OF[w];
        const get = f === 'dport' ? (s: WalkState) => s.pkt.dport : (s: WalkState) => s.pkt.sport;
        return field(`${w} ${f}`, 'inet_service', proto === undefined ? get : (s) => (s.pkt.protocol === proto ? get(s) : undefined));
      }
      case 'numgen': {
        const mode = this.next();
        if (mode !== 'random' && mode !== 'inc') this.fail(`expected random or inc after numgen, found "${mode}"`);
        this.expect('mod');
        const mod = this.int(this.next());
        if (mod === 0) this.fail('numgen mod must be at least 1');
        let offset = 0;
        if (this.peek() === 'offset') {
          this.next();
          offset = this.int(this.next());
        }
        let counter = 0;
        const list = `numgen ${mode} mod ${mod}${offset ? ` offset ${offset}` : ''}`;
        if (mode === 'inc') {
          return field(list, 'integer', (s) => {
            s.volatile = true;
            return (counter++ % mod) + offset;
          });
        }
        // nft_ng_random: reciprocal_scale(prandom_u32(), modulus) + offset, drawn from the namespace's seeded RNG.
        return field(list, 'integer', (s) => {
          s.volatile = true;
          return Math.floor((s.env.rng.nextU32() * mod) / 2 ** 32) + offset;
        });
      }
      default:
        return this.fail(`unknown expression "${w}"`);
    }
  }

  /** `SELECTOR[ . SELECTOR...] [& MASK] [==|!=] (VALUE | { ... } | @set)` or `... vmap (@map | { k : v, ... })`. */
  private relational(): Stmt {
    const sels = this.concat();
    let mask: number | undefined;
    if (this.peek() === 'and' || this.peek() === '&') {
      this.next();
      mask = this.int(this.next());
    }
    const head = sels.map((s) => s.list).join(' . ') + (mask === undefined ? '' : ` & ${hex8(mask)}`);
    const get = (s: WalkState): number[] | undefined => {
      const k = keyOf(sels, s);
      if (k && mask !== undefined) k[0] = (k[0]! & mask) >>> 0;
      return k;
    };
    if (this.peek() === 'vmap') {
      this.next();
      return this.vmap(sels, head, get);
    }
    let neg = false;
    if (this.peek() === '!=' || this.peek() === 'ne') {
      this.next();
      neg = true;
    } else if (this.peek() === '==' || this.peek() === 'eq') this.next();
    const types = sels.map((s) => s.type);
    if (this.peek()?.startsWith('@')) {
      const name = this.next().slice(1);
      const set = this.ctx.set(name);
      if (!set) this.fail(`set "${name}" does not exist`);
      if (set!.isMap) this.fail(`"${name}" is a map, not a set`);
      if (set!.keyTypes.join(' . ') !== types.join(' . ')) this.fail(`set "${name}" has type ${set!.keyTypes.join(' . ')}, the expression is ${types.join(' . ')}`);
      const ctx = this.ctx;
      return {
        list: `${head} ${neg ? '!= ' : ''}@${name}`,
        sets: [name],
        run: (s) => {
          const k = get(s);
          if (!k) return BREAK;
          s.lookups++;
          const set = ctx.set(name);
          if (set?.changesUncommitted) s.volatile = true;
          const e = set?.lookup(k, s.env.nowNs);
          if (e && !neg) s.elements.push(`@${name}: ${ctx.set(name)!.formatElement(e)}`);
          return (e !== undefined) !== neg ? NEXT : BREAK;
        },
      };
    }
    if (this.peek() === '{') {
      this.rangeWritten = false;
      const written = this.anonElements(types, false);
      // What the kernel holds and nft lists: an interval set's ranges merged, duplicates once (intervals.ts).
      const keys = anonymousKeys(
        types,
        written.map((e) => e.key),
        this.rangeWritten,
      );
      const shown = keys.map((k) => fmtKey(types, k));
      // nft (since 1.0.0) turns an anonymous set written with one element (a
      // value, prefix or range) into a plain comparison; a concatenation keeps
      // its braces, and so does a set that merging left with one element.
      const list = written.length === 1 && types.length === 1 ? `${head} ${neg ? '!= ' : ''}${shown[0]}` : `${head} ${neg ? '!= ' : ''}{ ${shown.join(', ')} }`;
      return {
        list,
        run: (s) => {
          const k = get(s);
          if (!k) return BREAK;
          const hit = keys.some((key) => inKey(key, k));
          return hit !== neg ? NEXT : BREAK;
        },
      };
    }
    const key = this.key(types);
    // nft lists a masked comparison with its operator spelled out: `meta mark & 0x00004000 == 0x00000000`.
    const op = neg ? '!= ' : mask === undefined ? '' : '== ';
    const list = `${head} ${op}${fmtKey(types, key)}`;
    return {
      list,
      run: (s) => {
        const k = get(s);
        if (!k) return BREAK;
        return inKey(key, k) !== neg ? NEXT : BREAK;
      },
    };
  }

  private vmap(sels: Selector[], head: string, get: (s: WalkState) => number[] | undefined): Stmt {
    const types = sels.map((s) => s.type);
    if (this.peek()?.startsWith('@')) {
      const name = this.next().slice(1);
      const map = this.ctx.set(name);
      if (!map) this.fail(`map "${name}" does not exist`);
      if (!map!.isMap) this.fail(`"${name}" is a set, not a verdict map`);
      if (map!.keyTypes.join(' . ') !== types.join(' . ')) this.fail(`map "${name}" has type ${map!.keyTypes.join(' . ')}, the expression is ${types.join(' . ')}`);
      const ctx = this.ctx;
      return {
        list: `${head} vmap @${name}`,
        sets: [name],
        run: (s) => {
          const k = get(s);
          if (!k) return BREAK;
          s.lookups++;
          const m = ctx.set(name);
          if (m?.changesUncommitted) s.volatile = true;
          const e = m?.lookup(k, s.env.nowNs);
          if (!e?.verdict) return BREAK;
          s.elements.push(`@${name}: ${m!.formatElement(e)}`);
          s.verdict = e.verdict;
          return VERDICT;
        },
      };
    }
    const elems = this.anonElements(types, true);
    const exact = new Map<string, { key: Range[]; verdict: NftVerdict }>();
    for (const e of elems) exact.set(e.key.map((r) => r.lo).join(','), e as { key: Range[]; verdict: NftVerdict });
    const text = (e: { key: Range[]; verdict?: NftVerdict }): string => `${fmtKey(types, e.key)} : ${formatVerdict(e.verdict!)}`;
    return {
      list: `${head} vmap { ${[...elems].sort((x, y) => compareKeys(types, x.key, y.key)).map(text).join(', ')} }`,
      targets: elems.flatMap((e) => (e.verdict && (e.verdict.kind === 'jump' || e.verdict.kind === 'goto') ? [e.verdict.chain] : [])),
      run: (s) => {
        const k = get(s);
        if (!k) return BREAK;
        s.lookups++;
        const e = exact.get(k.join(',')) ?? elems.find((x) => inKey(x.key, k));
        if (!e) return BREAK;
        s.elements.push(`vmap { ${text(e)} }`);
        s.verdict = e.verdict;
        return VERDICT;
      },
    };
  }

  /** `{ k1, k2 }` or, for a verdict map, `{ k1 : v1, k2 : v2 }`. */
  private anonElements(types: NftType[], withVerdict: boolean): { key: Range[]; verdict?: NftVerdict }[] {
    this.expect('{');
    const out: { key: Range[]; verdict?: NftVerdict }[] = [];
    const words = this.w.map((t) => t.text);
    while (this.peek() !== '}') {
      if (this.done()) this.fail('unterminated {');
      const key = this.key(types);
      if (withVerdict) {
        this.expect(':');
        const v = readVerdict(words, this.i);
        if (!v) this.fail(`expected a verdict, found "${this.peek()}"`);
        this.i += v!.used;
        out.push({ key, verdict: v!.verdict });
      } else out.push({ key });
      if (this.peek() === ',') this.next();
    }
    this.next();
    return out;
  }

  /** One key: a value per component, joined by ` . `. */
  private key(types: NftType[]): Range[] {
    const out: Range[] = [];
    types.forEach((t, idx) => {
      if (idx > 0) this.expect('.');
      const text = this.next();
      const r = parseValue(t, text);
      if (!r) this.fail(`"${text}" is not a valid ${t}`);
      if (text.includes('/') || text.indexOf('-') > 0) this.rangeWritten = true;
      out.push(r!);
    });
    return out;
  }
}

function verdictStmt(v: NftVerdict): Stmt {
  const stmt: Stmt = {
    list: formatVerdict(v),
    run: (s) => {
      s.verdict = v;
      return VERDICT;
    },
  };
  if (v.kind === 'jump' || v.kind === 'goto') stmt.targets = [v.chain];
  if (v.kind === 'reject') stmt.reject = true;
  return stmt;
}

function keyOf(sels: readonly Selector[], s: WalkState): number[] | undefined {
  const out: number[] = [];
  for (const sel of sels) {
    const v = sel.get(s);
    if (v === undefined) return undefined; // nft_payload: the header is not there, the rule does not match (NFT_BREAK)
    out.push(v);
  }
  return out;
}

function inKey(key: readonly Range[], values: readonly number[]): boolean {
  for (let i = 0; i < key.length; i++) if (values[i]! < key[i]!.lo || values[i]! > key[i]!.hi) return false;
  return true;
}

function fmtKey(types: readonly NftType[], key: readonly Range[]): string {
  return key.map((r, i) => formatValue(types[i]!, r)).join(' . ');
}

function hex8(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** `random` (NF_NAT_RANGE_PROTO_RANDOM) and `fully-random` (NF_NAT_RANGE_PROTO_RANDOM_FULLY), as iptables' --random and --random-fully. */
function randomFlags(flags: readonly string[]): { random?: true; randomFully?: true } {
  return { ...(flags.includes('random') ? { random: true as const } : {}), ...(flags.includes('fully-random') ? { randomFully: true as const } : {}) };
}
