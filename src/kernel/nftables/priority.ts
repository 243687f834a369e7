import type { NftHook } from './types.js';

/**
 * Base chain priorities. nft accepts a number or a standard name with an
 * optional offset (`dstnat`, `dstnat - 10`, `dstnat-10`), and lists a priority
 * by name when it is a standard one (within 10 of it), as `nft list` does.
 * These are the IPv4 values of the kernel's NF_IP_PRI_* (raw -300, mangle
 * -150, dstnat -100, filter 0, security 50, srcnat 100); `dstnat` is read on
 * prerouting and output, `srcnat` on postrouting and input (nft 1.0.8 and
 * later accept the output/input forms, so their listings load here), but
 * listed by name only on prerouting and postrouting: nft 1.0.6 (Debian 12)
 * prints `priority -100` on an output chain, and refuses `dstnat` there, so
 * a listing loads back into that nft too. kube-proxy writes numbers anyway
 * (knftables), for the same reason.
 */
const NAMED: readonly [string, number, readonly NftHook[] | undefined][] = [
  ['raw', -300, undefined],
  ['mangle', -150, undefined],
  ['dstnat', -100, ['prerouting', 'output']],
  ['filter', 0, undefined],
  ['security', 50, undefined],
  ['srcnat', 100, ['postrouting', 'input']],
];

/** The hooks nft 1.0.6 lists the NAT names on (std_prio_family_hook_compat before the output/input forms). */
const LISTED_ON: Readonly<Record<string, readonly NftHook[]>> = { dstnat: ['prerouting'], srcnat: ['postrouting'] };

/** The priority the words say, or an error message. */
export function parsePriority(words: readonly string[], hook: NftHook): number | string {
  const text = words.join('');
  const m = /^([a-z]+)?([+-]?\d+)?$/.exec(text);
  if (!m || (m[1] === undefined && m[2] === undefined)) return `invalid priority "${words.join(' ')}"`;
  let base = 0;
  if (m[1] !== undefined) {
    const named = NAMED.find((n) => n[0] === m[1]);
    if (!named) return `unknown priority name "${m[1]}"`;
    if (named[2] && !named[2].includes(hook)) return `priority "${m[1]}" is not valid on hook ${hook}`;
    base = named[1];
    if (m[2] !== undefined && !/^[+-]/.test(m[2])) return `invalid priority "${words.join(' ')}"`;
  }
  return base + (m[2] === undefined ? 0 : Number(m[2]));
}

/** As `nft list` (1.0.6) prints it: `filter`, `dstnat - 10`, or the number. */
export function formatPriority(p: number, hook: NftHook): string {
  for (const [name, value] of NAMED) {
    const hooks = LISTED_ON[name];
    if (hooks && !hooks.includes(hook)) continue;
    const off = p - value;
    if (off === 0) return name;
    if (Math.abs(off) <= 10) return `${name} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`;
  }
  return String(p);
}
