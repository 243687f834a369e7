import { Netfilter } from '../../../kernel/netfilter/netfilter.js';
import type { SharedRules } from '../../../kernel/netfilter/shared-rules.js';

/**
 * A node's iptables whose kube-proxy programming is carried out the first time
 * anything looks at the rules — a packet reaching a hook, `show iptables`, the
 * policy agent's own restore. Until then the node pays neither for generating
 * kube-proxy's iptables-restore text nor for parsing it: a 1,000-node cluster
 * with 10,000 Services keeps 999 nodes' worth of 170,000 rules unbuilt when
 * the traffic only crosses one or two of them.
 *
 * Nothing observable changes: the same restores run in the same order before
 * the first use, and kube-proxy's output depends only on the API objects the
 * build saw (never on time or randomness). Every method of Netfilter is
 * wrapped generically, so methods added to the engine later are covered too.
 */
export class DeferredNetfilter extends Netfilter {
  private pending: ((rules: Netfilter) => void) | undefined;

  constructor(program: (rules: Netfilter) => void, shared?: SharedRules) {
    super(shared);
    this.pending = program;
    for (const name of Object.getOwnPropertyNames(Netfilter.prototype)) {
      if (name === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(Netfilter.prototype, name);
      if (typeof d?.value !== 'function') continue;
      const base = d.value as (...args: unknown[]) => unknown;
      Object.defineProperty(this, name, {
        configurable: true,
        writable: true,
        value: (...args: unknown[]): unknown => {
          this.materialize();
          return base.apply(this, args);
        },
      });
    }
  }

  /** Whether the deferred programming has run (for benchmarks and tests). */
  get programmed(): boolean {
    return this.pending === undefined;
  }

  /**
   * Another component's programming, to run after what is deferred (at once
   * when that already ran): flanneld's rules follow kube-proxy's first sync.
   */
  andThen(program: (rules: Netfilter) => void): void {
    const first = this.pending;
    if (!first) return program(this);
    this.pending = (rules) => {
      first(rules);
      program(rules);
    };
  }

  /** Run the deferred programming now (idempotent). */
  materialize(): void {
    const program = this.pending;
    if (!program) return;
    this.pending = undefined;
    // Drop the wrappers: from now on calls go straight to the engine's methods (no cost on the hot path).
    for (const name of Object.getOwnPropertyNames(this)) {
      if (typeof Object.getOwnPropertyDescriptor(this, name)?.value === 'function' && name in Netfilter.prototype) delete (this as Record<string, unknown>)[name];
    }
    program(this);
  }
}
