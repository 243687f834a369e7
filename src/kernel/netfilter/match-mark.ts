import { hex } from './rule-text.js';
import { not, required, valueMask, type MatchModule } from './match.js';

/** mark: (skb->mark & mask) == value; printed `0xV` or `0xV/0xM`. */
export const markModule: MatchModule = {
  name: 'mark',
  options: { '--mark': { args: 1, neg: true } },
  compile(o) {
    const m = required(o, '--mark', 'mark');
    const [value, mask] = valueMask(m.args[0]!);
    const neg = m.neg;
    const text = `-m mark ${not(neg)}--mark ${hex(value)}${mask === 0xffffffff ? '' : `/${hex(mask)}`}`;
    return { module: 'mark', inert: false, test: (p) => (((p.mark & mask) >>> 0) === value) !== neg, save: () => text };
  },
};
