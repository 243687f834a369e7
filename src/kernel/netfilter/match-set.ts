import { RuleError, not, type MatchModule } from './match.js';

/** set: `--match-set NAME src|dst[,...]` against the namespace's ipsets. */
export const setModule: MatchModule = {
  name: 'set',
  options: { '--match-set': { args: 2, neg: true }, '--set': { args: 2, neg: true, alias: '--match-set' } },
  compile(o, ctx) {
    const m = o.get('--match-set');
    if (!m) throw new RuleError('set: You must specify `--match-set\' with proper arguments');
    const [name, dirText] = m.args as [string, string];
    const set = ctx.sets.get(name);
    if (!set) throw new RuleError(`Set ${name} doesn't exist.`);
    const dirs = dirText.split(',').map((d) => {
      if (d !== 'src' && d !== 'dst') throw new RuleError(`You must specify (the comma separated list of) 'src' or 'dst'.`);
      return d === 'src' ? 0 : 1;
    });
    if (dirs.length > 6) throw new RuleError("set: Can't be more src/dst options than 6.");
    const neg = m.neg;
    const text = `-m set ${not(neg)}--match-set ${name} ${dirText}`;
    // Any `src` direction may be a port dimension's (the set's type decides): the source port may be read.
    return { module: 'set', inert: false, bound: true, setName: name, ...(dirs.includes(0) ? { readsSport: true as const } : {}), test: (p) => set.testPacket(p, dirs) !== neg, save: () => text };
  },
};
