import type { NetNs } from '../../kernel/netns.js';
import { Netfilter } from '../../kernel/netfilter/netfilter.js';
import { DeferredNetfilter } from '../kube-proxy/iptables/deferred-netfilter.js';
import type { ClusterInput, FlannelInput } from '../spec.js';

/**
 * What kube-flannel.yml runs flanneld with: `--ip-masq` (on in the upstream
 * manifest; flanneld's own default is off), MASQUERADE with `--random-fully`
 * (iptables >= 1.6.2; `--ip-masq-fully-random-disable` turns it off) and
 * `--iptables-forward-rules` (flanneld's default, on).
 */
export const DEFAULT_FLANNEL: FlannelInput = { ipMasq: true, ipMasqFullyRandomDisable: false, iptablesForwardRules: true };

/** kube-proxy's masquerade mark: flanneld leaves packets carrying it to KUBE-POSTROUTING. */
const KUBE_PROXY_MARK = '0x4000/0x4000';
const MULTICAST = '224.0.0.0/4';

/**
 * The iptables rules flanneld keeps on a node, as `iptables-restore --noflush`
 * input in the order it writes them: with `--ip-masq`, FLANNEL-POSTRTG in nat,
 * appended to POSTROUTING (so after kube-proxy's KUBE-POSTROUTING, which
 * kube-proxy inserts at the top): traffic kube-proxy marked is left to it,
 * pod-to-pod traffic within the cluster network is not touched, and what a pod
 * sends out of the cluster network (to a node address, an external host) or a
 * host sends into it is masqueraded; with `--iptables-forward-rules`,
 * FLANNEL-FWD in filter, appended to FORWARD, accepting anything from or to
 * the cluster network (Docker >= 1.13 sets FORWARD's policy to DROP).
 * Each rule's text is as iptables-save prints it.
 */
export function flannelRestoreText(network: string, podCIDR: string, f: FlannelInput): string {
  let text = '';
  if (f.ipMasq) {
    const c = '-m comment --comment "flanneld masq"';
    const masq = `MASQUERADE${f.ipMasqFullyRandomDisable ? '' : ' --random-fully'}`;
    text += [
      '*nat',
      ':FLANNEL-POSTRTG - [0:0]',
      `-A POSTROUTING ${c} -j FLANNEL-POSTRTG`,
      `-A FLANNEL-POSTRTG -m mark --mark ${KUBE_PROXY_MARK} ${c} -j RETURN`,
      // Pod to pod within the overlay, either way: no NAT.
      `-A FLANNEL-POSTRTG -s ${podCIDR} -d ${network} ${c} -j RETURN`,
      `-A FLANNEL-POSTRTG -s ${network} -d ${podCIDR} ${c} -j RETURN`,
      // From outside the cluster network to this node's pods (a route to them on the underlay): no NAT.
      `-A FLANNEL-POSTRTG ! -s ${network} -d ${podCIDR} ${c} -j RETURN`,
      // A pod leaving the cluster network (not multicast) takes the node's address.
      `-A FLANNEL-POSTRTG -s ${network} ! -d ${MULTICAST} ${c} -j ${masq}`,
      // The host (any address outside the cluster network) sending into the overlay.
      `-A FLANNEL-POSTRTG ! -s ${network} -d ${network} ${c} -j ${masq}`,
      'COMMIT',
      '',
    ].join('\n');
  }
  if (f.iptablesForwardRules) {
    const c = '-m comment --comment "flanneld forward"';
    text += ['*filter', ':FLANNEL-FWD - [0:0]', `-A FORWARD ${c} -j FLANNEL-FWD`, `-A FLANNEL-FWD -s ${network} ${c} -j ACCEPT`, `-A FLANNEL-FWD -d ${network} ${c} -j ACCEPT`, 'COMMIT', ''].join(
      '\n',
    );
  }
  return text;
}

/**
 * flanneld's iptables on every node, written after kube-proxy's first sync
 * (flanneld appends; kube-proxy's jumps sit at the top of the built-in chains
 * either way). A node with a saved iptables rule set keeps it as saved (its
 * flannel rules, if any, are in the snapshot). On a node whose kube-proxy
 * rules are still deferred, flanneld's wait with them.
 */
export function programFlannelIptables(nodes: Map<string, NetNs>, spec: ClusterInput): void {
  const f = spec.flannel ?? DEFAULT_FLANNEL;
  if (!f.ipMasq && !f.iptablesForwardRules) return;
  for (const n of spec.nodes) {
    if (n.imported?.iptablesSave) continue;
    const ns = nodes.get(n.name)!;
    const text = flannelRestoreText(spec.clusterCIDR, n.podCIDR, f);
    const engine = ns.nf?.engine;
    const write = (nf: Netfilter): void => void nf.restore(text, { noflush: true });
    if (engine instanceof DeferredNetfilter) engine.andThen(write);
    else if (engine instanceof Netfilter) write(engine);
    else {
      const nf = new Netfilter();
      ns.enableNetfilter(nf);
      write(nf);
    }
  }
}
