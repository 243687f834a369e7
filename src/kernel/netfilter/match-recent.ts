import { formatIpv4, parseIpv4 } from '../../wire/addr.js';
import { RuleError, parseUint, type MatchModule } from './match.js';
import { RECENT_MAX_HITCOUNT, recentStampsFor } from './recent-lists.js';

const COMMANDS = ['--set', '--rcheck', '--update', '--remove'] as const;

/**
 * recent (xt_recent rev 1): lists of source (or destination) addresses with
 * the times they were seen. --set records, --rcheck tests, --update tests and
 * records on a hit, --remove drops; --seconds/--hitcount narrow the test and
 * --reap makes the test forget the list's least recently updated address if
 * even its newest hit is older than --seconds (xt_recent.c, recent_mt).
 */
export const recentModule: MatchModule = {
  name: 'recent',
  options: {
    '--name': { args: 1 },
    '--set': { args: 0, neg: true },
    '--rcheck': { args: 0, neg: true },
    '--update': { args: 0, neg: true },
    '--remove': { args: 0, neg: true },
    '--seconds': { args: 1 },
    '--hitcount': { args: 1 },
    '--reap': { args: 0 },
    '--rsource': { args: 0 },
    '--rdest': { args: 0 },
    '--mask': { args: 1 },
  },
  compile(o, ctx) {
    const cmds = COMMANDS.filter((c) => o.has(c));
    if (cmds.length !== 1) throw new RuleError('recent: you must specify one of `--set\', `--rcheck\' `--update\' or `--remove\'');
    const cmd = cmds[0]!;
    const neg = o.get(cmd)!.neg;
    const name = o.get('--name')?.args[0] ?? 'DEFAULT';
    if (!/^[A-Za-z0-9_.-]{1,199}$/.test(name)) throw new RuleError(`recent: bad --name "${name}"`);
    const seconds = o.has('--seconds') ? parseUint(o.get('--seconds')!.args[0]!, 0xffffffff, 'recent --seconds') : 0;
    const hitcount = o.has('--hitcount') ? parseUint(o.get('--hitcount')!.args[0]!, 0xffffffff, 'recent --hitcount') : 0;
    if (hitcount > RECENT_MAX_HITCOUNT) throw new RuleError(`recent: hitcount (${hitcount}) is larger than allowed maximum (${RECENT_MAX_HITCOUNT})`);
    const reap = o.has('--reap');
    if (reap && seconds === 0) throw new RuleError('recent: --reap requires --seconds');
    if ((seconds || hitcount) && (cmd === '--set' || cmd === '--remove')) throw new RuleError('recent: --seconds and --hitcount only with --rcheck or --update');
    if (o.has('--rsource') && o.has('--rdest')) throw new RuleError('recent: --rsource and --rdest are exclusive');
    const dest = o.has('--rdest');
    const maskText = o.get('--mask')?.args[0];
    const mask = maskText === undefined ? 0xffffffff : parseIpv4(maskText);
    if (mask === undefined) throw new RuleError(`recent: bad --mask "${maskText!}"`);
    const lists = ctx.recent;
    const list = lists.list(name, recentStampsFor(hitcount));
    const windowNs = seconds * 1e9;
    const text = [
      '-m recent',
      `${neg ? '! ' : ''}${cmd}`,
      seconds ? `--seconds ${seconds}` : '',
      reap ? '--reap' : '',
      hitcount ? `--hitcount ${hitcount}` : '',
      `--name ${name}`,
      `--mask ${formatIpv4(mask)}`,
      dest ? '--rdest' : '--rsource',
    ]
      .filter(Boolean)
      .join(' ');
    return {
      module: 'recent',
      inert: false,
      bound: true,
      test(p, env) {
        const addr = ((dest ? p.dst : p.src) & mask) >>> 0;
        const now = env.nowNs;
        const e = list.get(addr);
        if (!e) {
          if (cmd !== '--set') return neg;
          lists.touch(list, addr, now);
          return !neg;
        }
        let hit: boolean;
        if (cmd === '--set') hit = true;
        else if (cmd === '--remove') {
          list.delete(addr);
          return !neg;
        } else if (seconds || hitcount) {
          let hits = 0;
          hit = false;
          for (const t of e.stamps) {
            if (seconds && now - t > windowNs) continue;
            if (!hitcount || ++hits >= hitcount) {
              hit = true;
              break;
            }
          }
        } else hit = true;
        const ret = hit !== neg;
        if (reap) lists.reap(list, now - windowNs, cmd === '--update' && ret ? e : undefined);
        if (cmd === '--set' || (cmd === '--update' && ret)) lists.touch(list, addr, now);
        return ret;
      },
      save: () => text,
    };
  },
};
