import { formatDuration } from './duration.js';
import { compareKeys, elementsPerLine } from './element-order.js';
import { formatPriority } from './priority.js';
import type { Nftables, NftTable } from './ruleset.js';
import type { NftSet } from './set.js';

/**
 * `nft list ruleset`: every table with its sets and maps (elements as the
 * nft sorts and lays them out, with the time left on timed ones), then its chains with
 * their hook, priority (by name when standard) and policy, and the rules as
 * nft prints them back. `dynsetTimeoutListed`: the machine's kernel is older
 * than 6.12 (MachineKernel.nftDynsetTimeoutListed; NftSet.formatElement).
 */
export function listRuleset(nft: Nftables, nowNs: number, dynsetTimeoutListed = false): string {
  nft.materialize();
  const out: string[] = [];
  for (const t of nft.tables.values()) out.push(listTable(t, nowNs, dynsetTimeoutListed));
  return out.join('\n');
}

function listTable(t: NftTable, nowNs: number, dynsetTimeoutListed: boolean): string {
  const lines = [`table ${t.family} ${t.name} {`];
  if (t.comment !== undefined) lines.push(`\tcomment "${t.comment}"`);
  const blocks: string[][] = [];
  for (const s of t.sets.values()) blocks.push(listSet(s, nowNs, dynsetTimeoutListed));
  for (const c of t.chains.values()) {
    const b = [`\tchain ${c.name} {`];
    if (c.comment !== undefined) b.push(`\t\tcomment "${c.comment}"`);
    if (c.base) b.push(`\t\ttype ${c.base.type} hook ${c.base.hook} priority ${formatPriority(c.base.priority, c.base.hook)}; policy ${c.base.policy};`);
    for (const r of c.rules) b.push(`\t\t${r.list}`);
    b.push('\t}');
    blocks.push(b);
  }
  blocks.forEach((b, i) => {
    if (i > 0) lines.push('');
    lines.push(...b);
  });
  lines.push('}');
  return lines.join('\n');
}

function listSet(s: NftSet, nowNs: number, dynsetTimeoutListed: boolean): string[] {
  const b = [`\t${s.isMap ? 'map' : 'set'} ${s.name} {`, `\t\ttype ${s.typeText()}`];
  if (s.maxElements !== undefined) b.push(`\t\tsize ${s.maxElements}`);
  if (s.flags.length > 0) b.push(`\t\tflags ${[...s.flags].sort((x, y) => FLAG_ORDER.indexOf(x) - FLAG_ORDER.indexOf(y)).join(',')}`);
  if (s.autoMerge) b.push('\t\tauto-merge');
  if (s.timeoutMs !== undefined) b.push(`\t\ttimeout ${formatDuration(s.timeoutMs)}`);
  if (s.comment !== undefined) b.push(`\t\tcomment "${s.comment}"`);
  const els = s
    .elements(nowNs)
    .sort((x, y) => compareKeys(s.keyTypes, x.key, y.key))
    .map((e) => s.formatElement(e, nowNs, dynsetTimeoutListed));
  if (els.length > 0) {
    const perLine = elementsPerLine(s.keyTypes);
    const text = els.map((e, i) => (i === 0 ? '' : i % perLine === 0 ? '\n\t\t\t     ' : ' ') + e + (i < els.length - 1 ? ',' : ' }')).join('');
    b.push(`\t\telements = { ${text}`);
  }
  b.push('\t}');
  return b;
}

/**
 * The ruleset as `add` commands, one object per line, in the form kube-proxy's
 * nftables library (knftables) writes and its tests compare: tables, chains,
 * sets and maps with their properties, rules as they were written, elements.
 */
export function dumpRuleset(nft: Nftables): string {
  nft.materialize();
  const out: string[] = [];
  for (const t of nft.tables.values()) {
    const p = `${t.family} ${t.name}`;
    out.push(`add table ${p}${t.comment === undefined ? '' : ` { comment "${t.comment}" ; }`}`);
    for (const c of t.chains.values()) {
      const props: string[] = [];
      if (c.base) props.push(`type ${c.base.type} hook ${c.base.hook} priority ${c.base.priority} ;`);
      if (c.comment !== undefined) props.push(`comment "${c.comment}" ;`);
      out.push(`add chain ${p} ${c.name}${props.length > 0 ? ` { ${props.join(' ')} }` : ''}`);
    }
    for (const s of t.sets.values()) {
      const props = [`type ${s.typeText()} ;`];
      if (s.flags.length > 0) props.push(`flags ${s.flags.join(',')} ;`);
      if (s.autoMerge) props.push('auto-merge ;');
      if (s.timeoutMs !== undefined) props.push(`timeout ${s.timeoutMs / 1000}s ;`);
      if (s.comment !== undefined) props.push(`comment "${s.comment}" ;`);
      out.push(`add ${s.isMap ? 'map' : 'set'} ${p} ${s.name} { ${props.join(' ')} }`);
    }
    for (const c of t.chains.values()) for (const r of c.rules) out.push(`add rule ${p} ${c.name} ${r.text}`);
    for (const s of t.sets.values()) for (const e of s.elements(0)) if (e.expiresNs === undefined) out.push(`add element ${p} ${s.name} { ${s.formatElement(e)} }`);
  }
  return `${out.join('\n')}\n`;
}

/** The order nft lists set flags in, whatever order they were declared in. */
const FLAG_ORDER = ['constant', 'dynamic', 'interval', 'timeout'];
