/**
 * One rule for a seed wherever it is given (`cluster.seed`, `--seed`, the
 * library's `seed` option): a decimal integer from 0 to 2^32 - 1, the range
 * of the RNG's state. `0x10`, `1e3`, `""` or 2^32 are refused rather than
 * read as some other seed than the one printed.
 */
export const MAX_SEED = 2 ** 32 - 1;
export const SEED_RULE = `a decimal integer from 0 to ${MAX_SEED}`;

/** The seed written as text (a command-line value, a YAML scalar's source), or an error message. */
export function parseSeedText(text: string): number | string {
  if (!/^[0-9]{1,10}$/.test(text) || Number(text) > MAX_SEED) return `expected ${SEED_RULE}, found ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`;
  return Number(text);
}

/** The seed given as a value (library options), or an error message. */
export function checkSeedValue(v: unknown): number | string {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SEED) return `expected ${SEED_RULE}, found ${typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v}`;
  return v;
}
