import { buildDstIndex, exactFor, nextCandidate, type DstIndex } from './dst-index.js';
import type { Chain } from './table.js';
import { T_ACCEPT, T_DROP, T_GOTO, T_JUMP, T_MARK, T_NAT, T_REJECT, T_RETURN } from './target.js';
import type { Counters, Hook, MatchedRule, NfEnv, NfPacket, TableName, Traversal } from './types.js';

/** Reusable return stack for one namespace's walks (a walk never re-enters itself). */
export interface WalkStack {
  chains: Chain[];
  next: number[];
  /** Set by a walk that reached a volatile rule (walk-cache.ts): its result must not be cached. */
  volatile: boolean;
  /** When set, the walk lists the counters it bumped in `counted` (a cached walk bumps them again). */
  record: boolean;
  counted: Counters[];
}

export function newWalkStack(): WalkStack {
  return { chains: [], next: [], volatile: false, record: false, counted: [] };
}

const NO_RULES: readonly number[] = [];

/** The chain's destination index, built on its first walk after the commit. */
function indexOf(chain: Chain): DstIndex | null {
  let ix = chain.dstIndex;
  if (ix === undefined) chain.dstIndex = ix = buildDstIndex(chain.rules);
  return ix;
}

function ifMatches(name: string | undefined, want: string, wildcard: boolean): boolean {
  if (name === undefined) return false;
  return wildcard ? name.startsWith(want) : name === want;
}

/** The built-in chain's policy decides: it counts the packet (the chain's counters). */
function policy(table: TableName, hook: Hook, base: Chain, pkt: NfPacket, matched: MatchedRule[], evaluated: number, stack: WalkStack): Traversal {
  base.counters.pkts++;
  base.counters.bytes += pkt.length;
  if (stack.record) stack.counted.push(base.counters);
  return { table, hook, verdict: base.policy, matched, byPolicy: true, evaluated };
}

/**
 * ipt_do_table: run `base` (a built-in chain) for one packet. Rules in order;
 * a jump pushes the rule after it, a goto does not, RETURN or the end of a
 * user chain pops (so the end of a goto'd chain returns to its caller's
 * caller); the end of the built-in chain (or a RETURN in it) applies its
 * policy. ACCEPT/DROP/REJECT and the NAT targets end the walk, MARK changes
 * pkt.mark and goes on, a rule with no target only counts.
 */
export function walk(table: TableName, hook: Hook, base: Chain, pkt: NfPacket, env: NfEnv, stack: WalkStack): Traversal {
  const matched: MatchedRule[] = [];
  let evaluated = 0;
  let depth = 0;
  let chain = base;
  let rules = chain.rules;
  let i = 0;
  const src = pkt.src;
  const dst = pkt.dst;
  const proto = pkt.protocol;
  stack.volatile = false;
  stack.counted.length = 0;
  // Long chains of `-d VIP/32` rules (KUBE-SERVICES): jump between the rules this destination can match (dst-index.ts).
  let ix = indexOf(chain);
  let mine = ix ? exactFor(ix, dst) : NO_RULES;
  for (;;) {
    if (ix !== null) {
      const to = nextCandidate(ix, mine, i);
      evaluated += to - i;
      i = to;
    }
    if (i >= rules.length) {
      if (depth === 0) return policy(table, hook, base, pkt, matched, evaluated, stack);
      depth--;
      chain = stack.chains[depth]!;
      rules = chain.rules;
      i = stack.next[depth]!;
      ix = indexOf(chain);
      mine = ix ? exactFor(ix, dst) : NO_RULES;
      continue;
    }
    const r = rules[i]!;
    const at = i++;
    evaluated++;
    if ((((src & r.srcMask) >>> 0) === r.srcNet) === r.srcNeg) continue;
    if ((((dst & r.dstMask) >>> 0) === r.dstNet) === r.dstNeg) continue;
    if (r.proto !== 0 && (proto === r.proto) === r.protoNeg) continue;
    if (r.inIf !== undefined && ifMatches(pkt.inIf, r.inIf.name, r.inIf.wildcard) === r.inIf.neg) continue;
    if (r.outIf !== undefined && ifMatches(pkt.outIf, r.outIf.name, r.outIf.wildcard) === r.outIf.neg) continue;
    if (r.volatile) stack.volatile = true;
    const tests = r.tests;
    let ok = true;
    for (let k = 0; k < tests.length; k++) {
      if (!tests[k]!.test(pkt, env)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    // ipt_do_table: a rule whose matches all hold counts the packet, whatever its target does.
    r.counters.pkts++;
    r.counters.bytes += pkt.length;
    if (stack.record) stack.counted.push(r.counters);
    const t = r.target;
    switch (t.kind) {
      case T_ACCEPT:
        matched.push(r.matched);
        return { table, hook, verdict: 'ACCEPT', matched, byPolicy: false, evaluated };
      case T_DROP:
        matched.push(r.matched);
        return { table, hook, verdict: 'DROP', matched, byPolicy: false, evaluated };
      case T_REJECT:
        matched.push(r.matched);
        return { table, hook, verdict: 'REJECT', rejectWith: t.rejectWith!, matched, byPolicy: false, evaluated };
      case T_NAT:
        matched.push(r.matched);
        return { table, hook, verdict: 'ACCEPT', nat: t.nat!, matched, byPolicy: false, evaluated };
      case T_MARK:
        matched.push(r.matched);
        pkt.mark = ((pkt.mark & ~t.markMask!) ^ t.markValue!) >>> 0;
        continue;
      case T_RETURN:
        matched.push(r.matched);
        if (depth === 0) return policy(table, hook, base, pkt, matched, evaluated, stack);
        depth--;
        chain = stack.chains[depth]!;
        rules = chain.rules;
        i = stack.next[depth]!;
        ix = indexOf(chain);
        mine = ix ? exactFor(ix, dst) : NO_RULES;
        continue;
      case T_JUMP:
      case T_GOTO: {
        matched.push(r.matched);
        if (t.kind === T_JUMP) {
          // Commit-time checks rule out loops, so depth stays below the number of chains.
          // The arrays grow on demand and are reused by the next walk.
          stack.chains[depth] = chain;
          stack.next[depth] = i;
          depth++;
        }
        chain = chain.next[at]!;
        rules = chain.rules;
        i = 0;
        ix = indexOf(chain);
        mine = ix ? exactFor(ix, dst) : NO_RULES;
        continue;
      }
      default:
        continue; // no target: counters only
    }
  }
}
