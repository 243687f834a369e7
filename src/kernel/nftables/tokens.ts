/**
 * The lexer for `nft -f` text. Words are split on blanks; `{ } ; ,` and line
 * ends are tokens of their own; a double-quoted string is one token (quotes
 * kept, so a comment never reads as syntax); `#` starts a comment to the end of
 * the line. The concatenation dot and the map colon are separate tokens only
 * when written with blanks around them (` . `, ` : `), as nft writes them, since
 * `10.0.0.1:80` and `endpoint-.../10.180.0.1/80` are single words.
 */
export interface Token {
  text: string;
  line: number;
  col: number;
}

export const NL = '\n';

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const push = (text: string, at: number): void => {
    out.push({ text, line, col: at - lineStart + 1 });
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      push(NL, i);
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
      line++;
      lineStart = i;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"' && src[j] !== '\n') j++;
      push(src.slice(i, j + 1), i);
      i = j + 1;
      continue;
    }
    if (c === '{' || c === '}' || c === ';' || c === ',') {
      push(c, i);
      i++;
      continue;
    }
    let j = i;
    while (j < src.length && !' \t\r\n{};,"'.includes(src[j]!)) j++;
    push(src.slice(i, j), i);
    i = j;
  }
  return out;
}

/** The text of a quoted token without its quotes. */
export function unquote(text: string): string {
  return text.startsWith('"') && text.endsWith('"') && text.length >= 2 ? text.slice(1, -1) : text;
}
