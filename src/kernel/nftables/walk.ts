import type { NfEnv, NfPacket } from '../netfilter/types.js';
import type { HookedChain, NftChain } from './ruleset.js';
import { BREAK, VERDICT, type WalkState } from './rule.js';
import type { NftTraversal } from './types.js';
import type { NftVerdict } from './verdict.js';

/**
 * nft_do_chain: run one base chain for a packet. Rules in order, each rule's
 * statements in order until one does not match (the rule is skipped) or one
 * sets a verdict. `jump` remembers where to come back, `goto` does not;
 * `return` or the end of a regular chain goes back to the last jump (so the
 * end of a goto'd chain returns to its caller's caller); the end of the base
 * chain applies its policy. accept, drop, reject and the NAT statements end
 * the walk (NAT is an accept with a binding); `continue` goes on with the next
 * rule. Set and map lookups are counted: they are what keeps the cost flat.
 */
export function walkBaseChain(hc: HookedChain, pkt: NfPacket, env: NfEnv): NftTraversal {
  const { table } = hc;
  const base = hc.chain;
  const s: WalkState = { pkt, env, elements: [], lookups: 0, verdict: undefined, nat: undefined, volatile: false };
  const rules: string[] = [];
  const stack: { chain: NftChain; next: number }[] = [];
  let chain = base;
  let i = 0;
  let evaluated = 0;
  const end = (verdict: NftTraversal['verdict'], byPolicy: boolean, extra: Partial<NftTraversal> = {}): NftTraversal => ({ verdict, rules, elements: s.elements, byPolicy, evaluated, lookups: s.lookups, volatile: s.volatile, ...extra });
  for (;;) {
    if (i >= chain.rules.length) {
      const back = stack.pop();
      if (!back) return end(base.base!.policy, true);
      chain = back.chain;
      i = back.next;
      continue;
    }
    const rule = chain.rules[i++]!;
    evaluated++;
    s.verdict = undefined;
    let matched = true;
    for (const st of rule.stmts) {
      const r = st.run(s);
      if (r === BREAK) {
        matched = false;
        break;
      }
      if (r === VERDICT) break;
    }
    if (!matched) continue;
    rules.push(`${chain.name}: ${rule.list}`);
    const v = s.verdict as NftVerdict | undefined; // set by the statements run above
    if (!v) continue;
    switch (v.kind) {
      case 'continue':
        continue;
      case 'accept':
        return end('accept', false, s.nat ? { nat: s.nat } : {});
      case 'drop':
        return end('drop', false);
      case 'reject':
        return end('reject', false, { rejectWith: v.with });
      case 'return': {
        const back = stack.pop();
        if (!back) return end(base.base!.policy, true);
        chain = back.chain;
        i = back.next;
        continue;
      }
      case 'jump':
      case 'goto': {
        const target = table.chains.get(v.chain);
        if (!target) continue; // cannot happen: commits check every target
        if (v.kind === 'jump') stack.push({ chain, next: i });
        chain = target;
        i = 0;
        continue;
      }
    }
  }
}
