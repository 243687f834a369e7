/**
 * The scenario format as a JSON Schema (draft-07, what editors' YAML language
 * servers read): `podwalk schema` prints it, schema/podwalk-scenario.schema.json
 * ships it. It mirrors the loader (src/scenario/check/*): every mapping the
 * loader closes with a list of known keys is closed here with the same keys,
 * which test/scenario/schema.test.ts checks by recording what the loader
 * accepts. Kubernetes fields the loader accepts without acting on them are
 * listed (typed loosely) so that real manifests validate.
 */
import { KERNEL_LIMIT_NAMES, KERNEL_LIMITS } from '../../kernel/limits.js';
import { DROP_REASONS } from '../../trace/events.js';

type Schema = Record<string, unknown>;

const closed = (properties: Record<string, Schema>, description?: string, required?: string[]): Schema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  additionalProperties: false,
  ...(required ? { required } : {}),
});
const open = (description: string, properties: Record<string, Schema> = {}): Schema => ({ type: 'object', description, properties, additionalProperties: true });
const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const int = (description: string, minimum: number, maximum: number, extra: Schema = {}): Schema => ({ type: 'integer', description, minimum, maximum, ...extra });
const bool = (description: string, dflt?: boolean): Schema => ({ type: 'boolean', description, ...(dflt === undefined ? {} : { default: dflt }) });
const oneOf = (description: string, choices: readonly string[], dflt?: string): Schema => ({ type: 'string', description, enum: [...choices], ...(dflt === undefined ? {} : { default: dflt }) });
const list = (items: Schema, description: string): Schema => ({ type: 'array', description, items });
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
/** Accepted as Kubernetes allows it; podwalk does not act on it. */
const ignored = (what = 'accepted as Kubernetes allows it; not modelled'): Schema => ({ description: what });
const ignoredAll = (keys: readonly string[]): Record<string, Schema> => Object.fromEntries(keys.map((k) => [k, ignored()]));

const CIDR = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$';
const IPV4 = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$';
/** An IPv4 address, or anything with a ':' (an IPv6 one, where the loader reads past it). */
const IPV4_OR_6 = '^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)$';
const DURATION = '^[0-9]+(\\.[0-9]+)?\\s*(ns|us|µs|ms|s)$';
/** time.ParseDuration's syntax (kube-proxy's settings): one or more <number><unit>, units up to hours. */
const GO_DURATION = '^\\+?(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$';
const goDuration = (description: string): Schema => ({ description, anyOf: [{ type: 'string', pattern: GO_DURATION }, { type: 'string', pattern: DURATION }, { const: 0 }, { const: '0' }] });
const duration = (description: string, dflt?: string): Schema => ({ description, anyOf: [{ type: 'string', pattern: DURATION }, { const: 0 }], ...(dflt === undefined ? {} : { default: dflt }) });

/** The integer sysctls (kernel/limits.ts), for cluster.sysctls and the sysctl step. */
const limitSchemas: Record<string, Schema> = Object.fromEntries(KERNEL_LIMIT_NAMES.map((n) => [n, int(`default ${KERNEL_LIMITS[n].dflt}`, KERNEL_LIMITS[n].min, KERNEL_LIMITS[n].max, { default: KERNEL_LIMITS[n].dflt })]));

/** The switches and modes (kernel/sysctls.ts), for cluster.sysctls (with a kubeadm node's defaults) and the sysctl step. */
const switchSchemas = (defaults: boolean): Record<string, Schema> => {
  const dflt = (v: number): Schema => (defaults ? { default: v } : {});
  return {
    'net.ipv4.ip_forward': int('1 on a kubeadm node (preflight requires it)', 0, 1, dflt(1)),
    'net.bridge.bridge-nf-call-iptables': int('1 on a kubeadm node (preflight requires it): bridged IPv4 traverses iptables', 0, 1, dflt(1)),
    'net.ipv4.conf.all.route_localnet': int('default: 1 when kube-proxy serves localhost NodePorts (it sets it), else 0', 0, 1),
    'net.ipv4.conf.all.ignore_routes_with_linkdown': int("1: route lookups skip a route whose device has no carrier (a node step's eth0); 0, the kernel's default, keeps using it", 0, 1, dflt(0)),
    'net.ipv4.conf.all.rp_filter': int('reverse-path filter for every device: 0 off, 1 strict, 2 loose; effective per device = max(all, device). 2 on a kubeadm node (Ubuntu, systemd 50-default.conf)', 0, 2, dflt(2)),
    'net.ipv4.conf.default.rp_filter': int('rp_filter of every node device without its own value', 0, 2, dflt(2)),
    'net.ipv4.conf.eth0.rp_filter': int("rp_filter of the node's underlay NIC", 0, 2),
    'net.ipv4.conf.cbr0.rp_filter': int('rp_filter of the node bridge named cbr0', 0, 2),
    'net.ipv4.conf.flannel/1.rp_filter': int("rp_filter of flannel's VXLAN device flannel.1", 0, 2),
    'net.ipv4.conf.flannel0.rp_filter': int("rp_filter of flannel's TUN device flannel0 (udp backend)", 0, 2),
  };
};

const stringMap = (description: string): Schema => ({ type: 'object', description, additionalProperties: { type: ['string', 'number', 'boolean'] } });
const intOrString = (description: string): Schema => ({ description, type: ['integer', 'string'] });

const kubeObject = (kind: string, apiVersion: string, fields: Record<string, Schema>, description: string, metadata: Schema = ref('objectMeta')): Schema =>
  closed({ apiVersion: { const: apiVersion, description: `${apiVersion}` }, kind: { const: kind }, metadata, ...fields }, description, ['apiVersion', 'kind', 'metadata']);

const selector = closed(
  {
    matchLabels: stringMap('labels that must all match'),
    matchExpressions: list(closed({ key: str('label key'), operator: oneOf('operator', ['In', 'NotIn', 'Exists', 'DoesNotExist']), values: list({ type: 'string' }, 'values for In / NotIn') }, undefined, ['key', 'operator']), 'set-based requirements'),
  },
  'a label selector',
);

const DEFS: Record<string, Schema> = {
  objectMeta: closed(
    {
      name: str('object name (DNS-1123)'),
      namespace: str('namespace (default: default)', { default: 'default' }),
      labels: stringMap('labels'),
      annotations: stringMap('annotations: podwalk.io/http-status and podwalk.io/http-body-bytes (how a pod answers HTTP), kubernetes.io/ingress.class, nginx.ingress.kubernetes.io/service-upstream, nginx.ingress.kubernetes.io/ssl-redirect, ingressclass.kubernetes.io/is-default-class; others are not acted on'),
      deletionTimestamp: { description: 'set: the object is being deleted (pods: endpoints turn terminating)' },
      uid: str('the object uid (ownerReferences match it)'),
      ownerReferences: list(open('an owner reference: the controller: true entry makes a Pod its workload replica, a ReplicaSet its Deployment', { kind: str('owner kind'), name: str('owner name'), uid: str('owner uid'), controller: bool('the managing controller') }), 'owners'),
      creationTimestamp: { description: 'RFC 3339 time (or null); acted on for Ingresses only: ingress-nginx orders them by it, ties by namespace/name descending' },
      ...ignoredAll(['generateName', 'resourceVersion', 'generation', 'finalizers', 'managedFields', 'selfLink', 'deletionGracePeriodSeconds']),
    },
    'metadata (kubectl get -o yaml output is accepted as is)',
    ['name'],
  ),
  labelSelector: selector,
  toleration: closed(
    {
      key: str('taint key (empty with operator Exists: every taint)'),
      operator: oneOf('operator', ['Equal', 'Exists'], 'Equal'),
      value: str('taint value (Equal)'),
      effect: oneOf('effect (empty: every effect)', ['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
      tolerationSeconds: int('with NoExecute: how long the pod stays after the taint appears (node.kubernetes.io/unreachable when a node step cuts its node off; default 300 s)', -9007199254740991, 9007199254740991),
    },
    'a toleration',
  ),
  nodeSelectorRequirement: closed({ key: str('node label key (matchFields: metadata.name)'), operator: oneOf('operator', ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']), values: list({ type: 'string' }, 'values: In/NotIn at least one, Gt/Lt exactly one integer') }, undefined, ['key', 'operator']),
  nodeSelectorTerm: closed({ matchExpressions: list(ref('nodeSelectorRequirement'), 'node label requirements (ANDed)'), matchFields: list(ref('nodeSelectorRequirement'), 'node field requirements: metadata.name In/NotIn') }, 'a node selector term (an empty term matches no node)'),
  podAffinityTerm: closed(
    {
      labelSelector: ref('labelSelector'),
      namespaces: list({ type: 'string' }, "namespaces of the pods to match (with namespaceSelector: ORed; both absent: the pod's own)"),
      namespaceSelector: ref('labelSelector'),
      topologyKey: str('node label whose value is the topology domain (kubernetes.io/hostname, topology.kubernetes.io/zone)'),
      matchLabelKeys: list({ type: 'string' }, "pod label keys ANDed into labelSelector with this pod's values"),
      mismatchLabelKeys: list({ type: 'string' }, "pod label keys ANDed into labelSelector as NotIn this pod's values"),
    },
    'a pod (anti-)affinity term',
    ['topologyKey'],
  ),
  podAffinity: closed(
    {
      requiredDuringSchedulingIgnoredDuringExecution: list(ref('podAffinityTerm'), 'terms that must hold (filter)'),
      preferredDuringSchedulingIgnoredDuringExecution: list(closed({ weight: int('weight', 1, 100), podAffinityTerm: ref('podAffinityTerm') }, undefined, ['weight', 'podAffinityTerm']), 'weighted terms (score)'),
    },
    'pod affinity or anti-affinity',
  ),
  affinity: closed(
    {
      nodeAffinity: closed(
        {
          requiredDuringSchedulingIgnoredDuringExecution: closed({ nodeSelectorTerms: list(ref('nodeSelectorTerm'), 'terms, ORed') }, 'a node selector (filter)', ['nodeSelectorTerms']),
          preferredDuringSchedulingIgnoredDuringExecution: list(closed({ weight: int('weight', 1, 100), preference: ref('nodeSelectorTerm') }, undefined, ['weight', 'preference']), 'weighted node selector terms (score)'),
        },
        'node affinity',
      ),
      podAffinity: ref('podAffinity'),
      podAntiAffinity: ref('podAffinity'),
    },
    'scheduling constraints (docs/scenario-format.md "Placement")',
  ),
  topologySpreadConstraint: closed(
    {
      maxSkew: int('how many more matching pods one domain may have than the least loaded', 1, 2147483647),
      topologyKey: str('node label whose value is the domain'),
      whenUnsatisfiable: oneOf('DoNotSchedule filters, ScheduleAnyway scores', ['DoNotSchedule', 'ScheduleAnyway']),
      labelSelector: ref('labelSelector'),
      minDomains: int('with DoNotSchedule: fewer domains than this count as a global minimum of 0', 1, 2147483647),
      nodeAffinityPolicy: oneOf('whether nodes the pod could not run on count as domains', ['Honor', 'Ignore'], 'Honor'),
      nodeTaintsPolicy: oneOf('whether tainted nodes count as domains', ['Honor', 'Ignore'], 'Ignore'),
      matchLabelKeys: list({ type: 'string' }, "pod label keys ANDed into labelSelector with this pod's values"),
    },
    'a topology spread constraint',
    ['maxSkew', 'topologyKey', 'whenUnsatisfiable'],
  ),
  taint: closed({ key: str('taint key'), value: str('taint value', { default: '' }), effect: oneOf('effect', ['NoSchedule', 'PreferNoSchedule', 'NoExecute']), timeAdded: ignored() }, undefined, ['key', 'effect']),
  Node: kubeObject(
    'Node',
    'v1',
    {
      spec: closed({
        podCIDR: str('the node pod subnet', { pattern: CIDR }),
        podCIDRs: list({ type: 'string' }, 'pod subnets (the IPv4 one is used)'),
        taints: list(ref('taint'), 'taints'),
        unschedulable: bool('cordoned: new pods are not placed here (DaemonSet pods are)', false),
        ...ignoredAll(['providerID', 'externalID', 'configSource']),
      }),
      status: closed({
        addresses: list(closed({ type: str('InternalIP is the node address on the underlay'), address: str('the address') }), 'node addresses'),
        ...ignoredAll(['capacity', 'allocatable', 'conditions', 'daemonEndpoints', 'nodeInfo', 'images', 'volumesInUse', 'volumesAttached', 'config', 'phase', 'runtimeHandlers', 'features', 'declaredFeatures']),
      }),
    },
    'a Node as kubectl get nodes -o yaml prints it: defines (or fills in) a cluster node',
  ),
  containerPort: closed(
    { containerPort: int('port the container listens on', 1, 65535), protocol: oneOf('protocol', ['TCP', 'UDP', 'SCTP'], 'TCP'), name: str('port name (IANA service name), for named targetPorts and policy ports'), hostPort: int("port on the node: must be free there (the scheduler's NodePorts filter, the kubelet's admission); its DNAT to the pod is not modelled", 0, 65535), hostIP: str('node address the hostPort is bound on (default 0.0.0.0: all of them)') },
    undefined,
    ['containerPort'],
  ),
  container: closed(
    {
      name: str('container name'),
      image: str('image (not pulled; any string)'),
      ports: list(ref('containerPort'), 'ports the container listens on; other ports answer with RST / port unreachable'),
      command: list({ type: 'string' }, 'entrypoint; /nginx-ingress-controller here (or in args) makes the pod an ingress-nginx controller'),
      args: list({ type: 'string' }, 'arguments; for an ingress-nginx controller --controller-class, --ingress-class and --watch-ingress-without-class are read'),
      ...ignoredAll(['workingDir', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty']),
    },
    undefined,
    ['name', 'image'],
  ),
  podSpec: closed(
    {
      containers: list(ref('container'), 'at least one container'),
      nodeName: str('the node the pod runs on (default: placed by podwalk, see docs/scenario-format.md)'),
      hostNetwork: bool('share the node network namespace (pod IP = node IP)', false),
      nodeSelector: stringMap('node labels the node must have (placement filter)'),
      tolerations: list(ref('toleration'), 'taints the pod tolerates'),
      affinity: ref('affinity'),
      topologySpreadConstraints: list(ref('topologySpreadConstraint'), 'how the pod spreads over topology domains with the pods its selector matches'),
      dnsPolicy: oneOf("the pod's resolv.conf: ClusterFirst (cluster DNS, search path, ndots:5; the node's on the host network), ClusterFirstWithHostNet, Default (the node's), None (dnsConfig only)", ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'], 'ClusterFirst'),
      dnsConfig: ref('podDnsConfig'),
      hostname: str("the pod's DNS hostname: with subdomain, its endpoint's hostname"),
      subdomain: str('a headless Service selecting the pod: <hostname>.<subdomain>.<ns>.svc.cluster.local resolves to it'),
      terminationGracePeriodSeconds: int("how long kubelet gives a deleted pod: its preStop hook runs at most this long, then SIGTERM (a step's preStop longer than this is cut off)", 0, 9007199254740991, { default: 30 }),
      initContainers: list(ref('container'), "init containers; one with restartPolicy Always is a native sidecar, which runs for the pod's life: its ports listen, and named targetPorts find its port names after the containers'; the others have exited before the containers start"),
      ...ignoredAll(['volumes', 'ephemeralContainers', 'restartPolicy', 'activeDeadlineSeconds', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'schedulerName', 'hostAliases', 'priorityClassName', 'priority', 'readinessGates', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy', 'overhead', 'setHostnameAsFQDN', 'os', 'hostUsers', 'schedulingGates', 'resourceClaims', 'resources']),
    },
    'a pod spec',
    ['containers'],
  ),
  podDnsConfig: closed(
    {
      nameservers: list({ type: 'string', pattern: IPV4 }, 'at most 3 nameservers added after the policy\'s (None: the only ones, at least one)'),
      searches: list({ type: 'string' }, 'search domains added after the policy\'s (at most 32, 2048 characters)'),
      options: list(closed({ name: str('resolv.conf option: ndots, timeout, attempts, single-request, single-request-reopen, use-vc, edns0, rotate are acted on'), value: str('its value (ndots, timeout, attempts)') }, undefined, ['name']), 'resolv.conf options, replacing the policy\'s of the same name'),
    },
    "kubelet merges these into the pod's resolv.conf",
  ),
  podStatus: closed(
    {
      podIP: str('the pod IP (default: next free address of the node podCIDR)', { pattern: IPV4 }),
      conditions: list(
        closed({ type: str('condition type (Ready is read)'), status: oneOf('condition status', ['True', 'False', 'Unknown']), ...ignoredAll(['lastProbeTime', 'lastTransitionTime', 'reason', 'message', 'observedGeneration']) }, undefined, ['type', 'status']),
        'Ready=False makes the pod not ready (its endpoints are not ready)',
      ),
      phase: oneOf('Succeeded or Failed: the pod has finished (a completed Job pod, an evicted pod) and is skipped with a warning; the others run', ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']),
      ...ignoredAll(['podIPs', 'hostIP', 'hostIPs', 'containerStatuses', 'initContainerStatuses', 'qosClass', 'startTime', 'message', 'reason', 'nominatedNodeName']),
    },
    'status as kubectl prints it',
  ),
  podTemplate: closed({ metadata: open('template metadata: labels are what selectors match', { labels: stringMap('pod labels') }), spec: ref('podSpec') }, 'the pod template', ['spec']),
  Pod: kubeObject('Pod', 'v1', { spec: ref('podSpec'), status: ref('podStatus') }, 'a Pod'),
  Namespace: kubeObject('Namespace', 'v1', { spec: ignored(), status: ignored() }, 'a Namespace (default, kube-system, kube-public, kube-node-lease exist already)'),
  Deployment: kubeObject(
    'Deployment',
    'apps/v1',
    {
      spec: closed(
        { replicas: int('number of pods', 0, 1000, { default: 1 }), selector: ref('labelSelector'), template: ref('podTemplate'), ...ignoredAll(['strategy', 'minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds', 'paused']) },
        undefined,
        ['selector', 'template'],
      ),
      status: ignored(),
    },
    'a Deployment: spec.replicas pods named <name>-<hash>-<suffix>',
  ),
  ReplicaSet: kubeObject(
    'ReplicaSet',
    'apps/v1',
    { spec: closed({ replicas: int('number of pods', 0, 1000, { default: 1 }), selector: ref('labelSelector'), template: ref('podTemplate'), ...ignoredAll(['minReadySeconds']) }, undefined, ['selector', 'template']), status: ignored() },
    'a ReplicaSet: spec.replicas pods named <name>-<suffix>',
  ),
  servicePort: closed(
    {
      name: str('port name (required when there are several)'),
      protocol: oneOf('protocol', ['TCP', 'UDP', 'SCTP'], 'TCP'),
      port: int('the Service port', 1, 65535),
      targetPort: intOrString('container port number or name (default, and for 0 or "": port)'),
      nodePort: int('node port (NodePort/LoadBalancer; default: allocated)', 1, 65535),
      appProtocol: ignored(),
    },
    undefined,
    ['port'],
  ),
  Service: kubeObject(
    'Service',
    'v1',
    {
      spec: closed({
        type: oneOf('Service type', ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'], 'ClusterIP'),
        selector: stringMap('pods this Service sends to (its EndpointSlices are derived from it)'),
        ports: list(ref('servicePort'), 'ports'),
        clusterIP: str('cluster IP, None for headless (default: allocated from serviceCIDR)'),
        clusterIPs: list({ type: 'string' }, 'at most one; a dual-stack Service (ipFamilies IPv4 and IPv6) one per family, of which the IPv4 one is used'),
        ipFamilies: list(oneOf('family', ['IPv4', 'IPv6']), 'IPv4; or IPv4 and IPv6 (a dual-stack Service: its IPv4 half is modelled, with a warning)'),
        ipFamilyPolicy: oneOf('family policy', ['SingleStack', 'PreferDualStack', 'RequireDualStack']),
        externalIPs: list({ type: 'string', pattern: IPV4 }, 'external IPs kube-proxy captures'),
        externalName: str('ExternalName: the CNAME target'),
        externalTrafficPolicy: oneOf('external traffic policy', ['Cluster', 'Local'], 'Cluster'),
        internalTrafficPolicy: oneOf('internal traffic policy', ['Cluster', 'Local'], 'Cluster'),
        healthCheckNodePort: int('health check node port (Local external policy)', 1, 65535),
        sessionAffinity: oneOf('session affinity', ['None', 'ClientIP'], 'None'),
        sessionAffinityConfig: closed({ clientIP: closed({ timeoutSeconds: int('affinity timeout', 1, 86400, { default: 10800 }) }) }),
        loadBalancerIP: str('deprecated; the address comes from status.loadBalancer.ingress'),
        loadBalancerSourceRanges: list({ type: 'string', pattern: CIDR }, 'client CIDRs allowed through the load balancer address'),
        allocateLoadBalancerNodePorts: bool('allocate node ports for a LoadBalancer', true),
        publishNotReadyAddresses: bool('not-ready pods are endpoints too', false),
        trafficDistribution: str('PreferClose or PreferSameZone: endpoints hinted for their zone, kube-proxy keeps traffic in the zone; PreferSameNode: not modelled'),
        ...ignoredAll(['loadBalancerClass']),
      }),
      status: closed({
        loadBalancer: closed({ ingress: list(closed({ ip: str('load balancer address', { pattern: IPV4 }), ...ignoredAll(['hostname', 'ipMode', 'ports']) }), 'addresses the cloud load balancer gave') }),
        conditions: ignored(),
      }),
    },
    'a Service',
  ),
  objectReference: closed(Object.fromEntries(['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((k) => [k, str(k === 'name' || k === 'namespace' ? `the target's ${k}` : 'not acted on')]))),
  endpointPort: closed({ name: str('port name (matches the Service port name)'), protocol: oneOf('protocol', ['TCP', 'UDP', 'SCTP'], 'TCP'), port: int('endpoint port', 1, 65535), appProtocol: ignored() }, undefined, ['port']),
  EndpointSlice: kubeObject(
    'EndpointSlice',
    'discovery.k8s.io/v1',
    {
      addressType: oneOf('address type (IPv4; FQDN slices are ignored, as kube-proxy does, and IPv6 ones, a dual-stack Service\'s: IPv6 is not modelled)', ['IPv4', 'IPv6', 'FQDN']),
      endpoints: list(
        closed({
          addresses: list({ type: 'string', pattern: IPV4_OR_6 }, 'one address (IPv4; IPv6 in an IPv6 slice, not used)'),
          conditions: closed({ ready: bool('ready', true), serving: bool('serving', true), terminating: bool('terminating', false) }),
          nodeName: str('the node the endpoint is on'),
          targetRef: ref('objectReference'),
          zone: str("the endpoint's zone"),
          hints: closed({
            forZones: list(closed({ name: str('a zone') }), "zones whose kube-proxies use this endpoint (topology hints)"),
            forNodes: list(closed({ name: str('a node') }), 'nodes (PreferSameNode): accepted, not modelled'),
          }),
          hostname: str('the endpoint\'s DNS name: <hostname>.<service>.<ns>.svc.cluster.local resolves to it'),
          ...ignoredAll(['deprecatedTopology']),
        }),
        'endpoints',
      ),
      ports: list(ref('endpointPort'), 'ports'),
    },
    'an EndpointSlice (needs the label kubernetes.io/service-name)',
  ),
  Endpoints: kubeObject(
    'Endpoints',
    'v1',
    {
      subsets: list(
        closed({
          addresses: list(closed({ ip: str('address', { pattern: IPV4 }), nodeName: str('node'), targetRef: ref('objectReference'), hostname: ignored() }, undefined, ['ip']), 'ready addresses'),
          notReadyAddresses: list(closed({ ip: str('address', { pattern: IPV4 }), nodeName: str('node'), targetRef: ref('objectReference'), hostname: ignored() }, undefined, ['ip']), 'not-ready addresses'),
          ports: list(ref('endpointPort'), 'ports'),
        }),
        'subsets (mirrored to EndpointSlices, as the EndpointSliceMirroring controller does)',
      ),
    },
    'legacy Endpoints (only for Services without a selector)',
  ),
  policyPeer: closed({ podSelector: ref('labelSelector'), namespaceSelector: ref('labelSelector'), ipBlock: closed({ cidr: str('CIDR', { pattern: CIDR }), except: list({ type: 'string', pattern: CIDR }, 'CIDRs inside cidr that are excluded') }, undefined, ['cidr']) }),
  policyPort: closed({ protocol: oneOf('protocol', ['TCP', 'UDP', 'SCTP'], 'TCP'), port: intOrString('port number or named container port'), endPort: int('last port of a range', 1, 65535) }),
  networkPolicySpec: closed({
    podSelector: ref('labelSelector'),
    policyTypes: { ...list(oneOf('type', ['Ingress', 'Egress']), 'default (also for []): Ingress, plus Egress when egress rules exist; at most two entries, repeats allowed'), maxItems: 2 },
    ingress: list(closed({ from: list(ref('policyPeer'), 'allowed sources'), ports: list(ref('policyPort'), 'allowed ports') }), 'ingress rules'),
    egress: list(closed({ to: list(ref('policyPeer'), 'allowed destinations'), ports: list(ref('policyPort'), 'allowed ports') }), 'egress rules'),
  }),
  NetworkPolicy: kubeObject('NetworkPolicy', 'networking.k8s.io/v1', { spec: ref('networkPolicySpec'), status: ignored('printed as {} by 1.24-1.27 API servers (a field since removed); not acted on') }, 'a NetworkPolicy'),
  List: closed(
    { apiVersion: { const: 'v1' }, kind: { const: 'List' }, metadata: ignored(), items: list(ref('resource'), 'the objects, read as if written one by one') },
    'what kubectl get a,b,c -o yaml prints',
    ['apiVersion', 'kind', 'items'],
  ),
  ingressBackend: closed(
    {
      service: closed(
        { name: str('Service name (DNS-1035 label)'), port: closed({ number: int('Service port number', 1, 65535), name: str('Service port name') }, 'exactly one of number and name') },
        'the backend Service',
        ['name', 'port'],
      ),
      resource: { description: 'a resource backend: valid, not modelled (warning)' },
    },
    'where matching requests go: a Service and one of its ports',
  ),
  ingressSpec: closed({
    ingressClassName: str('the IngressClass (default: the class annotated ingressclass.kubernetes.io/is-default-class)'),
    defaultBackend: ref('ingressBackend'),
    tls: list(closed({ hosts: list({ type: 'string' }, 'hosts served over TLS'), secretName: str('certificate Secret (not read)') }), 'TLS hosts (accepted; no cryptography is modelled)'),
    rules: list(
      closed({
        host: str('host (exact, or *.domain for one DNS label); absent = every host'),
        http: closed({ paths: list(closed({ path: str('absolute path'), pathType: oneOf('how path matches', ['Exact', 'Prefix', 'ImplementationSpecific']), backend: ref('ingressBackend') }, undefined, ['pathType', 'backend']), 'at least one path') }, undefined, ['paths']),
      }),
      'host and path rules',
    ),
  }),
  Ingress: kubeObject('Ingress', 'networking.k8s.io/v1', { spec: ref('ingressSpec'), status: ignored() }, 'an Ingress (served by the ingress-nginx controller pods whose class matches)'),
  IngressClass: kubeObject(
    'IngressClass',
    'networking.k8s.io/v1',
    { spec: closed({ controller: str('the controller, a domain-prefixed path such as k8s.io/ingress-nginx'), parameters: ignored() }, undefined, ['controller']) },
    'an IngressClass (cluster-scoped)',
  ),
  ConfigMap: {
    type: 'object',
    description: "ignored (one warning per kind), as other kinds that do not change how packets go; but kube-system/kube-proxy (data.config.conf: a KubeProxyConfiguration's mode) and kube-flannel-cfg (data.net-conf.json: Backend.Type) are read as the cluster's proxy mode and flannel backend when the scenario does not give them",
    properties: { apiVersion: { const: 'v1' }, kind: { const: 'ConfigMap' } },
  },
  StatefulSet: kubeObject(
    'StatefulSet',
    'apps/v1',
    {
      spec: closed(
        {
          replicas: int('number of pods', 0, 1000, { default: 1 }),
          selector: ref('labelSelector'),
          template: ref('podTemplate'),
          serviceName: str('the governing headless Service: pods resolve as <pod>.<serviceName>.<ns>.svc.cluster.local'),
          ordinals: closed({ start: int('first ordinal', 0, 1000000, { default: 0 }) }),
          ...ignoredAll(['podManagementPolicy', 'updateStrategy', 'revisionHistoryLimit', 'minReadySeconds', 'volumeClaimTemplates', 'persistentVolumeClaimRetentionPolicy']),
        },
        undefined,
        ['selector', 'template'],
      ),
      status: ignored(),
    },
    'a StatefulSet: pods <name>-0, <name>-1, ...',
  ),
  DaemonSet: kubeObject(
    'DaemonSet',
    'apps/v1',
    { spec: closed({ selector: ref('labelSelector'), template: ref('podTemplate'), ...ignoredAll(['updateStrategy', 'minReadySeconds', 'revisionHistoryLimit']) }, undefined, ['selector', 'template']), status: ignored() },
    'a DaemonSet: one pod per node that may run it',
  ),
};

/** Kinds a resource may be; `resource` picks the definition by `kind`. */
export const SCHEMA_KINDS = ['List', 'Node', 'Namespace', 'Pod', 'Service', 'Endpoints', 'EndpointSlice', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'NetworkPolicy', 'Ingress', 'IngressClass', 'ConfigMap'];

const resource: Schema = {
  type: 'object',
  description: 'a Kubernetes object as kubectl accepts (or prints) it',
  required: ['apiVersion', 'kind'],
  // Any kind: built-in kinds podwalk does not model and custom resources are ignored with a warning (an unknown kind in a built-in group is the loader's error).
  properties: { kind: { type: 'string', description: `${SCHEMA_KINDS.filter((k) => k !== 'ConfigMap').join(', ')} are read; other kinds (ConfigMap but kube-proxy's and flannel's, ServiceAccount, Job, custom resources, ...) are ignored with one warning per kind` } },
  allOf: SCHEMA_KINDS.map((k) => ({ if: { properties: { kind: { const: k } }, required: ['kind'] }, then: ref(k) })),
};

const cluster = closed({
  network: oneOf('the pod network (CNI) backend', ['host-gw', 'flannel-vxlan', 'flannel-udp'], 'flannel-vxlan'),
  proxyMode: oneOf('kube-proxy mode', ['iptables', 'ipvs', 'nftables'], 'iptables'),
  clusterCIDR: str('pod addresses; node podCIDRs are /24s of it', { pattern: CIDR, default: '10.244.0.0/16' }),
  serviceCIDR: str('Service cluster IPs', { pattern: CIDR, default: '10.96.0.0/12' }),
  serviceNodePortRange: str('node port range (kube-apiserver --service-node-port-range)', { pattern: '^[0-9]+-[0-9]+$', default: '30000-32767' }),
  bridge: str('bridge name on every node', { default: 'cbr0' }),
  hairpinMode: bool('bridge ports in hairpin mode (flannel CNI config)', true),
  podMTU: int('MTU of cbr0 and pods (default: derived from the backend)', 68, 65535),
  seed: int('seed of all randomness', 0, 4294967295, { default: 1 }),
  dns: bool('built-in cluster DNS (coredns + kube-system/kube-dns)', true),
  kubernetesService: bool("the API server's default/kubernetes Service (first service address, 443 -> the control-plane nodes' 6443)", true),
  underlay: closed(
    {
      cidr: str('the network joining nodes; node IPs default to .11, .12, ...', { pattern: CIDR, default: '192.168.56.0/24' }),
      mtu: int('underlay MTU', 68, 65535, { default: 1500 }),
      bandwidth: str('link rate', { pattern: '^[0-9]+(\\.[0-9]+)?\\s*[a-zA-Z]+$', default: '10Gbit' }),
      latency: duration('one-way latency per link', '50us'),
      gateway: str('default gateway of every node (default: .1)', { pattern: IPV4 }),
    },
    'the L2 network joining the nodes',
  ),
  nodes: list(
    closed(
      {
        name: str('node name (DNS subdomain: dots allowed, as in ip-10-0-1-11.ec2.internal)'),
        ip: str('node IP on the underlay (default: next free from .11)', { pattern: IPV4 }),
        podCIDR: str('the node pod subnet (default: next free /24 of clusterCIDR)', { pattern: CIDR }),
        labels: stringMap('node labels (kubernetes.io/hostname, os and arch are added), for nodeSelector and affinity'),
        taints: list(ref('taint'), 'taints: pods without a matching toleration are not placed here'),
        cpus: int("CPUs processing the node's packets; pods are spread over them round-robin, so two pods' packets can be NATed in parallel", 1, 1024, { default: 1 }),
        import: closed(
          {
            iptablesSave: str('path (relative to this file) of what iptables-save printed on the node: its whole iptables rule set'),
            ipsetSave: str('path of what ipset save printed on the node: its ipsets'),
            ipvsadm: str('path of what ipvsadm -Sn printed on the node: its IPVS virtual services'),
            ipRoute: str('path of what ip route printed on the node: its main routing table'),
          },
          'state saved on a real node, loaded instead of what podwalk would program (docs/node-import.md)',
        ),
      },
      undefined,
      ['name'],
    ),
    'the nodes, at least one',
  ),
  externalHosts: list(
    closed(
      {
        name: str('host name (DNS label)'),
        ip: str('address on the underlay', { pattern: IPV4 }),
        ports: list(closed({ port: int('port a server on the host listens on (every address)', 1, 65535), protocol: oneOf('protocol', ['TCP', 'UDP', 'SCTP'], 'TCP') }, undefined, ['port']), 'where its servers listen (TCP ones answer HTTP, like a pod); other ports answer with RST / port unreachable; default none'),
      },
      undefined,
      ['name', 'ip'],
    ),
    'machines on the underlay outside the cluster',
  ),
  networkPolicy: closed(
    {
      agent: oneOf('what enforces NetworkPolicy: a kube-router-style policy-only agent beside flannel, or none (flannel alone: policies stored, nothing enforced)', ['kube-router', 'none'], 'kube-router'),
      denyAction: oneOf('what a denied packet meets', ['drop', 'reject'], 'drop'),
      ipBlockMatchesPods: bool('ipBlock peers also match pod IPs', true),
      selfViaService: oneOf('a pod reaching itself through a Service', ['allow', 'enforce'], 'allow'),
      hostNetworkPeers: oneOf('how hostNetwork pods count as peers', ['as-node', 'as-pod'], 'as-node'),
    },
    'what the NetworkPolicy API leaves to implementations',
  ),
  costModel: {
    description: 'per-hop CPU costs (docs/cost-model.md): on by default (true/default), false turns them off, or stage overrides of the defaults',
    anyOf: [
      { type: 'boolean' },
      { const: 'default' },
      closed(
        Object.fromEntries(
          ['veth', 'bridge', 'routing', 'netfilterHook', 'nic', 'vxlanEncap', 'vxlanDecap', 'syscall', 'wakeup'].map((k) => [k, closed({ packetNs: { type: 'number', minimum: 0 }, byteNs: { type: 'number', minimum: 0 } })]).concat([['netfilterRuleNs', { type: 'number', minimum: 0 }]]),
        ),
      ),
    ],
  },
  ipvs: closed(
    {
      scheduler: oneOf('IPVS scheduler (--ipvs-scheduler)', ['rr', 'wrr', 'lc', 'wlc', 'sh', 'dh', 'sed', 'nq'], 'rr'),
      tcpTimeout: str('ipvsadm --set TCP timeout as a Go duration (0s: kernel default)', { default: '0s' }),
      tcpFinTimeout: str('TCP FIN timeout (0s: kernel default)', { default: '0s' }),
      udpTimeout: str('UDP timeout (0s: kernel default)', { default: '0s' }),
      strictARP: bool('--ipvs-strict-arp: arp_ignore=1 and arp_announce=2 on every node, so no node answers ARP for the addresses on kube-ipvs0', false),
      excludeCIDRs: list({ type: 'string', pattern: CIDR }, "--ipvs-exclude-cidrs: kube-proxy's clean-up leaves IPVS virtual servers in these ranges alone"),
    },
    "kube-proxy's ipvs settings (used in ipvs mode)",
  ),
  sysctls: closed(
    {
      ...switchSchemas(true),
      ...limitSchemas,
    },
    'node sysctls by their Linux names',
  ),
  kubeProxy: closed(
    {
      masqueradeAll: bool('--masquerade-all: SNAT every packet to a Service IP', false),
      clusterCIDR: str("--cluster-cidr (default: cluster.clusterCIDR, as kubeadm sets it); '' = unset", { anyOf: [{ pattern: CIDR }, { const: '' }] }),
      detectLocalMode: oneOf('--detect-local-mode: what counts as a local pod source', ['ClusterCIDR', 'NodeCIDR'], 'ClusterCIDR'),
      nodePortAddresses: list({ anyOf: [{ type: 'string', pattern: CIDR }, { const: 'primary' }] }, '--nodeport-addresses: CIDRs or primary (the node IP); empty = every local address'),
      localhostNodePorts: bool('--iptables-localhost-nodeports: NodePorts on 127.0.0.1 too', true),
      randomFully: bool("iptables supports --random-fully, so kube-proxy's MASQUERADE uses it (random source ports)", true),
      minSyncPeriod: goDuration('least time between the end of one kube-proxy sync and the start of the next, as a Go duration (1s, 500ms, 1.5s, 1m30s, 1h; absent: 1s in iptables and nftables modes, 0s in ipvs mode)'),
    },
    "kube-proxy's mode-neutral settings (KubeProxyConfiguration)",
  ),
  flannel: closed(
    {
      ipMasq: bool('--ip-masq: FLANNEL-POSTRTG masquerades what pods send out of the cluster network and what hosts send into it (kube-flannel.yml passes it)', true),
      ipMasqFullyRandomDisable: bool('--ip-masq-fully-random-disable: MASQUERADE without --random-fully (the pod\'s source port kept when free)', false),
      iptablesForwardRules: bool('--iptables-forward-rules: FLANNEL-FWD accepts forwarding from and to the cluster network', true),
    },
    "flanneld's iptables switches",
  ),
});

const policyExpectation = closed({ name: str('<namespace>/<name>'), direction: oneOf('direction', ['ingress', 'egress']), verdict: oneOf('verdict', ['allow', 'deny']) }, undefined, ['name']);
const minMax = (description: string, item: Schema): Schema => ({ description, anyOf: [item, closed({ min: item, max: item })] });

const expectFields = {
  verdict: oneOf('outcome of every request', ['delivered', 'dropped']),
  deliveredTo: { description: 'endpoint(s): delivered to one of these', anyOf: [{ type: 'string' }, list({ type: 'string' }, 'any of')] },
  seenSource: str('source IP the receiving socket sees', { pattern: IPV4 }),
  dropReason: oneOf('drop reason', DROP_REASONS),
  via: list({ type: 'string' }, 'ordered subsequence of <netns>:<dev> the request crossed'),
  notVia: list({ type: 'string' }, '<netns>:<dev> the request must not cross'),
  natted: { description: 'true/false, or {dst, src} addresses a NAT rewrote to', anyOf: [{ type: 'boolean' }, closed({ dst: str('ip[:port]'), src: str('ip[:port]') })] },
  policy: { description: 'NetworkPolicies that decided the request', anyOf: [{ type: 'string' }, policyExpectation, list({ anyOf: [{ type: 'string' }, policyExpectation] }, 'each must match')] },
  hops: minMax('devices crossed: N or {min, max}', { type: 'integer', minimum: 0, maximum: 10000 }),
  rtt: minMax('simulated round trip: a maximum or {min, max}', { type: 'string', pattern: DURATION }),
  connection: oneOf("TCP: how the client's connection ended", ['established', 'complete', 'closed', 'timeout', 'reset', 'refused', 'unreachable', 'gave-up', 'none']),
  retransmits: minMax('TCP: retransmissions by the client: N or {min, max}', { type: 'integer', minimum: 0, maximum: 10000 }),
  replySource: str("ip[:port] the first answer came from, as the sender's socket saw it (after un-NAT)"),
  httpStatus: int('http traffic: the response status the client read', 100, 599),
  forwardedFor: str('http traffic: the X-Forwarded-For header the backend read', { pattern: IPV4 }),
  ingressRule: {
    description: 'http traffic: the Ingress rule the controller chose: <ns>/<name>, default (no rule matched), or fields that must all match',
    anyOf: [
      { type: 'string' },
      closed({ default: bool('true: no rule path matched, a default backend took the request'), ingress: str('<namespace>/<name>'), host: str('the rule host as written'), path: str('the path as written'), pathType: oneOf('path type', ['Exact', 'Prefix', 'ImplementationSpecific']), backend: str('<namespace>/<service>:<port>') }),
    ],
  },
  candidates: list({ type: 'string' }, 'exactly the endpoints the load-balancing NAT chose among: pods, workloads (all their pods), node/<name>, <ip> or <ip>:<port>'),
  sameBackendAs: str('session affinity: the same backend (NATed endpoint) as this flow (<name> = its first request, or <name>#<k>)'),
};
// In a per-mode block, `null` removes the field for that mode.
// A field that is already a choice gets null as one more branch (not a choice nested in a choice), so each form stays one level down.
const orNull = Object.fromEntries(Object.entries(expectFields).map(([k, v]) => [k, { ...(v.description ? { description: v.description } : {}), anyOf: [...('anyOf' in v && Array.isArray(v.anyOf) ? (v.anyOf as Schema[]) : [v]), { type: 'null' }] }]));
const modeExpect = (mode: string): Schema => closed(orNull, `fields that replace the ones above when the run uses kube-proxy's ${mode} mode (cluster.proxyMode or --proxy-mode); null removes one`);
const expect = closed({ ...expectFields, iptables: modeExpect('iptables'), ipvs: modeExpect('ipvs'), nftables: modeExpect('nftables') });

const trafficItem = closed(
  {
    name: str('unique name'),
    from: str('pod/<ns>/<name>, pod/<name>, node/<name>, host/<name>'),
    to: str('the from forms, an IP, service/<ns>/<name>, or a DNS name'),
    protocol: oneOf('protocol', ['TCP', 'UDP', 'ICMP', 'SCTP'], 'TCP'),
    port: int('destination port (not for ICMP)', 1, 65535),
    payload: int('L4 payload bytes', 0, 65507, { default: 64 }),
    count: int('packets (or connections)', 1, 100000, { default: 1 }),
    at: duration('start time', '0ms'),
    interval: duration('between packets when count > 1', '1ms'),
    ttl: int('IP TTL (like ping -t)', 1, 255, { default: 64 }),
    reuseConnection: bool('TCP: later packets reuse the first connection; UDP: one connected socket', false),
    timeout: duration('TCP: the client gives up if its request is not acknowledged within this time'),
    sourcePort: int('bind the client to this source port; for ICMP the echo identifier (a ping socket bound to it, or ping\'s own pid)', 1, 65535),
    close: { description: 'TCP: the client closes its connection (FIN) once its request is acknowledged (true), or that long after (a duration)', anyOf: [{ type: 'boolean' }, { type: 'string', pattern: DURATION }, { const: 0 }], default: false },
    keepAlive: closed(
      {
        idle: duration('TCP_KEEPIDLE: idle time before the first probe', '7200s'),
        interval: duration('TCP_KEEPINTVL: between unanswered probes', '75s'),
        probes: int('TCP_KEEPCNT: unanswered probes before the connection is dead', 1, 127, { default: 9 }),
      },
      "TCP: SO_KEEPALIVE on the client's socket ({} = the sysctl defaults)",
    ),
    reply: int('the server answers each request with this many bytes (UDP: each datagram; TCP: once it read the data)', 0, 65507),
    http: closed(
      {
        method: str('HTTP method', { default: 'GET' }),
        host: str('Host header (default: the to address or name)'),
        path: str('request target', { default: '/' }),
        headers: stringMap('more request header fields'),
      },
      'send one HTTP/1.1 request on the connection (TCP only); the server answers',
    ),
    expect,
  },
  'one flow',
  ['name', 'from', 'to'],
);

const podRefStr = (d: string): Schema => str(`${d}: <namespace>/<name> of a pod that exists when the run starts`);
const percent = (d: string): Schema => ({ description: `${d}: a percentage (5%, or a number 0-100)`, type: ['string', 'number'] });
const step = closed(
  {
    at: duration('when', '0ms'),
    apply: {
      description: 'create or replace a NetworkPolicy or a Service (kubectl apply)',
      allOf: [
        { if: { properties: { kind: { const: 'NetworkPolicy' } }, required: ['kind'] }, then: closed({ apiVersion: { const: 'networking.k8s.io/v1' }, kind: { const: 'NetworkPolicy' }, metadata: open('metadata', { name: str('name'), namespace: str('namespace') }), spec: ref('networkPolicySpec') }, 'create or replace a NetworkPolicy') },
        { if: { properties: { kind: { const: 'Service' } }, required: ['kind'] }, then: ref('Service') },
      ],
    },
    delete: str('networkpolicy/<namespace>/<name> or service/<namespace>/<name>', { pattern: '^([Nn]etwork[Pp]olicy|[Ss]ervice)/[^/]+/[^/]+$' }),
    label: closed({ pod: str('<namespace>/<name>'), namespace: str('namespace name'), labels: { type: 'object', description: 'labels to set; null removes one', additionalProperties: { type: ['string', 'null'] } } }, 'change labels', ['labels']),
    deletePod: closed({ pod: podRefStr('the pod'), preStop: duration('how long the application keeps serving after SIGTERM (a preStop sleep)', '0s'), readyAfter: duration("the replacement's time to Ready", '1s') }, 'kubectl delete pod (a Deployment pod is replaced)', ['pod']),
    restart: podRefStr('a container restart: same pod and IP, its connections are gone'),
    scale: closed({ deployment: str('<namespace>/<name>'), replicas: int('new replica count', 0, 1000), readyAfter: duration("new pods' time to Ready", '1s') }, 'kubectl scale deployment', ['deployment', 'replicas']),
    rollout: closed({ deployment: str('<namespace>/<name>'), maxSurge: intOrString('count or percentage (default 25%)'), maxUnavailable: intOrString('count or percentage (default 25%)'), preStop: duration('draining time of each old pod', '0s'), readyAfter: duration("new pods' time to Ready", '1s') }, 'a rolling update to a new ReplicaSet', ['deployment']),
    node: closed({ name: str('node name'), state: oneOf('link state', ['down', 'up']), notReadyAfter: duration("node-monitor-grace-period: the node's pods turn NotReady after it (kube-controller-manager's default since Kubernetes 1.32)", '50s'), withdrawRoutesAfter: duration("flannel removes the node's routes elsewhere after its lease expires (absent: never)") }, 'a node goes down or comes back', ['name', 'state']),
    link: closed({ machine: str('node or external host whose eth0 gets the netem qdisc'), loss: percent('frames lost'), delay: duration('added delay'), jitter: duration('± uniform jitter'), corrupt: percent('frames with a flipped bit'), reorder: percent('frames sent ahead of the delayed ones (needs delay)') }, 'tc qdisc replace dev eth0 root netem ... (all zero: removed)', ['machine']),
    mtu: closed({ device: str('<node>:<dev> or <namespace>/<pod>:<dev>'), mtu: int('new MTU', 68, 65535) }, 'ip link set dev DEV mtu N', ['device', 'mtu']),
    conntrack: closed({ node: str('node name'), flush: bool('conntrack -F'), protocol: oneOf('-p', ['TCP', 'UDP', 'ICMP']), origSrc: str('--orig-src', { pattern: IPV4 }), origDst: str('--orig-dst', { pattern: IPV4 }), origDport: int('--orig-port-dst', 1, 65535), replySrc: str('--reply-src (= --dst-nat of a DNATed connection)', { pattern: IPV4 }) }, 'conntrack -F, or conntrack -D with a filter', ['node']),
    kubeProxy: closed({ node: str('node name (absent: every node)'), syncDelay: duration('time from an EndpointSlice change to this node\'s rules', '0s'), conntrackCleanup: bool('delete stale UDP conntrack entries after a sync', true) }, "kube-proxy's behaviour from now on"),
    hairpin: closed({ pod: podRefStr('the pod'), on: bool('hairpin mode of its bridge port') }, 'bridge link set dev vethX hairpin on|off', ['pod', 'on']),
    kernel: closed({ node: str('node name'), release: str('kernel release (5.4, 6.1.0-18-amd64)') }, "the node's kernel release (conntrack clash resolution changed in 5.8)", ['node', 'release']),
    sysctl: closed({ node: str('node name (absent: every node)'), ...switchSchemas(false), ...limitSchemas }, 'sysctl -w from now on: switches and modes (ip_forward, rp_filter, ...) and table limits (nf_conntrack_max, gc_thresh3, ...)'),
  },
  'one change: exactly one of apply, delete, label, deletePod, restart, scale, rollout, node, link, mtu, conntrack, kubeProxy, hairpin, kernel, sysctl',
);

const scenario = closed(
  {
    apiVersion: { const: 'podwalk/v1alpha1' },
    kind: { const: 'Scenario' },
    metadata: closed({ name: str('scenario name'), description: str('what the scenario shows') }, undefined, ['name']),
    cluster,
    resources: list(ref('resource'), 'Kubernetes objects as kubectl accepts them (Lists too)'),
    include: list({ type: 'string' }, 'manifest files, directories or globs, relative to this file'),
    traffic: list(trafficItem, 'flows to send'),
    matrix: closed({ port: int('port probed', 1, 65535, { default: 80 }), protocol: oneOf('protocol', ['TCP', 'UDP', 'SCTP'], 'TCP'), via: oneOf('probe pods directly or their Services', ['pod', 'service'], 'pod'), at: duration('when'), expect: str('expected truth table (. allowed, X blocked)') }, 'the reachability probe'),
    steps: list(step, 'changes at simulated times'),
  },
  'a podwalk scenario: a cluster, Kubernetes objects, traffic and expectations',
  ['apiVersion', 'kind', 'metadata'],
);

/**
 * The JSON Schema of a scenario file's documents: the Scenario, or (any
 * document whose kind is not Scenario) a Kubernetes object or List.
 */
export function scenarioSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'podwalk scenario (podwalk/v1alpha1)',
    description: 'A podwalk scenario, or a Kubernetes manifest in a scenario file. Reference: docs/scenario-format.md',
    if: { required: ['kind'], properties: { kind: { not: { const: 'Scenario' } } } },
    then: ref('manifest'),
    else: ref('scenario'),
    definitions: { ...DEFS, resource, manifest: ref('resource'), scenario },
  };
}
