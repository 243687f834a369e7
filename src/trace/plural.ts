/** `1 rule`, `2 rules`, `0 rules`: a count and its noun, as English agrees them (`many` for irregular plurals). */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
