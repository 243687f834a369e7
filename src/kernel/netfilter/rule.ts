import { formatAddrMask, parseAddrMask } from './addr.js';
import { RuleError, type Match, type MatchContext, type OptSpec, type Opts } from './match.js';
import { MATCH_MODULES, PROTO_MODULES } from './matches.js';
import { isVolatile, readsSourcePort } from './walk-cache.js';
import { parseProto, protoName } from './proto.js';
import { compileTarget, isTargetExtension, TARGET_OPTIONS, type Target } from './target.js';
import type { Counters, MatchedRule, TableName } from './types.js';

export { RuleError };

/**
 * One compiled rule. The IP header part is flattened into plain fields with
 * neutral defaults (mask 0, protocol 0) so the walk tests it without branches
 * on presence; module matches that always hold (comment) are left out of
 * `tests`.
 */
export interface Rule {
  readonly chain: string;
  readonly srcNet: number;
  readonly srcMask: number;
  readonly srcNeg: boolean;
  readonly dstNet: number;
  readonly dstMask: number;
  readonly dstNeg: boolean;
  /** 0 = any. */
  readonly proto: number;
  readonly protoNeg: boolean;
  readonly inIf: IfMatch | undefined;
  readonly outIf: IfMatch | undefined;
  readonly matches: readonly Match[];
  readonly tests: readonly Match[];
  readonly target: Target;
  /** `-A CHAIN ...` exactly as iptables-save prints it. */
  readonly text: string;
  /** The `matched` entry a traversal reports (one object per rule, shared). */
  readonly matched: MatchedRule;
  /** Line of the restore input it came from (for errors found at COMMIT). */
  line: number;
  /**
   * Packets and bytes (IP total length) that matched the rule, whatever its
   * target: the kernel's per-rule counters, printed by `iptables-save -c`.
   * Kept by a --noflush restore that leaves the rule in place; a rule added
   * again (its chain flushed by a `:CHAIN` line) starts from zero.
   */
  readonly counters: Counters;
  /** Fast path: a walk that reaches this rule is not cached (walk-cache.ts). */
  readonly volatile: boolean;
  /** Fast path: some match reads the source port, which is then part of the cache key. */
  readonly readsSport: boolean;
}

export interface IfMatch {
  name: string;
  /** `eth+`: prefix match. */
  wildcard: boolean;
  neg: boolean;
}

export interface RuleContext extends Pick<MatchContext, 'recent' | 'sets'> {
  table: TableName;
  chain: string;
  builtin: boolean;
  chainExists(name: string): boolean;
}

interface Loaded {
  name: string;
  options: ReadonlyMap<string, OptSpec>;
  opts: Opts;
}

// Maps, not object literals: restore looks up tens of thousands of distinct
// strings (chain names), and keyed object loads of unseen strings are slow.
const HEADER = new Map<string, 's' | 'd' | 'i' | 'o' | 'p'>([
  ['-s', 's'],
  ['--source', 's'],
  ['--src', 's'],
  ['-d', 'd'],
  ['--destination', 'd'],
  ['--dst', 'd'],
  ['-i', 'i'],
  ['--in-interface', 'i'],
  ['-o', 'o'],
  ['--out-interface', 'o'],
  ['-p', 'p'],
  ['--protocol', 'p'],
]);

const asMap = (o: Readonly<Record<string, OptSpec>>): ReadonlyMap<string, OptSpec> => new Map(Object.entries(o));
const MATCH_OPTIONS = new Map([...MATCH_MODULES].map(([name, m]) => [name, asMap(m.options)]));
const TARGET_OPTION_MAPS = new Map(Object.entries(TARGET_OPTIONS).map(([name, o]) => [name, asMap(o)]));
const NO_OPTIONS: ReadonlyMap<string, OptSpec> = new Map();

/**
 * Parse the arguments after `-A CHAIN` as iptables does: -s -d -i -o -p
 * anywhere, `-m NAME` loading a match, `-j`/`-g` the target, and each other
 * option bound to the most recently loaded extension that knows it (the
 * target included, once loaded), else to the match `-p` implies.
 */
export function parseRule(args: readonly string[], ctx: RuleContext): Rule {
  let src: { net: number; mask: number; neg: boolean } | undefined;
  let dst: typeof src;
  let inIf: IfMatch | undefined;
  let outIf: IfMatch | undefined;
  let proto = 0;
  let protoNeg = false;
  let protoGiven = false;
  const loaded: Loaded[] = [];
  let target: Loaded | undefined;
  let isGoto = false;
  let neg = false;
  let seen = '';
  let i = 0;
  let a = '';
  // Takes the option's n arguments (a `!` is never an argument).
  const arg = (n: number): string[] => {
    const out = args.slice(i + 1, i + 1 + n);
    if (out.length < n || out.includes('!')) throw new RuleError(`option "${a}" requires an argument`);
    i += n;
    return out;
  };
  for (; i < args.length; i++) {
    a = args[i]!;
    if (a === '!') {
      if (neg) throw new RuleError('multiple consecutive ! not allowed');
      neg = true;
      continue;
    }
    const h = HEADER.get(a);
    if (h) {
      if (seen.includes(h)) throw new RuleError(`multiple -${h} flags not allowed`);
      seen += h;
      const v = arg(1)[0]!;
      if (h === 's' || h === 'd') {
        if (v.includes(',')) throw new RuleError(`multiple addresses in -${h} are not supported; give one rule per address`);
        const am = parseAddrMask(v);
        if (!am) throw new RuleError(`host/network \`${v}' not found`);
        if (h === 's') src = { ...am, neg };
        else dst = { ...am, neg };
      } else if (h === 'i' || h === 'o') {
        if (v.length === 0 || v.length > 15) throw new RuleError(`interface name \`${v}' must be shorter than IFNAMSIZ (15)`);
        if (h === 'i' && ctx.builtin && (ctx.chain === 'OUTPUT' || ctx.chain === 'POSTROUTING')) throw new RuleError(`Can't use -i with ${ctx.chain}`);
        if (h === 'o' && ctx.builtin && (ctx.chain === 'PREROUTING' || ctx.chain === 'INPUT')) throw new RuleError(`Can't use -o with ${ctx.chain}`);
        const m: IfMatch = v.endsWith('+') ? { name: v.slice(0, -1), wildcard: true, neg } : { name: v, wildcard: false, neg };
        if (h === 'i') inIf = m;
        else outIf = m;
      } else {
        const n = parseProto(v);
        if (n === undefined) throw new RuleError(`unknown protocol "${v}" specified`);
        if (n === 0 && neg) throw new RuleError('rule would never match protocol');
        proto = n;
        protoNeg = neg;
        protoGiven = true;
      }
      neg = false;
      continue;
    }
    if (a === '-m' || a === '--match') {
      if (neg) throw new RuleError('unexpected ! flag before --match');
      const name = arg(1)[0]!;
      const mod = MATCH_MODULES.get(name);
      if (!mod) throw new RuleError(`Couldn't load match \`${name}':No such file or directory`);
      loaded.push({ name, options: MATCH_OPTIONS.get(name)!, opts: new Map() });
      continue;
    }
    if (a === '-j' || a === '--jump' || a === '-g' || a === '--goto') {
      if (neg) throw new RuleError(`cannot have ! before ${a}`);
      if (target) throw new RuleError('multiple -j flags not allowed');
      const name = arg(1)[0]!;
      isGoto = a === '-g' || a === '--goto';
      target = { name, options: isGoto ? NO_OPTIONS : (TARGET_OPTION_MAPS.get(name) ?? NO_OPTIONS), opts: new Map() };
      continue;
    }
    if (a === '-c' || a === '--set-counters') {
      arg(2);
      continue;
    }
    if (a === '-t' || a === '--table') throw new RuleError('The -t option cannot be used in iptables-restore');
    if (!a.startsWith('--')) throw new RuleError(`Bad argument \`${a}'`);
    let owner = target?.options.has(a) ? target : undefined;
    for (let k = loaded.length - 1; !owner && k >= 0; k--) if (loaded[k]!.options.has(a)) owner = loaded[k];
    if (!owner && protoGiven && !protoNeg && PROTO_MODULES[proto]) {
      // `-p tcp --dport 80`: the protocol's match is loaded here, and iptables-save shows `-m tcp`.
      const name = PROTO_MODULES[proto]!;
      const options = MATCH_OPTIONS.get(name)!;
      if (options.has(a)) {
        owner = { name, options, opts: new Map() };
        loaded.push(owner);
      }
    }
    // A target that is neither a known extension nor a chain: say so rather than stumble on its options (-j LOG --log-prefix).
    if (!owner && target && !isGoto && !isTargetExtension(target.name) && !ctx.chainExists(target.name)) throw new RuleError(`Couldn't load target \`${target.name}':No such file or directory`);
    if (!owner) throw new RuleError(`unknown option "${a}"`);
    const spec = owner.options.get(a)!;
    const key = spec.alias ?? a;
    if (neg && !spec.neg) throw new RuleError(`${owner.name}: unexpected "!" with ${a}`);
    if (owner.opts.has(key)) throw new RuleError(`${owner.name}: option "${a}" can only be used once.`);
    owner.opts.set(key, { args: arg(spec.args), neg });
    neg = false;
  }
  if (neg) throw new RuleError('no argument following "!"');
  const mctx: MatchContext = { protocol: proto, protocolNeg: protoNeg, recent: ctx.recent, sets: ctx.sets };
  const matches = loaded.map((l) => MATCH_MODULES.get(l.name)!.compile(l.opts, mctx));
  const t = compileTarget(target?.name, isGoto, target?.opts ?? new Map(), { table: ctx.table, protocol: proto, protocolNeg: protoNeg, chainExists: ctx.chainExists });
  const parts = [`-A ${ctx.chain}`];
  const n = (b: boolean): string => (b ? '! ' : '');
  // iptables-save leaves out an all-zero mask unless negated (`-d 0.0.0.0/0` is no match at all).
  if (src && (src.mask !== 0 || src.neg)) parts.push(`${n(src.neg)}-s ${formatAddrMask(src.net, src.mask)}`);
  if (dst && (dst.mask !== 0 || dst.neg)) parts.push(`${n(dst.neg)}-d ${formatAddrMask(dst.net, dst.mask)}`);
  if (inIf) parts.push(`${n(inIf.neg)}-i ${inIf.name}${inIf.wildcard ? '+' : ''}`);
  if (outIf) parts.push(`${n(outIf.neg)}-o ${outIf.name}${outIf.wildcard ? '+' : ''}`);
  if (proto !== 0) parts.push(`${n(protoNeg)}-p ${protoName(proto)}`);
  for (const m of matches) parts.push(m.save());
  if (t.text) parts.push(t.text);
  const text = parts.join(' ');
  return {
    chain: ctx.chain,
    srcNet: src?.net ?? 0,
    srcMask: src?.mask ?? 0,
    srcNeg: src?.neg ?? false,
    dstNet: dst?.net ?? 0,
    dstMask: dst?.mask ?? 0,
    dstNeg: dst?.neg ?? false,
    proto,
    protoNeg,
    inIf,
    outIf,
    matches,
    tests: matches.filter((m) => !m.inert),
    target: t,
    text,
    matched: { table: ctx.table, chain: ctx.chain, rule: text },
    line: 0,
    counters: { pkts: 0, bytes: 0 },
    volatile: isVolatile(matches, t),
    readsSport: readsSourcePort(matches),
  };
}
