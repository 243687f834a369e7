/**
 * How wide a matcher's failure message may be. vitest prints the message as
 * it is, so a hop table wider than the terminal wraps into ragged lines where
 * the marked row is hard to find: the message is folded to fit, as the CLI
 * fits its tables to the window. vitest runs tests in workers whose stdout is
 * not the terminal (no `columns`), so `COLUMNS`, when set, says the width
 * (`COLUMNS=$COLUMNS npx vitest`); else the terminal's, when there is one;
 * else 80, vitest's own assumption when it does not know.
 */
export const DEFAULT_WIDTH = 80;
/** Narrower than this and a table has no room for its event column (the CLI's floor too). */
const MIN_WIDTH = 40;

export function failureWidth(env: Record<string, string | undefined> = process.env, stdout: { isTTY?: boolean; columns?: number } = process.stdout): number {
  const fromEnv = Number(env['COLUMNS']);
  if (env['COLUMNS'] !== undefined && Number.isInteger(fromEnv) && fromEnv > 0) return Math.max(fromEnv, MIN_WIDTH);
  if (stdout.isTTY === true && stdout.columns !== undefined && stdout.columns > 0) return Math.max(stdout.columns, MIN_WIDTH);
  return DEFAULT_WIDTH;
}
