import { RuleError, not, type MatchModule } from './match.js';
import type { AddrType } from './types.js';

/** RTN_* in kernel order: the bit order libxt_addrtype prints in. */
const TYPES: readonly AddrType[] = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'];
const BIT: Record<string, number> = Object.fromEntries(TYPES.map((t, i) => [t, 1 << i]));

function parseTypes(s: string): number {
  let bits = 0;
  for (const t of s.split(',')) {
    const b = BIT[t.toUpperCase()];
    if (b === undefined) throw new RuleError(`addrtype: invalid address type "${t}"`);
    bits |= b;
  }
  return bits;
}

const format = (bits: number): string => TYPES.filter((_, i) => bits & (1 << i)).join(',');

/**
 * addrtype: the route type of the source / destination address in this
 * namespace (env.addrType). --limit-iface-in/out are kept for iptables-save;
 * the lookup is not restricted to the interface.
 */
export const addrtypeModule: MatchModule = {
  name: 'addrtype',
  options: { '--src-type': { args: 1, neg: true }, '--dst-type': { args: 1, neg: true }, '--limit-iface-in': { args: 0 }, '--limit-iface-out': { args: 0 } },
  compile(o) {
    const s = o.get('--src-type');
    const d = o.get('--dst-type');
    if (!s && !d) throw new RuleError('addrtype: you must specify --src-type or --dst-type');
    if (o.has('--limit-iface-in') && o.has('--limit-iface-out')) throw new RuleError('addrtype: you can\'t specify both --limit-iface-in and --limit-iface-out');
    const src = s ? parseTypes(s.args[0]!) : 0;
    const dst = d ? parseTypes(d.args[0]!) : 0;
    const sNeg = s?.neg ?? false;
    const dNeg = d?.neg ?? false;
    const parts = ['-m addrtype'];
    if (s) parts.push(`${not(sNeg)}--src-type ${format(src)}`);
    if (d) parts.push(`${not(dNeg)}--dst-type ${format(dst)}`);
    if (o.has('--limit-iface-in')) parts.push('--limit-iface-in');
    if (o.has('--limit-iface-out')) parts.push('--limit-iface-out');
    const text = parts.join(' ');
    return {
      module: 'addrtype',
      inert: false,
      test(p, env) {
        if (s && (((BIT[env.addrType(p.src)] ?? 0) & src) !== 0) === sNeg) return false;
        if (d && (((BIT[env.addrType(p.dst)] ?? 0) & dst) !== 0) === dNeg) return false;
        return true;
      },
      save: () => text,
    };
  },
};
