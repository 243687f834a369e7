import { saveString } from './rule-text.js';
import { RuleError, required, type MatchModule } from './match.js';

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
    // Two blanks, as iptables 1.8.9 prints it: libxt_nfacct writes "nfacct-name " and xtables_save_string adds its own.
    const text = `-m nfacct --nfacct-name  ${saveString(n)}`;
    return { module: 'nfacct', inert: true, test: always, save: () => text };
  },
};
