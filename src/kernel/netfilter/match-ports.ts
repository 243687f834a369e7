import { RuleError, not, type Match, type MatchModule, type Opt, type Opts } from './match.js';
import { formatRange, parsePortRange, type PortRange } from './ports.js';
import { hasPorts } from './proto.js';
import type { NfPacket } from './types.js';

const TCP_FLAGS: readonly [string, number][] = [
  ['FIN', 0x01],
  ['SYN', 0x02],
  ['RST', 0x04],
  ['PSH', 0x08],
  ['ACK', 0x10],
  ['URG', 0x20],
];

function parseFlags(s: string): number {
  let bits = 0;
  for (const f of s.split(',')) {
    if (f === 'ALL') bits |= 0x3f;
    else if (f === 'NONE') continue;
    else {
      const bit = TCP_FLAGS.find(([n]) => n === f)?.[1];
      if (bit === undefined) throw new RuleError(`Unknown TCP flag \`${f}'`);
      bits |= bit;
    }
  }
  return bits;
}

/** libxt_tcp's print_tcpf: each flag by name in bit order, NONE for none. */
function formatFlags(bits: number): string {
  const names = TCP_FLAGS.filter(([, b]) => bits & b).map(([n]) => n);
  return names.length ? names.join(',') : 'NONE';
}

const PORT_OPTIONS = {
  '--sport': { args: 1, neg: true },
  '--source-port': { args: 1, neg: true, alias: '--sport' },
  '--dport': { args: 1, neg: true },
  '--destination-port': { args: 1, neg: true, alias: '--dport' },
};

interface PortTest {
  lo: number;
  hi: number;
  neg: boolean;
}

function portTest(o: Opt | undefined): PortTest | undefined {
  if (!o) return undefined;
  const [lo, hi] = parsePortRange(o.args[0]!);
  // 0:65535 without `!` matches every packet with ports; iptables-save leaves it out.
  if (lo === 0 && hi === 65535 && !o.neg) return undefined;
  return { lo, hi, neg: o.neg };
}

function savePort(name: string, t: PortTest | undefined): string {
  return t ? ` ${not(t.neg)}${name} ${formatRange([t.lo, t.hi])}` : '';
}

/** tcp, udp and sctp: source/destination port ranges (and TCP flags), on first fragments only. */
function portModule(name: 'tcp' | 'udp' | 'sctp', proto: number): MatchModule {
  const options = name === 'tcp' ? { ...PORT_OPTIONS, '--tcp-flags': { args: 2, neg: true }, '--syn': { args: 0, neg: true } } : PORT_OPTIONS;
  return {
    name,
    options,
    compile(o: Opts, ctx): Match {
      if (ctx.protocol !== proto || ctx.protocolNeg) throw new RuleError(`${name.toUpperCase()} match requires '-p ${name}'`);
      const sp = portTest(o.get('--sport'));
      const dp = portTest(o.get('--dport'));
      let flags: { mask: number; cmp: number; neg: boolean } | undefined;
      const tf = o.get('--tcp-flags');
      const syn = o.get('--syn');
      if (tf && syn) throw new RuleError('tcp: --syn and --tcp-flags cannot be given together');
      if (tf) flags = { mask: parseFlags(tf.args[0]!), cmp: parseFlags(tf.args[1]!), neg: tf.neg };
      if (syn) flags = { mask: 0x17, cmp: 0x02, neg: syn.neg };
      const text = `-m ${name}${savePort('--sport', sp)}${savePort('--dport', dp)}${flags ? ` ${not(flags.neg)}--tcp-flags ${formatFlags(flags.mask)} ${formatFlags(flags.cmp)}` : ''}`;
      const sLo = sp?.lo ?? 0, sHi = sp?.hi ?? 65535, sNeg = sp?.neg ?? false;
      const dLo = dp?.lo ?? 0, dHi = dp?.hi ?? 65535, dNeg = dp?.neg ?? false;
      const fMask = flags?.mask ?? 0, fCmp = flags?.cmp ?? 0, fNeg = flags?.neg ?? false;
      return {
        module: name,
        inert: false,
        ...(sp ? { readsSport: true as const } : {}),
        test(p: NfPacket): boolean {
          const s = p.sport;
          const d = p.dport;
          // No ports: a non-first fragment or a truncated header; the kernel's match fails.
          if (s === undefined || d === undefined) return false;
          if ((s >= sLo && s <= sHi) === sNeg) return false;
          if ((d >= dLo && d <= dHi) === dNeg) return false;
          if (fMask !== 0 || fNeg) return (((p.tcpFlags ?? 0) & fMask) === fCmp) !== fNeg;
          return true;
        },
        save: () => text,
      };
    },
  };
}

export const tcpModule = portModule('tcp', 6);
export const udpModule = portModule('udp', 17);
export const sctpModule = portModule('sctp', 132);

const MULTIPORT_MAX = 15;

/** multiport v1: up to 15 ports (a range counts twice), any of which matches. */
export const multiportModule: MatchModule = {
  name: 'multiport',
  options: {
    '--sports': { args: 1, neg: true },
    '--source-ports': { args: 1, neg: true, alias: '--sports' },
    '--dports': { args: 1, neg: true },
    '--destination-ports': { args: 1, neg: true, alias: '--dports' },
    '--ports': { args: 1, neg: true },
  },
  compile(o, ctx) {
    if (!hasPorts(ctx.protocol) || ctx.protocolNeg) throw new RuleError('multiport needs `-p tcp\', `-p udp\', `-p udplite\', `-p sctp\' or `-p dccp\'');
    const given = [...o.keys()];
    if (given.length !== 1) throw new RuleError('multiport can only have one option');
    const which = given[0]!;
    const opt = o.get(which)!;
    const ranges: PortRange[] = opt.args[0]!.split(',').map(parsePortRange);
    if (ranges.reduce((n, [lo, hi]) => n + (lo === hi ? 1 : 2), 0) > MULTIPORT_MAX) throw new RuleError('too many ports specified');
    const los = Int32Array.from(ranges, (r) => r[0]);
    const his = Int32Array.from(ranges, (r) => r[1]);
    const any = (port: number): boolean => {
      for (let i = 0; i < los.length; i++) if (port >= los[i]! && port <= his[i]!) return true;
      return false;
    };
    const neg = opt.neg;
    const text = `-m multiport ${not(neg)}${which} ${ranges.map(formatRange).join(',')}`;
    return {
      module: 'multiport',
      inert: false,
      ...(which === '--dports' ? {} : { readsSport: true as const }),
      test(p) {
        const s = p.sport;
        const d = p.dport;
        if (s === undefined || d === undefined) return false;
        const hit = which === '--dports' ? any(d) : which === '--sports' ? any(s) : any(s) || any(d);
        return hit !== neg;
      },
      save: () => text,
    };
  },
};
