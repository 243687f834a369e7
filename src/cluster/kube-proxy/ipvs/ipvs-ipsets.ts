import { IpSetError, type IpSets } from '../../../kernel/netfilter/ipset.js';
import type { NetNs } from '../../../kernel/netns.js';

/**
 * kube-proxy's syncIPSetEntries adds the entries one by one and, when the
 * kernel refuses one, logs "Failed to add ip set entry" and goes on with the
 * rest. The plan's `ipset restore` text is applied the same way: a refused
 * line is a `proxy-sync` change on the node, never a failure of the run.
 */
export function applyIpsets(ns: NetNs, sets: IpSets, text: string): void {
  let lines = text.split('\n');
  for (;;) {
    try {
      sets.restore(lines.join('\n'));
      return;
    } catch (e) {
      if (!(e instanceof IpSetError) || e.line === undefined) throw e;
      const refused = lines[e.line - 1]!.trim();
      ns.world.change(ns.name, 'proxy-sync', `ipset ${refused}: ${e.message.replace(/^Error in line \d+: /, '')} (kube-proxy logs it and goes on)`);
      // restore applied the lines before the refused one.
      lines = lines.slice(e.line);
    }
  }
}
