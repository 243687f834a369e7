/** kube-proxy, iptables mode: Services + EndpointSlices -> the iptables-restore text a node gets. */
export type { ProxierConfig, ResolvedProxierConfig } from './config.js';
export { resolveConfig } from './config.js';
export { syncProxyRules, planProxyRules, LARGE_CLUSTER_ENDPOINTS_THRESHOLD, type ProxyRulesPlan, type ServicePortPlan } from './iptables/iptables-proxier.js';
export { jumpRules, jumpRuleList, type JumpRule } from './iptables/jump-rules.js';
export { serviceChains, chainOwners, type ServiceChainsEntry, type EndpointChainEntry, type ChainOwner } from './iptables/service-chains.js';
export { validateProxyInput } from './validate.js';
export { chainHash, servicePortName, servicePortChains, endpointChain, isServiceChainName, type ServicePortChains } from './chain-names.js';
export { probability, probabilityLadder, formatFixed } from './iptables/probability-ladder.js';
export { endpointsFor, categorizeEndpoints, type ProxyEndpoint, type CategorizedEndpoints } from './endpoints.js';
export { servicePortInfos, type ServicePortInfo } from './service-port.js';
export { IPVS_SETS } from './ipvs/ipvs-proxier.js';
