import { formatIpv4, parseIpv4 } from '../../wire/addr.js';
import { quoteArg as quote } from './rule-text.js';
import type { AddrType, CtState, NfEnv, NfPacket } from './types.js';

/** State a rule set keeps between packets (the `recent` lists). */
export interface MatchState {
  /** `-m recent` lists: name -> address -> hit times (ns). */
  recent: Map<string, Map<number, number[]>>;
}

/** A compiled `-m NAME ...` match: tests a packet, prints itself as iptables-save does. */
export interface Match {
  readonly module: string;
  test(pkt: NfPacket, env: NfEnv, state: MatchState): boolean;
  save(): string;
}

/** An option given to a match: its arguments and whether `!` preceded it. */
export interface Opt {
  args: string[];
  neg: boolean;
}

export class MatchError extends Error {}

/** Options each module accepts, with their argument count. */
export const MODULE_OPTIONS: Record<string, Record<string, number>> = {
  comment: { '--comment': 1 },
  tcp: { '--sport': 1, '--source-port': 1, '--dport': 1, '--destination-port': 1, '--tcp-flags': 2, '--syn': 0 },
  udp: { '--sport': 1, '--source-port': 1, '--dport': 1, '--destination-port': 1 },
  sctp: { '--sport': 1, '--source-port': 1, '--dport': 1, '--destination-port': 1 },
  icmp: { '--icmp-type': 1 },
  statistic: { '--mode': 1, '--probability': 1, '--every': 1, '--packet': 1 },
  mark: { '--mark': 1 },
  conntrack: { '--ctstate': 1, '--ctstatus': 1 },
  addrtype: { '--src-type': 1, '--dst-type': 1, '--limit-iface-in': 0, '--limit-iface-out': 0 },
  recent: { '--name': 1, '--set': 0, '--rcheck': 0, '--update': 0, '--remove': 0, '--seconds': 1, '--hitcount': 1, '--reap': 0, '--rsource': 0, '--rdest': 0, '--mask': 1 },
  multiport: { '--dports': 1, '--destination-ports': 1, '--sports': 1, '--source-ports': 1, '--ports': 1 },
  nfacct: { '--nfacct-name': 1 },
  physdev: { '--physdev-in': 1, '--physdev-out': 1, '--physdev-is-bridged': 0, '--physdev-is-in': 0, '--physdev-is-out': 0 },
};

const ALIASES: Record<string, string> = { '--source-port': '--sport', '--destination-port': '--dport', '--destination-ports': '--dports', '--source-ports': '--sports' };
const CT_STATES: readonly CtState[] = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];
const ADDR_TYPES: readonly AddrType[] = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'];
const PROTO_NUM: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1 };

const not = (neg: boolean): string => (neg ? '! ' : '');

/** Build a match module from its options (in the order given). */
export function compileMatch(module: string, opts: Map<string, Opt>, protocol: number | undefined): Match {
  const o = new Map([...opts].map(([k, v]) => [ALIASES[k] ?? k, v]));
  switch (module) {
    case 'comment': {
      const c = req(o, '--comment', module);
      return { module, test: () => true, save: () => `-m comment --comment ${quote(c.args[0]!)}` };
    }
    case 'tcp':
    case 'udp':
    case 'sctp': {
      if (protocol !== PROTO_NUM[module]) throw new MatchError(`${module} match: needs \`-p ${module}'`);
      const sp = o.get('--sport');
      const dp = o.get('--dport');
      const s = sp && portRange(sp.args[0]!);
      const d = dp && portRange(dp.args[0]!);
      const flags = o.get('--tcp-flags') ?? (o.has('--syn') ? { args: ['FIN,SYN,RST,ACK', 'SYN'], neg: o.get('--syn')!.neg } : undefined);
      const fl = flags && { mask: tcpFlags(flags.args[0]!), set: tcpFlags(flags.args[1]!), neg: flags.neg, text: flags.args };
      return {
        module,
        test: (p) =>
          (!s || inRange(p.sport, s) !== sp!.neg) && (!d || inRange(p.dport, d) !== dp!.neg) && (!fl || (((p.tcpFlags ?? 0) & fl.mask) === fl.set) !== fl.neg),
        save: () =>
          [`-m ${module}`, sp && `${not(sp.neg)}--sport ${sp.args[0]}`, dp && `${not(dp.neg)}--dport ${dp.args[0]}`, fl && `${not(fl.neg)}--tcp-flags ${fl.text[0]} ${fl.text[1]}`].filter(Boolean).join(' '),
      };
    }
    case 'icmp': {
      const t = req(o, '--icmp-type', module);
      const type = Number(t.args[0]!.split('/')[0]);
      return { module, test: (p) => (p.icmpType === type) !== t.neg, save: () => `-m icmp ${not(t.neg)}--icmp-type ${t.args[0]}` };
    }
    case 'statistic': {
      const mode = req(o, '--mode', module).args[0];
      if (mode === 'random') {
        const pText = req(o, '--probability', module).args[0]!;
        const p = Number(pText);
        if (!(p >= 0 && p <= 1)) throw new MatchError(`statistic: bad --probability \`${pText}'`);
        // libxt_statistic stores lround(2^31 × p); the kernel compares 31 random bits with it.
        const stored = Math.round(0x80000000 * p);
        return {
          module,
          test: (_p, env) => (env.rng.nextU32() & 0x7fffffff) < stored,
          save: () => `-m statistic --mode random --probability ${(stored / 0x80000000).toFixed(11)}`,
        };
      }
      if (mode === 'nth') {
        const every = Number(req(o, '--every', module).args[0]);
        const start = Number(o.get('--packet')?.args[0] ?? 0);
        let count = start;
        return {
          module,
          test: () => {
            const hit = count % every === 0;
            count++;
            return hit;
          },
          save: () => `-m statistic --mode nth --every ${every} --packet ${start}`,
        };
      }
      throw new MatchError(`statistic: bad --mode \`${mode ?? ''}'`);
    }
    case 'mark': {
      const m = req(o, '--mark', module);
      const [v, mask] = valueMask(m.args[0]!);
      return { module, test: (p) => ((p.mark & mask) === v) !== m.neg, save: () => `-m mark ${not(m.neg)}--mark ${hex(v)}${mask === 0xffffffff ? '' : `/${hex(mask)}`}` };
    }
    case 'conntrack': {
      const st = req(o, '--ctstate', module);
      const wanted = st.args[0]!.split(',').map((x) => {
        if (!CT_STATES.includes(x as CtState)) throw new MatchError(`conntrack: bad ctstate \`${x}'`);
        return x as CtState;
      });
      const ordered = CT_STATES.filter((s) => wanted.includes(s));
      return { module, test: (p) => p.ctstate.some((s) => wanted.includes(s)) !== st.neg, save: () => `-m conntrack ${not(st.neg)}--ctstate ${ordered.join(',')}` };
    }
    case 'addrtype': {
      const src = o.get('--src-type');
      const dst = o.get('--dst-type');
      for (const t of [src, dst]) if (t && !ADDR_TYPES.includes(t.args[0] as AddrType)) throw new MatchError(`addrtype: unknown type \`${t.args[0]}'`);
      return {
        module,
        test: (p, env) => (!src || (env.addrType(p.src) === src.args[0]) !== src.neg) && (!dst || (env.addrType(p.dst) === dst.args[0]) !== dst.neg),
        save: () => ['-m addrtype', src && `${not(src.neg)}--src-type ${src.args[0]}`, dst && `${not(dst.neg)}--dst-type ${dst.args[0]}`, o.has('--limit-iface-in') && '--limit-iface-in', o.has('--limit-iface-out') && '--limit-iface-out'].filter(Boolean).join(' '),
      };
    }
    case 'recent':
      return recent(o);
    case 'multiport': {
      const which = (['--dports', '--sports', '--ports'] as const).find((k) => o.has(k));
      if (!which) throw new MatchError('multiport: needs --dports, --sports or --ports');
      const opt = o.get(which)!;
      const ranges = opt.args[0]!.split(',').map(portRange);
      const hit = (port: number | undefined): boolean => ranges.some((r) => inRange(port, r));
      return {
        module,
        test: (p) => (which === '--dports' ? hit(p.dport) : which === '--sports' ? hit(p.sport) : hit(p.sport) || hit(p.dport)) !== opt.neg,
        save: () => `-m multiport ${not(opt.neg)}${which} ${opt.args[0]}`,
      };
    }
    case 'nfacct': {
      const n = req(o, '--nfacct-name', module);
      return { module, test: () => true, save: () => `-m nfacct --nfacct-name ${quote(n.args[0]!)}` };
    }
    case 'physdev':
      // Bridge ports are not visible to the IPv4 hooks here: physdev options are kept for iptables-save only.
      return { module, test: () => true, save: () => ['-m physdev', ...[...o].map(([k, v]) => `${not(v.neg)}${k}${v.args.length ? ` ${v.args[0]}` : ''}`)].join(' ') };
    default:
      throw new MatchError(`Couldn't load match \`${module}':No such file or directory`);
  }
}

function recent(o: Map<string, Opt>): Match {
  const name = o.get('--name')?.args[0] ?? 'DEFAULT';
  const mode = (['--set', '--rcheck', '--update', '--remove'] as const).find((k) => o.has(k));
  if (!mode) throw new MatchError('recent: you must specify one of `--set\', `--rcheck\' `--update\' or `--remove\'');
  const seconds = o.has('--seconds') ? Number(o.get('--seconds')!.args[0]) : undefined;
  const hitcount = o.has('--hitcount') ? Number(o.get('--hitcount')!.args[0]) : undefined;
  const reap = o.has('--reap');
  const dest = o.has('--rdest');
  const maskText = o.get('--mask')?.args[0] ?? '255.255.255.255';
  const mask = parseIpv4(maskText);
  if (mask === undefined) throw new MatchError(`recent: bad --mask \`${maskText}'`);
  const neg = o.get(mode)!.neg;
  return {
    module: 'recent',
    test: (p, env, state) => {
      let list = state.recent.get(name);
      if (!list) state.recent.set(name, (list = new Map()));
      const addr = ((dest ? p.dst : p.src) & mask) >>> 0;
      const now = env.nowNs;
      let hits = list.get(addr);
      if (mode === '--set') {
        if (!hits) list.set(addr, (hits = []));
        hits.push(now);
        return !neg;
      }
      if (!hits) return neg;
      if (mode === '--remove') {
        list.delete(addr);
        return !neg;
      }
      const windowNs = seconds === undefined ? Infinity : seconds * 1e9;
      if (reap && seconds !== undefined) {
        const kept = hits.filter((t) => now - t <= windowNs);
        if (kept.length === 0) list.delete(addr);
        else list.set(addr, kept);
        hits = kept;
      }
      const recentHits = hits.filter((t) => now - t <= windowNs).length;
      const ok = recentHits > 0 && (hitcount === undefined || recentHits >= hitcount);
      if (ok && mode === '--update') hits.push(now);
      return ok !== neg;
    },
    save: () =>
      [
        '-m recent',
        `${not(neg)}${mode}`,
        seconds !== undefined && `--seconds ${seconds}`,
        reap && '--reap',
        hitcount !== undefined && `--hitcount ${hitcount}`,
        `--name ${name}`,
        `--mask ${formatIpv4(mask)}`,
        dest ? '--rdest' : '--rsource',
      ]
        .filter(Boolean)
        .join(' '),
  };
}

function req(o: Map<string, Opt>, key: string, module: string): Opt {
  const v = o.get(key);
  if (!v) throw new MatchError(`${module} match: ${key} is required`);
  return v;
}

function portRange(s: string): [number, number] {
  const [a, b] = s.split(':');
  const lo = a === '' ? 0 : Number(a);
  const hi = b === undefined ? lo : b === '' ? 65535 : Number(b);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > 65535 || lo > hi) throw new MatchError(`invalid port/service \`${s}' specified`);
  return [lo, hi];
}

function inRange(port: number | undefined, [lo, hi]: [number, number]): boolean {
  return port !== undefined && port >= lo && port <= hi;
}

const TCP_FLAG_BITS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ALL: 63, NONE: 0 };

function tcpFlags(s: string): number {
  return s.split(',').reduce((acc, f) => {
    const bit = TCP_FLAG_BITS[f];
    if (bit === undefined) throw new MatchError(`Unknown TCP flag \`${f}'`);
    return acc | bit;
  }, 0);
}

/** `V[/M]` as the mark match and MARK target read it (hex or decimal). */
export function valueMask(s: string): [number, number] {
  const [v, m] = s.split('/');
  const value = Number(v);
  const mask = m === undefined ? 0xffffffff : Number(m);
  if (!Number.isInteger(value) || !Number.isInteger(mask) || value < 0 || value > 0xffffffff || mask < 0 || mask > 0xffffffff) throw new MatchError(`Bad mark value \`${s}'`);
  return [value >>> 0, mask >>> 0];
}

export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}
