import { columnOf, DumpError } from '../dump-error.js';
import { MATCH_MODULES } from './matches.js';
import type { Netfilter } from './netfilter.js';
import { NetfilterParseError } from './parse.js';
import type { Rule } from './rule.js';
import { TARGET_OPTIONS } from './target.js';
import type { TableName } from './types.js';

/** The match extensions (`-m NAME`) the kernel model evaluates, sorted. */
export const SUPPORTED_MATCHES: readonly string[] = [...MATCH_MODULES.keys()].sort();
/** The target extensions (`-j NAME`) it carries out, besides jumps and gotos to chains. */
export const SUPPORTED_TARGETS: readonly string[] = Object.keys(TARGET_OPTIONS);

/**
 * Load the output of `iptables-save` taken on a real node into an empty rule
 * set, as `iptables-restore` would load it there. Sets that rules name with
 * `-m set --match-set` and the namespace does not have are created empty
 * first (`iptables-save` does not carry ipsets: `ipset save` does), and
 * returned so the caller can say so. Throws DumpError with the line and the
 * column of the word iptables-restore stumbled on.
 */
export function importIptablesSave(nf: Netfilter, text: string): { createdSets: { name: string; line: number; col: number }[] } {
  const createdSets: { name: string; line: number; col: number }[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/--match-set\s+(\S+)/g)) {
      const name = m[1]!;
      if (nf.ipsets.get(name)) continue;
      nf.ipsets.create(name, 'hash:ip');
      createdSets.push({ name, line: i + 1, col: (m.index ?? 0) + m[0].length - name.length + 1 });
    }
  });
  try {
    nf.restore(text);
  } catch (e) {
    if (!(e instanceof NetfilterParseError)) throw e;
    const raw = lines[e.line - 1] ?? '';
    const { word, message } = explain(e.reason);
    throw new DumpError(e.line, columnOf(raw, word), message);
  }
  return { createdSets };
}

/** iptables-restore's complaint, reworded where podwalk knows more (what it models), and the word it is about. */
function explain(reason: string): { word: string | undefined; message: string } {
  const quoted = /[`"]([^'"]+)['"]/.exec(reason)?.[1];
  const match = /^Couldn't load match `([^']*)'/.exec(reason);
  if (match) return { word: match[1], message: `unknown match -m ${match[1]}: podwalk models ${SUPPORTED_MATCHES.join(', ')}` };
  const target = /^Couldn't load target `([^']*)'/.exec(reason);
  if (target) return { word: target[1], message: `unknown target -j ${target[1]}: no chain of that name in this table, and not a target podwalk models (${SUPPORTED_TARGETS.join(', ')})` };
  return { word: quoted, message: `iptables-restore: ${reason}` };
}

/** One address a rule names: `-s`, `-d`, or where DNAT/SNAT send the packet. */
export interface RuleAddress {
  table: TableName;
  line: number;
  role: '-s' | '-d' | '--to-destination' | '--to-source';
  net: number;
  mask: number;
}

/** Every address the rules name (for checking them against what the cluster has), in table and rule order. */
export function ruleAddresses(nf: Netfilter): RuleAddress[] {
  const out: RuleAddress[] = [];
  nf.forEachRule((table: TableName, r: Rule) => {
    if (r.srcMask !== 0) out.push({ table, line: r.line, role: '-s', net: r.srcNet, mask: r.srcMask });
    if (r.dstMask !== 0) out.push({ table, line: r.line, role: '-d', net: r.dstNet, mask: r.dstMask });
    const nat = r.target.nat;
    if (nat && nat.type !== 'MASQUERADE') {
      const role = nat.type === 'DNAT' ? '--to-destination' : '--to-source';
      for (let ip = nat.toIp; ip <= (nat.toIpMax ?? nat.toIp) && ip - nat.toIp < 256; ip++) out.push({ table, line: r.line, role, net: ip, mask: 0xffffffff });
    }
  });
  return out;
}

/** Every interface name a rule matches with `-i`/`-o` (a `+` suffix is a prefix match). */
export function ruleInterfaces(nf: Netfilter): { line: number; role: '-i' | '-o'; name: string; wildcard: boolean }[] {
  const out: { line: number; role: '-i' | '-o'; name: string; wildcard: boolean }[] = [];
  nf.forEachRule((_t, r) => {
    if (r.inIf) out.push({ line: r.line, role: '-i', name: r.inIf.name, wildcard: r.inIf.wildcard });
    if (r.outIf) out.push({ line: r.line, role: '-o', name: r.outIf.name, wildcard: r.outIf.wildcard });
  });
  return out;
}
