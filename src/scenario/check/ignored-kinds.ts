/**
 * Kinds podwalk reads past: what `kubectl get all,sa,secret,cm,... -A -o yaml`
 * prints besides the kinds it models. Built-in API kinds that do not change
 * how packets go are ignored with one warning per kind; so are custom
 * resources (a group Kubernetes itself does not serve), which podwalk cannot
 * know. An unknown kind in a built-in group is a typo, and an error.
 */

/** Built-in kinds that do not change how packets go, by API group (`''`: core); `note` says more when that is not the whole story. */
const NEUTRAL: Record<string, { group: string; note?: string }> = {
  ServiceAccount: { group: '' },
  Secret: { group: '' },
  ConfigMap: { group: '' },
  LimitRange: { group: '' },
  ResourceQuota: { group: '' },
  PersistentVolume: { group: '' },
  PersistentVolumeClaim: { group: '' },
  PodTemplate: { group: '' },
  Event: { group: '' },
  ComponentStatus: { group: '' },
  ControllerRevision: { group: 'apps' },
  Job: { group: 'batch', note: 'podwalk makes no pods for Jobs; the Pods printed with them run as printed' },
  CronJob: { group: 'batch', note: 'podwalk makes no Jobs or pods for CronJobs; the Pods printed with them run as printed' },
  HorizontalPodAutoscaler: { group: 'autoscaling', note: 'replicas stay what the workloads print' },
  PodDisruptionBudget: { group: 'policy' },
  Role: { group: 'rbac.authorization.k8s.io' },
  ClusterRole: { group: 'rbac.authorization.k8s.io' },
  RoleBinding: { group: 'rbac.authorization.k8s.io' },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io' },
  StorageClass: { group: 'storage.k8s.io' },
  CSIDriver: { group: 'storage.k8s.io' },
  CSINode: { group: 'storage.k8s.io' },
  CSIStorageCapacity: { group: 'storage.k8s.io' },
  VolumeAttachment: { group: 'storage.k8s.io' },
  VolumeAttributesClass: { group: 'storage.k8s.io' },
  CustomResourceDefinition: { group: 'apiextensions.k8s.io' },
  MutatingWebhookConfiguration: { group: 'admissionregistration.k8s.io' },
  ValidatingWebhookConfiguration: { group: 'admissionregistration.k8s.io' },
  ValidatingAdmissionPolicy: { group: 'admissionregistration.k8s.io' },
  ValidatingAdmissionPolicyBinding: { group: 'admissionregistration.k8s.io' },
  MutatingAdmissionPolicy: { group: 'admissionregistration.k8s.io' },
  MutatingAdmissionPolicyBinding: { group: 'admissionregistration.k8s.io' },
  Lease: { group: 'coordination.k8s.io' },
  PriorityClass: { group: 'scheduling.k8s.io', note: 'they do not change how packets go; preemption is not modelled' },
  RuntimeClass: { group: 'node.k8s.io' },
  CertificateSigningRequest: { group: 'certificates.k8s.io' },
  ClusterTrustBundle: { group: 'certificates.k8s.io' },
  APIService: { group: 'apiregistration.k8s.io' },
  FlowSchema: { group: 'flowcontrol.apiserver.k8s.io' },
  PriorityLevelConfiguration: { group: 'flowcontrol.apiserver.k8s.io' },
  ResourceClaim: { group: 'resource.k8s.io' },
  ResourceClaimTemplate: { group: 'resource.k8s.io' },
  DeviceClass: { group: 'resource.k8s.io' },
  ResourceSlice: { group: 'resource.k8s.io' },
  ServiceCIDR: { group: 'networking.k8s.io', note: 'the service range is cluster.serviceCIDR (inferred from printed Services when not given)' },
  IPAddress: { group: 'networking.k8s.io', note: 'Services carry their cluster IPs' },
};

/** Groups the Kubernetes API server serves itself: an unknown kind there is a mistake, not a custom resource. */
const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'extensions',
  ...Object.values(NEUTRAL).map((k) => k.group),
  'discovery.k8s.io',
  'networking.k8s.io',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'internal.apiserver.k8s.io',
  'storagemigration.k8s.io',
]);

/** The API group of an apiVersion (`apps/v1` -> apps, `v1` -> core, ''). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export type IgnoredKind = { kind: 'neutral'; note?: string } | { kind: 'custom' } | { kind: 'wrong-group'; group: string } | undefined;

/** How a kind podwalk does not model is taken: ignored (built in and neutral, or custom), in the wrong group, or unknown (undefined). */
export function ignoredKind(kind: string, apiVersion: string): IgnoredKind {
  const group = apiGroup(apiVersion);
  const neutral = NEUTRAL[kind];
  if (neutral) return neutral.group === group ? { kind: 'neutral', ...(neutral.note ? { note: neutral.note } : {}) } : { kind: 'wrong-group', group: neutral.group };
  return BUILTIN_GROUPS.has(group) ? undefined : { kind: 'custom' };
}

/** Names suggested for a misspelt kind besides the modelled ones. */
export const NEUTRAL_KINDS = Object.keys(NEUTRAL);

/** One warning's text for `n` objects of an ignored kind. */
export function ignoredWarning(kind: string, apiVersion: string, n: number, how: IgnoredKind): string {
  const objects = `${n} ${kind} object${n > 1 ? 's' : ''} (${apiVersion})`;
  if (how?.kind === 'custom') return `${objects} ignored: a custom resource, which podwalk does not read (if it changes the network, e.g. a CNI's own policy or a Gateway API route, the walk does not show it)`;
  return `${objects} ignored: ${how?.kind === 'neutral' && how.note ? how.note : 'they do not change how packets go'}`;
}
