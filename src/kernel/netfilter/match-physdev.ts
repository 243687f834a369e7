import { RuleError, not, type MatchModule, type Opt } from './match.js';
import type { NfPacket } from './types.js';

const ORDER = ['--physdev-in', '--physdev-is-in', '--physdev-out', '--physdev-is-out', '--physdev-is-bridged'] as const;

/** An interface name as iptables takes it: `veth+` is a prefix. */
function nameTest(o: Opt): (name: string) => boolean {
  const want = o.args[0]!;
  if (want.length > 15) throw new RuleError(`physdev: interface name \`${want}' must be shorter than 16 characters`);
  return want.endsWith('+') ? (n) => n.startsWith(want.slice(0, -1)) : (n) => n === want;
}

/**
 * physdev (xt_physdev): the bridge ports a bridged IPv4 packet came in on and
 * goes out of, as br_netfilter records them (NfPacket.physIn / physOut).
 * A packet that never crossed a bridge port matches only when every option
 * given is negated. With bridge information: `--physdev-is-bridged` wants an
 * output port (FORWARD/POSTROUTING of a frame being bridged), `--physdev-is-in`
 * / `--physdev-is-out` an input / output port; `--physdev-in NAME` is not
 * checked when there is no input port, and `--physdev-out NAME` holds when
 * there is no output port yet (a routed packet's INPUT/FORWARD), as the
 * kernel does.
 */
export const physdevModule: MatchModule = {
  name: 'physdev',
  options: { '--physdev-in': { args: 1, neg: true }, '--physdev-out': { args: 1, neg: true }, '--physdev-is-in': { args: 0, neg: true }, '--physdev-is-out': { args: 0, neg: true }, '--physdev-is-bridged': { args: 0, neg: true } },
  compile(o) {
    if (o.size === 0) throw new RuleError('PHYSDEV: no physdev option specified');
    const parts = ['-m physdev'];
    for (const k of ORDER) {
      const v = o.get(k);
      if (v) parts.push(`${not(v.neg)}${k}${v.args.length ? ` ${v.args[0]}` : ''}`);
    }
    const text = parts.join(' ');
    const inName = o.get('--physdev-in');
    const outName = o.get('--physdev-out');
    const isIn = o.get('--physdev-is-in');
    const isOut = o.get('--physdev-is-out');
    const bridged = o.get('--physdev-is-bridged');
    const inTest = inName && nameTest(inName);
    const outTest = outName && nameTest(outName);
    const given = [inName, outName, isIn, isOut, bridged].filter((x): x is Opt => x !== undefined);
    const test = (p: NfPacket): boolean => {
      // No bridge information (never entered a bridge port): only all-negated options match.
      if (p.physIn === undefined) return given.every((x) => x.neg);
      const out = p.physOut;
      if (bridged && (out !== undefined) === bridged.neg) return false;
      if (isIn?.neg) return false; // an input port always exists here
      if (isOut && (out !== undefined) === isOut.neg) return false;
      if (inTest && inTest(p.physIn) === inName.neg) return false;
      if (!outTest || out === undefined) return true;
      return outTest(out) !== outName.neg;
    };
    return { module: 'physdev', inert: false, test, save: () => text };
  },
};
