import { saveString } from './rule-text.js';
import { RuleError, not, required, type MatchModule } from './match.js';

const always = (): boolean => true;

/** comment: up to 255 characters kept for iptables-save; always matches. */
export const commentModule: MatchModule = {
  name: 'comment',
  options: { '--comment': { args: 1 } },
  compile(o) {
    const c = required(o, '--comment', 'comment').args[0]!;
    if (c.length > 255) throw new RuleError('comment: comment may not exceed 255 characters');
    const text = `-m comment --comment ${saveString(c)}`;
    return { module: 'comment', inert: true, test: always, save: () => text };
  },
};

/** nfacct: counts into a named accounting object (counters are not modelled); always matches. */
export const nfacctModule: MatchModule = {
  name: 'nfacct',
  options: { '--nfacct-name': { args: 1 } },
  compile(o) {
    const n = required(o, '--nfacct-name', 'nfacct').args[0]!;
    const text = `-m nfacct --nfacct-name ${saveString(n)}`;
    return { module: 'nfacct', inert: true, test: always, save: () => text };
  },
};

const PHYSDEV_ORDER = ['--physdev-in', '--physdev-is-in', '--physdev-out', '--physdev-is-out', '--physdev-is-bridged'] as const;

/**
 * physdev: bridge port names are not part of NfPacket, so the options are
 * kept for iptables-save and the match holds (documented in docs/netfilter.md).
 */
export const physdevModule: MatchModule = {
  name: 'physdev',
  options: { '--physdev-in': { args: 1, neg: true }, '--physdev-out': { args: 1, neg: true }, '--physdev-is-in': { args: 0, neg: true }, '--physdev-is-out': { args: 0, neg: true }, '--physdev-is-bridged': { args: 0, neg: true } },
  compile(o) {
    if (o.size === 0) throw new RuleError('PHYSDEV: no physdev option specified');
    const parts = ['-m physdev'];
    for (const k of PHYSDEV_ORDER) {
      const v = o.get(k);
      if (v) parts.push(`${not(v.neg)}${k}${v.args.length ? ` ${v.args[0]}` : ''}`);
    }
    const text = parts.join(' ');
    return { module: 'physdev', inert: true, test: always, save: () => text };
  },
};
