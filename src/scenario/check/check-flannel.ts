import { DEFAULT_FLANNEL } from '../../cluster/flannel/iptables.js';
import type { FlannelInput } from '../../cluster/spec.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

const FIELDS = ['ipMasq', 'ipMasqFullyRandomDisable', 'iptablesForwardRules'];

/**
 * `cluster.flannel`: the flanneld switches that decide the iptables rules it
 * writes on every node, named after its flags; the defaults are what
 * kube-flannel.yml runs (`--ip-masq` on, although flanneld's own default is
 * off; fully random masquerade; forward rules on).
 */
export function checkFlannel(r: YamlReader, at: At | undefined): FlannelInput {
  const m = at && at.node != null ? (r.map(at, FIELDS) ?? new Map<string, At>()) : new Map<string, At>();
  return {
    ipMasq: r.bool(m.get('ipMasq')) ?? DEFAULT_FLANNEL.ipMasq,
    ipMasqFullyRandomDisable: r.bool(m.get('ipMasqFullyRandomDisable')) ?? DEFAULT_FLANNEL.ipMasqFullyRandomDisable,
    iptablesForwardRules: r.bool(m.get('iptablesForwardRules')) ?? DEFAULT_FLANNEL.iptablesForwardRules,
  };
}
