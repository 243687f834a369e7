/**
 * An iptables-restore document being built: per table, the chains to declare
 * (`:NAME - [0:0]`, which with --noflush flushes or creates them) and each
 * chain's rules in order.
 *
 * Upstream writes rules interleaved by service in Go map order; the kernel
 * only cares about the order within each chain, so we print chains grouped
 * and sorted the way upstream's tests sort kube-proxy's output
 * (sortIPTablesRules): KUBE-NODEPORTS, then KUBE-SERVICES, then the rest
 * alphabetically, each chain's rules in the order they were written.
 */
export class RestoreTable {
  private readonly chains = new Map<string, string[]>();

  constructor(readonly name: 'filter' | 'nat') {}

  /** Declare a chain (idempotent). */
  declare(chain: string): void {
    if (!this.chains.has(chain)) this.chains.set(chain, []);
  }

  /** Append `-A <chain> <args...>`; the chain must have been declared. */
  append(chain: string, ...args: (string | readonly string[])[]): void {
    const rules = this.chains.get(chain);
    if (rules === undefined) throw new Error(`kube-proxy model: rule for undeclared chain ${this.name}/${chain}`);
    rules.push(['-A', chain, ...args.flat()].join(' '));
  }

  has(chain: string): boolean {
    return this.chains.has(chain);
  }

  chainNames(): string[] {
    return [...this.chains.keys()].sort(compareChains);
  }

  rulesOf(chain: string): readonly string[] {
    return this.chains.get(chain) ?? [];
  }

  /** `*table`, chain lines, rules, `COMMIT`, newline-terminated. */
  render(): string {
    const names = this.chainNames();
    const lines = [`*${this.name}`, ...names.map((c) => `:${c} - [0:0]`)];
    for (const c of names) lines.push(...this.rulesOf(c));
    lines.push('COMMIT');
    return lines.join('\n') + '\n';
  }
}

function rank(chain: string): number {
  if (chain === 'KUBE-NODEPORTS') return 0;
  if (chain === 'KUBE-SERVICES') return 1;
  return chain.startsWith('KUBE-') ? 2 : 3;
}

export function compareChains(a: string, b: string): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Wrap a comment that contains spaces in double quotes, as kube-proxy writes it. */
export function quoted(text: string): string {
  return `"${text}"`;
}
