import { formatIpv4 } from '../../wire/addr.js';
import { parseAddr } from './addr.js';
import { RuleError, valueMask, type Opts, type OptSpec } from './match.js';
import { parsePort } from './ports.js';
import { hasPorts, IPPROTO_TCP } from './proto.js';
import { hex } from './rule-text.js';
import type { Hook, NatAction, RejectWith, TableName } from './types.js';

/** Target kinds, as small integers for the traversal's switch. */
export const T_NONE = 0;
export const T_ACCEPT = 1;
export const T_DROP = 2;
export const T_RETURN = 3;
export const T_REJECT = 4;
export const T_JUMP = 5;
export const T_GOTO = 6;
export const T_NAT = 7;
export const T_MARK = 8;

/**
 * A NAT decision with what NatAction cannot say: address and port ranges,
 * --random/--persistent, and MASQUERADE's --to-ports. The extra fields are
 * optional additions; conntrack may ignore them (it then uses the range start).
 */
export type NatDecision = NatAction & {
  toIpMax?: number;
  toPort?: number;
  toPortMax?: number;
  random?: boolean;
  persistent?: boolean;
};

/** A compiled `-j`/`-g` (or no target at all). */
export interface Target {
  kind: number;
  /** `-j NAME ...` / `-g NAME` as iptables-save prints it; '' without a target. */
  text: string;
  /** Jumps and gotos: the chain's name. */
  chain?: string;
  rejectWith?: RejectWith;
  nat?: NatDecision;
  markValue?: number;
  markMask?: number;
  /** Hooks the kernel allows the target on (checked at COMMIT through the jump graph). */
  hooks?: readonly Hook[];
}

export const TARGET_OPTIONS: Readonly<Record<string, Readonly<Record<string, OptSpec>>>> = {
  ACCEPT: {},
  DROP: {},
  RETURN: {},
  REJECT: { '--reject-with': { args: 1 } },
  DNAT: { '--to-destination': { args: 1 }, '--random': { args: 0 }, '--persistent': { args: 0 } },
  SNAT: { '--to-source': { args: 1 }, '--random': { args: 0 }, '--random-fully': { args: 0 }, '--persistent': { args: 0 } },
  MASQUERADE: { '--to-ports': { args: 1 }, '--random': { args: 0 }, '--random-fully': { args: 0 } },
  MARK: { '--set-mark': { args: 1 }, '--set-xmark': { args: 1 }, '--or-mark': { args: 1 }, '--xor-mark': { args: 1 }, '--and-mark': { args: 1 } },
};

const REJECT_WITH: Record<string, RejectWith> = {
  'icmp-net-unreachable': 'icmp-net-unreachable',
  'net-unreach': 'icmp-net-unreachable',
  'icmp-host-unreachable': 'icmp-host-unreachable',
  'host-unreach': 'icmp-host-unreachable',
  'icmp-port-unreachable': 'icmp-port-unreachable',
  'port-unreach': 'icmp-port-unreachable',
  'icmp-proto-unreachable': 'icmp-proto-unreachable',
  'proto-unreach': 'icmp-proto-unreachable',
  'icmp-net-prohibited': 'icmp-net-prohibited',
  'net-prohib': 'icmp-net-prohibited',
  'icmp-host-prohibited': 'icmp-host-prohibited',
  'host-prohib': 'icmp-host-prohibited',
  'icmp-admin-prohibited': 'icmp-admin-prohibited',
  'admin-prohib': 'icmp-admin-prohibited',
  'tcp-reset': 'tcp-reset',
  'tcp-rst': 'tcp-reset',
};

const NAT_TABLE_ONLY = new Set(['DNAT', 'SNAT', 'MASQUERADE']);

export interface TargetContext {
  table: TableName;
  protocol: number;
  protocolNeg: boolean;
  chainExists(name: string): boolean;
}

const EXTENSIONS = new Set(Object.keys(TARGET_OPTIONS));

export function isTargetExtension(name: string): boolean {
  return EXTENSIONS.has(name);
}

/** Build the target named by `-j`/`-g` from its options. */
export function compileTarget(name: string | undefined, isGoto: boolean, o: Opts, ctx: TargetContext): Target {
  if (name === undefined) return { kind: T_NONE, text: '' };
  if (isGoto || !isTargetExtension(name)) {
    if (!ctx.chainExists(name)) {
      if (isGoto) throw new RuleError(`chain ${name} does not exist`);
      throw new RuleError(`Couldn't load target \`${name}':No such file or directory`);
    }
    return { kind: isGoto ? T_GOTO : T_JUMP, chain: name, text: `${isGoto ? '-g' : '-j'} ${name}` };
  }
  if (NAT_TABLE_ONLY.has(name) && ctx.table !== 'nat') throw new RuleError(`${name}: only valid in nat table, not ${ctx.table}`);
  switch (name) {
    case 'ACCEPT':
      return { kind: T_ACCEPT, text: '-j ACCEPT' };
    case 'DROP':
      return { kind: T_DROP, text: '-j DROP' };
    case 'RETURN':
      return { kind: T_RETURN, text: '-j RETURN' };
    case 'REJECT':
      return reject(o, ctx);
    case 'DNAT':
    case 'SNAT':
      return snatDnat(name, o, ctx);
    case 'MASQUERADE':
      return masquerade(o, ctx);
    default:
      return mark(o);
  }
}

function reject(o: Opts, ctx: TargetContext): Target {
  const given = o.get('--reject-with')?.args[0] ?? 'icmp-port-unreachable';
  const w = REJECT_WITH[given];
  if (!w) throw new RuleError(`unknown reject type "${given}"`);
  if (w === 'tcp-reset' && (ctx.protocol !== IPPROTO_TCP || ctx.protocolNeg)) throw new RuleError('REJECT: TCP_RESET invalid for non-tcp');
  return { kind: T_REJECT, rejectWith: w, text: `-j REJECT --reject-with ${w}`, hooks: ['INPUT', 'FORWARD', 'OUTPUT'] };
}

/** `a[-b]` port range of NAT targets. */
function natPorts(s: string, ctx: TargetContext): [number, number] {
  if (!hasPorts(ctx.protocol) || ctx.protocolNeg) throw new RuleError('Need TCP, UDP, SCTP or DCCP with port specification');
  const [a, b] = s.split('-');
  const lo = parsePort(a ?? '');
  const hi = b === undefined ? lo : parsePort(b);
  if (lo > hi) throw new RuleError(`Port range \`${s}' invalid`);
  return [lo, hi];
}

function snatDnat(name: 'DNAT' | 'SNAT', o: Opts, ctx: TargetContext): Target {
  const key = name === 'DNAT' ? '--to-destination' : '--to-source';
  const to = o.get(key)?.args[0];
  if (to === undefined) throw new RuleError(`${name}: option "${key}" must be specified`);
  // ADDR[-ADDR][:PORT[-PORT]]
  const colon = to.indexOf(':');
  const addrs = colon < 0 ? to : to.slice(0, colon);
  const [a, b] = addrs.split('-');
  const lo = parseAddr(a ?? '');
  const hi = b === undefined ? lo : parseAddr(b);
  if (lo === undefined || hi === undefined || hi < lo) throw new RuleError(`Bad IP address "${addrs}"`);
  const ports = colon < 0 ? undefined : natPorts(to.slice(colon + 1), ctx);
  const nat: NatDecision =
    name === 'DNAT' ? { type: 'DNAT', toIp: lo } : { type: 'SNAT', toIp: lo, ...(o.has('--random-fully') ? { randomFully: true } : {}) };
  if (hi !== lo) nat.toIpMax = hi;
  if (ports) {
    nat.toPort = ports[0];
    if (ports[1] !== ports[0]) nat.toPortMax = ports[1];
  }
  if (o.has('--random')) nat.random = true;
  if (o.has('--persistent')) nat.persistent = true;
  let text = `-j ${name} ${key} ${formatIpv4(lo)}${hi !== lo ? `-${formatIpv4(hi)}` : ''}`;
  if (ports) text += `:${ports[0]}${ports[1] !== ports[0] ? `-${ports[1]}` : ''}`;
  if (nat.random) text += ' --random';
  if (o.has('--random-fully')) text += ' --random-fully';
  if (nat.persistent) text += ' --persistent';
  return { kind: T_NAT, nat, text, hooks: name === 'DNAT' ? ['PREROUTING', 'OUTPUT'] : ['POSTROUTING', 'INPUT'] };
}

function masquerade(o: Opts, ctx: TargetContext): Target {
  const nat: NatDecision = { type: 'MASQUERADE', ...(o.has('--random-fully') ? { randomFully: true } : {}) };
  let text = '-j MASQUERADE';
  const tp = o.get('--to-ports')?.args[0];
  if (tp !== undefined) {
    const [lo, hi] = natPorts(tp, ctx);
    nat.toPort = lo;
    if (hi !== lo) nat.toPortMax = hi;
    text += ` --to-ports ${lo}${hi !== lo ? `-${hi}` : ''}`;
  }
  if (o.has('--random')) {
    nat.random = true;
    text += ' --random';
  }
  if (nat.randomFully) text += ' --random-fully';
  return { kind: T_NAT, nat, text, hooks: ['POSTROUTING'] };
}

/** MARK rev 2: every form becomes xmark value/mask; the kernel does mark = (mark & ~mask) ^ value. */
function mark(o: Opts): Target {
  const given = [...o.keys()];
  if (given.length !== 1) throw new RuleError('MARK target: Parameter --set/and/or/xor-mark is required');
  const k = given[0]!;
  const arg = o.get(k)!.args[0]!;
  let value: number;
  let mask: number;
  if (k === '--set-xmark') [value, mask] = valueMask(arg);
  else if (k === '--set-mark') {
    const [v, m] = valueMask(arg);
    [value, mask] = [v, (v | m) >>> 0];
  } else {
    if (arg.includes('/')) throw new RuleError(`MARK: ${k} takes no mask`);
    const [v] = valueMask(arg);
    if (k === '--or-mark') [value, mask] = [v, v];
    else if (k === '--xor-mark') [value, mask] = [v, 0];
    else [value, mask] = [0, ~v >>> 0];
  }
  return { kind: T_MARK, markValue: value, markMask: mask, text: `-j MARK --set-xmark ${hex(value)}/${hex(mask)}` };
}
