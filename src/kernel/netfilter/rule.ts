import { formatIpv4, parseIpv4, prefixMask } from '../../wire/addr.js';
import { compileMatch, hex, MatchError, MODULE_OPTIONS, valueMask, type Match, type Opt } from './matches.js';
import type { NatAction, RejectWith, TableName } from './types.js';

/** What a rule does when it matches. */
export type Target =
  | { kind: 'ACCEPT' | 'DROP' | 'RETURN' | 'none' }
  | { kind: 'REJECT'; with: RejectWith }
  | { kind: 'jump' | 'goto'; chain: string }
  | { kind: 'nat'; action: NatAction }
  | { kind: 'MARK'; value: number; mask: number };

interface AddrMatch {
  net: number;
  mask: number;
  prefix: number;
  neg: boolean;
}

interface IfMatch {
  name: string;
  wildcard: boolean;
  neg: boolean;
}

/** One compiled rule: header matches, module matches, target, and its iptables-save text. */
export interface Rule {
  chain: string;
  src?: AddrMatch;
  dst?: AddrMatch;
  inIf?: IfMatch;
  outIf?: IfMatch;
  protocol?: { num: number; neg: boolean };
  matches: Match[];
  target: Target;
  /** `-A CHAIN ...` as iptables-save prints it. */
  text: string;
}

export class RuleError extends Error {}

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, sctp: 132, all: 0 };
const PROTO_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 132: 'sctp' };
const TARGET_OPTIONS: Record<string, Record<string, number>> = {
  REJECT: { '--reject-with': 1 },
  DNAT: { '--to-destination': 1 },
  SNAT: { '--to-source': 1, '--random-fully': 0, '--random': 0 },
  MASQUERADE: { '--to-ports': 1, '--random-fully': 0, '--random': 0 },
  MARK: { '--set-mark': 1, '--set-xmark': 1, '--or-mark': 1, '--xor-mark': 1, '--and-mark': 1 },
};
const REJECT_WITH: readonly RejectWith[] = ['icmp-net-unreachable', 'icmp-host-unreachable', 'icmp-port-unreachable', 'icmp-proto-unreachable', 'icmp-net-prohibited', 'icmp-host-prohibited', 'icmp-admin-prohibited', 'tcp-reset'];

/**
 * Parse the arguments after `-A CHAIN` the way iptables does: header options
 * (-s -d -i -o -p) anywhere, `-m NAME` loading a module whose options follow,
 * an option binding to the most recent module that knows it (or the implicit
 * protocol match), `!` negating what follows, `-j`/`-g` and target options.
 */
export function parseRule(table: TableName, chain: string, args: string[], chainExists: (name: string) => boolean): Rule {
  const rule: Omit<Rule, 'text'> = { chain, matches: [], target: { kind: 'none' } };
  const modules: { name: string; opts: Map<string, Opt> }[] = [];
  let targetName: string | undefined;
  let gotoChain = false;
  const targetOpts = new Map<string, string[]>();
  let neg = false;
  let i = 0;
  const take = (n: number, opt: string): string[] => {
    const out = args.slice(i + 1, i + 1 + n);
    if (out.length < n) throw new RuleError(`option "${opt}" requires an argument`);
    i += n;
    return out;
  };
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '!') {
      neg = true;
      continue;
    }
    switch (a) {
      case '-s':
      case '--source':
        rule.src = addr(take(1, a)[0]!, neg);
        break;
      case '-d':
      case '--destination':
        rule.dst = addr(take(1, a)[0]!, neg);
        break;
      case '-i':
      case '--in-interface':
        rule.inIf = iface(take(1, a)[0]!, neg);
        break;
      case '-o':
      case '--out-interface':
        rule.outIf = iface(take(1, a)[0]!, neg);
        break;
      case '-p':
      case '--protocol': {
        const p = take(1, a)[0]!.toLowerCase();
        const num = PROTOCOLS[p] ?? (/^[0-9]+$/.test(p) ? Number(p) : undefined);
        if (num === undefined) throw new RuleError(`unknown protocol "${p}" specified`);
        rule.protocol = { num, neg };
        break;
      }
      case '-m':
      case '--match': {
        const name = take(1, a)[0]!;
        if (!MODULE_OPTIONS[name]) throw new RuleError(`Couldn't load match \`${name}':No such file or directory`);
        modules.push({ name, opts: new Map() });
        break;
      }
      case '-j':
      case '--jump':
      case '-g':
      case '--goto':
        targetName = take(1, a)[0]!;
        gotoChain = a === '-g' || a === '--goto';
        break;
      default: {
        if (!a.startsWith('--')) throw new RuleError(`Bad argument \`${a}'`);
        const tOpts = targetName ? TARGET_OPTIONS[targetName] : undefined;
        if (tOpts && a in tOpts) {
          targetOpts.set(a, take(tOpts[a]!, a));
          break;
        }
        let mod = [...modules].reverse().find((m) => a in MODULE_OPTIONS[m.name]!);
        if (!mod && rule.protocol && PROTO_NAMES[rule.protocol.num] && a in (MODULE_OPTIONS[PROTO_NAMES[rule.protocol.num]!] ?? {})) {
          // `-p tcp --dport 80` loads the tcp match implicitly (iptables-save then shows `-m tcp`).
          mod = { name: PROTO_NAMES[rule.protocol.num]!, opts: new Map() };
          modules.push(mod);
        }
        if (!mod) throw new RuleError(`unknown option "${a}"`);
        mod.opts.set(a, { args: take(MODULE_OPTIONS[mod.name]![a]!, a), neg });
      }
    }
    neg = false;
  }
  try {
    rule.matches = modules.map((m) => compileMatch(m.name, m.opts, rule.protocol?.num));
  } catch (e) {
    throw new RuleError(e instanceof MatchError ? e.message : String(e));
  }
  rule.target = target(table, targetName, gotoChain, targetOpts, chainExists);
  return { ...rule, text: saveRule(rule, targetName, gotoChain) };
}

function addr(s: string, neg: boolean): AddrMatch {
  const [ip, p] = s.split('/');
  const a = parseIpv4(ip ?? '');
  const prefix = p === undefined ? 32 : Number(p);
  if (a === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new RuleError(`host/network \`${s}' not found`);
  const mask = prefixMask(prefix);
  return { net: (a & mask) >>> 0, mask, prefix, neg };
}

function iface(s: string, neg: boolean): IfMatch {
  return s.endsWith('+') ? { name: s.slice(0, -1), wildcard: true, neg } : { name: s, wildcard: false, neg };
}

function target(table: TableName, name: string | undefined, isGoto: boolean, opts: Map<string, string[]>, chainExists: (n: string) => boolean): Target {
  if (name === undefined) return { kind: 'none' };
  const natOnly = name === 'DNAT' || name === 'SNAT' || name === 'MASQUERADE';
  if (natOnly && table !== 'nat') throw new RuleError(`${name}: only valid in nat table`);
  if (isGoto || !(name in TARGET_OPTIONS || ['ACCEPT', 'DROP', 'RETURN'].includes(name))) {
    if (!chainExists(name)) throw new RuleError(`Couldn't load target \`${name}':No such file or directory`);
    return { kind: isGoto ? 'goto' : 'jump', chain: name };
  }
  switch (name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return { kind: name };
    case 'REJECT': {
      const w = (opts.get('--reject-with')?.[0] ?? 'icmp-port-unreachable') as RejectWith;
      if (!REJECT_WITH.includes(w)) throw new RuleError(`REJECT: unknown reject type "${w}"`);
      return { kind: 'REJECT', with: w };
    }
    case 'DNAT': {
      const to = opts.get('--to-destination')?.[0];
      if (!to) throw new RuleError('DNAT: needs --to-destination');
      const [ip, port] = hostPort(to);
      return { kind: 'nat', action: { type: 'DNAT', toIp: ip, ...(port === undefined ? {} : { toPort: port }) } };
    }
    case 'SNAT': {
      const to = opts.get('--to-source')?.[0];
      if (!to) throw new RuleError('SNAT: needs --to-source');
      const [ip, port] = hostPort(to);
      return { kind: 'nat', action: { type: 'SNAT', toIp: ip, ...(port === undefined ? {} : { toPort: port }), ...(opts.has('--random-fully') ? { randomFully: true } : {}) } };
    }
    case 'MASQUERADE':
      return { kind: 'nat', action: { type: 'MASQUERADE', ...(opts.has('--random-fully') ? { randomFully: true } : {}) } };
    default: {
      // MARK: every form is stored as xmark value/mask, as libxt_MARK v2 does.
      const [k, v] = [...opts][0] ?? [];
      if (!k || !v) throw new RuleError('MARK target: Parameter --set/and/or/xor-mark is required');
      const [value, mask] = valueMask(v[0]!);
      if (k === '--set-xmark') return { kind: 'MARK', value, mask };
      if (k === '--set-mark') return { kind: 'MARK', value, mask: v[0]!.includes('/') ? mask : 0xffffffff };
      if (k === '--or-mark') return { kind: 'MARK', value, mask: value };
      if (k === '--xor-mark') return { kind: 'MARK', value, mask: 0 };
      return { kind: 'MARK', value: 0, mask: ~value >>> 0 };
    }
  }
}

function hostPort(s: string): [number, number | undefined] {
  const [h, p] = s.split(':');
  const ip = parseIpv4(h ?? '');
  const port = p === undefined ? undefined : Number(p);
  if (ip === undefined || (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))) throw new RuleError(`Bad IP address "${s}"`);
  return [ip, port];
}

/** The canonical iptables-save form: header matches first, then modules in order, then the target. */
function saveRule(r: Omit<Rule, 'text'>, targetName: string | undefined, isGoto: boolean): string {
  const parts = [`-A ${r.chain}`];
  const n = (neg: boolean): string => (neg ? '! ' : '');
  if (r.src) parts.push(`${n(r.src.neg)}-s ${formatIpv4(r.src.net)}/${r.src.prefix}`);
  if (r.dst) parts.push(`${n(r.dst.neg)}-d ${formatIpv4(r.dst.net)}/${r.dst.prefix}`);
  if (r.inIf) parts.push(`${n(r.inIf.neg)}-i ${r.inIf.name}${r.inIf.wildcard ? '+' : ''}`);
  if (r.outIf) parts.push(`${n(r.outIf.neg)}-o ${r.outIf.name}${r.outIf.wildcard ? '+' : ''}`);
  if (r.protocol && r.protocol.num !== 0) parts.push(`${n(r.protocol.neg)}-p ${PROTO_NAMES[r.protocol.num] ?? r.protocol.num}`);
  for (const m of r.matches) parts.push(m.save());
  const t = r.target;
  if (targetName !== undefined) {
    if (t.kind === 'goto') parts.push(`-g ${t.chain}`);
    else if (t.kind === 'jump') parts.push(`-j ${t.chain}`);
    else if (t.kind === 'REJECT') parts.push(`-j REJECT --reject-with ${t.with}`);
    else if (t.kind === 'MARK') parts.push(`-j MARK --set-xmark ${hex(t.value)}/${hex(t.mask)}`);
    else if (t.kind === 'nat') parts.push(saveNat(t.action));
    else parts.push(`-j ${targetName}`);
  }
  void isGoto;
  return parts.join(' ');
}

function saveNat(a: NatAction): string {
  if (a.type === 'DNAT') return `-j DNAT --to-destination ${formatIpv4(a.toIp)}${a.toPort === undefined ? '' : `:${a.toPort}`}`;
  if (a.type === 'SNAT') return `-j SNAT --to-source ${formatIpv4(a.toIp)}${a.toPort === undefined ? '' : `:${a.toPort}`}${a.randomFully ? ' --random-fully' : ''}`;
  return `-j MASQUERADE${a.randomFully ? ' --random-fully' : ''}`;
}

/** Do the header matches (-s -d -i -o -p) hold for this packet? */
export function headerMatches(r: Rule, src: number, dst: number, protocol: number, inIf: string | undefined, outIf: string | undefined): boolean {
  if (r.src && ((((src & r.src.mask) >>> 0) === r.src.net) === r.src.neg)) return false;
  if (r.dst && ((((dst & r.dst.mask) >>> 0) === r.dst.net) === r.dst.neg)) return false;
  if (r.protocol && r.protocol.num !== 0 && ((protocol === r.protocol.num) === r.protocol.neg)) return false;
  if (r.inIf && (ifMatch(r.inIf, inIf) === r.inIf.neg)) return false;
  if (r.outIf && (ifMatch(r.outIf, outIf) === r.outIf.neg)) return false;
  return true;
}

function ifMatch(m: IfMatch, name: string | undefined): boolean {
  if (name === undefined) return false;
  return m.wildcard ? name.startsWith(m.name) : name === m.name;
}
