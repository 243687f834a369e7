import { NftError } from './rule.js';
import { NL, tokenize, type Token } from './tokens.js';

/**
 * `nft -f` input split into commands. A command ends at a line end or `;`
 * outside braces; inside braces line ends are blanks (an element list may
 * span lines). A `table FAMILY NAME { ... }` block is rewritten into the
 * equivalent `add` commands (sets, maps and chains with their rules), so what
 * `nft list ruleset` prints loads back.
 */
export interface Command {
  words: Token[];
}

export function splitCommands(text: string): Command[] {
  const toks = tokenize(text);
  const out: Command[] = [];
  let cur: Token[] = [];
  let depth = 0;
  const end = (): void => {
    if (cur.length > 0) out.push({ words: cur });
    cur = [];
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (depth === 0 && cur.length === 0 && t.text === 'table' && i + 3 < toks.length) {
      const block = tableBlock(toks, i);
      if (block) {
        out.push(...block.commands);
        i = block.end;
        continue;
      }
    }
    if (t.text === '{') depth++;
    if (t.text === '}') {
      depth--;
      if (depth < 0) throw new NftError('unexpected "}"', t.line, t.col);
    }
    if (depth === 0 && (t.text === NL || t.text === ';')) {
      end();
      continue;
    }
    if (t.text === NL) continue;
    cur.push(t);
  }
  if (depth > 0) {
    const last = toks[toks.length - 1]!;
    throw new NftError('unterminated "{"', last.line, last.col);
  }
  end();
  return out;
}

const FAMILIES = new Set(['ip', 'inet', 'ip6', 'arp', 'bridge', 'netdev']);

/** `table [FAMILY] NAME { ... }` starting at toks[i]; undefined when it is not a block. */
function tableBlock(toks: Token[], i: number): { commands: Command[]; end: number } | undefined {
  let j = i + 1;
  const head: Token[] = [];
  if (FAMILIES.has(toks[j]!.text)) head.push(toks[j++]!);
  head.push(toks[j++]!);
  if (toks[j]?.text !== '{') return undefined;
  const at = toks[i]!;
  const word = (text: string): Token => ({ text, line: at.line, col: at.col });
  const commands: Command[] = [{ words: [word('add'), word('table'), ...head] }];
  // Every chain exists before any rule: a rule may jump to a chain listed after its own (nft resolves the block as a whole).
  const rules: Command[] = [];
  j++;
  // Inside the table: `comment "x"`, `set NAME { ... }`, `map NAME { ... }`, `chain NAME { ... }`.
  for (;;) {
    while (toks[j] && (toks[j]!.text === NL || toks[j]!.text === ';')) j++;
    const t = toks[j];
    if (!t) throw new NftError('unterminated table block', at.line, at.col);
    if (t.text === '}') return { commands: [...commands, ...rules], end: j };
    if (t.text === 'comment') {
      commands[0]!.words.push(word('{'), t, toks[j + 1]!, word(';'), word('}'));
      j += 2;
      continue;
    }
    if (t.text !== 'set' && t.text !== 'map' && t.text !== 'chain') throw new NftError(`unexpected "${t.text}" in a table block`, t.line, t.col);
    const name = toks[j + 1]!;
    if (toks[j + 2]?.text !== '{') throw new NftError(`expected "{" after ${t.text} ${name.text}`, name.line, name.col);
    let k = j + 3;
    let depth = 1;
    const body: Token[][] = [[]];
    while (depth > 0) {
      const b = toks[k++];
      if (!b) throw new NftError(`unterminated ${t.text} block`, t.line, t.col);
      if (b.text === '{') depth++;
      if (b.text === '}') depth--;
      if (depth === 0) break;
      if (depth === 1 && (b.text === NL || b.text === ';')) body.push([]);
      else if (b.text !== NL) body[body.length - 1]!.push(b);
    }
    const lines = body.filter((l) => l.length > 0);
    if (t.text === 'chain') {
      // `type ... hook ... priority ...`, `policy ...` and `comment ...` describe the chain; every other line is a rule.
      const isProp = (l: Token[]): boolean => ['type', 'policy', 'comment'].includes(l[0]!.text);
      const spec = lines.filter(isProp).flatMap((l) => [...l, word(';')]);
      commands.push({ words: [word('add'), word('chain'), ...head, name, ...(spec.length > 0 ? [word('{'), ...spec, word('}')] : [])] });
      for (const l of lines) if (!isProp(l)) rules.push({ words: [word('add'), word('rule'), ...head, name, ...l] });
    } else {
      const spec = lines.flatMap((l) => [...l, word(';')]);
      commands.push({ words: [word('add'), t, ...head, name, word('{'), ...spec, word('}')] });
    }
    j = k;
  }
}
