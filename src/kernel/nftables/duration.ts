/**
 * nftables time values: `10800s`, `3h`, `1d2h30m`, `500ms` on input; on output
 * the largest units first, as nft prints them (`3h`, `2h59m50s`).
 */
const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Milliseconds, or undefined when the text is not a duration. A bare number is seconds. */
export function parseDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const re = /(\d+)(ms|d|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index !== consumed) return undefined;
    total += Number(m[1]) * UNITS.find((u) => u[0] === m![2])![1];
    consumed = m.index + m[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let left = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(left / size);
    if (n > 0) {
      out += `${n}${unit}`;
      left -= n * size;
    }
  }
  return out;
}
