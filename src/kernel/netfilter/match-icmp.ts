import { RuleError, not, type MatchModule } from './match.js';
import { IPPROTO_ICMP } from './proto.js';

/** ICMP type names as iptables knows them: [type, code min, code max]. */
const ICMP_NAMES: Record<string, [number, number, number]> = {
  any: [0xff, 0, 0xff],
  'echo-reply': [0, 0, 0xff],
  'destination-unreachable': [3, 0, 0xff],
  'network-unreachable': [3, 0, 0],
  'host-unreachable': [3, 1, 1],
  'protocol-unreachable': [3, 2, 2],
  'port-unreachable': [3, 3, 3],
  'fragmentation-needed': [3, 4, 4],
  'source-quench': [4, 0, 0xff],
  redirect: [5, 0, 0xff],
  'echo-request': [8, 0, 0xff],
  'time-exceeded': [11, 0, 0xff],
  'ttl-zero-during-transit': [11, 0, 0],
  'parameter-problem': [12, 0, 0xff],
  'timestamp-request': [13, 0, 0xff],
  'timestamp-reply': [14, 0, 0xff],
};

function parseIcmpType(s: string): [number, number, number] {
  const named = ICMP_NAMES[s];
  if (named) return named;
  const m = /^([0-9]{1,3})(?:\/([0-9]{1,3}))?$/.exec(s);
  if (!m || Number(m[1]) > 255 || (m[2] !== undefined && Number(m[2]) > 255)) throw new RuleError(`Invalid ICMP type \`${s}'`);
  const type = Number(m[1]);
  return m[2] === undefined ? [type, 0, 0xff] : [type, Number(m[2]), Number(m[2])];
}

/** icmp: type (0xff = any) and code range; iptables-save prints numbers, `type/code` for one code. */
export const icmpModule: MatchModule = {
  name: 'icmp',
  options: { '--icmp-type': { args: 1, neg: true } },
  compile(o, ctx) {
    if (ctx.protocol !== IPPROTO_ICMP || ctx.protocolNeg) throw new RuleError("ICMP match requires '-p icmp'");
    const opt = o.get('--icmp-type');
    const [type, lo, hi] = opt ? parseIcmpType(opt.args[0]!) : [0xff, 0, 0xff];
    const neg = opt?.neg ?? false;
    const shown = type === 0xff ? 'any' : lo === 0 && hi === 0xff ? String(type) : `${type}/${lo}`;
    const text = `-m icmp ${not(neg)}--icmp-type ${shown}`;
    return {
      module: 'icmp',
      inert: false,
      test(p) {
        if (p.icmpType === undefined) return false;
        const hit = type === 0xff || (p.icmpType === type && (p.icmpCode ?? 0) >= lo && (p.icmpCode ?? 0) <= hi);
        return hit !== neg;
      },
      save: () => text,
    };
  },
};
