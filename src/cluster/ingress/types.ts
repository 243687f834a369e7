/**
 * The networking.k8s.io/v1 objects an ingress controller acts on, as the API
 * server stores them (validated, defaults applied). Plain data: the scenario
 * layer's validated types fit these shapes.
 */

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** `IngressBackend` with a Service (resource backends are not modelled). */
export interface IngressBackendInput {
  service: string;
  /** `port.number` or `port.name` (exactly one is set). */
  port: { number: number } | { name: string };
}

export interface IngressPathInput {
  path: string;
  pathType: PathType;
  backend: IngressBackendInput;
}

export interface IngressRuleInput {
  /** Absent = every host. May start with `*.` (one DNS label). */
  host?: string;
  /** `http.paths`; absent `http` = no paths (the host only gets a server). */
  paths: IngressPathInput[];
}

export interface IngressInput {
  namespace: string;
  name: string;
  /** `spec.ingressClassName`, after the DefaultIngressClass admission plugin filled it in. */
  ingressClassName?: string;
  /**
   * `metadata.creationTimestamp` in seconds since the epoch (the API server's
   * one-second resolution), when the scenario gives it; absent = created when
   * the scenario is applied, after every object that gives one.
   */
  created?: number;
  /** The deprecated `kubernetes.io/ingress.class` annotation. */
  classAnnotation?: string;
  defaultBackend?: IngressBackendInput;
  rules: IngressRuleInput[];
  /** `spec.tls[].hosts` (no certificates are modelled: the hosts only say which names are served over TLS). */
  tlsHosts: string[];
  /**
   * `spec.tls` has at least one entry: ingress-nginx then gives every rule
   * host of this Ingress a certificate (its Secret's, else the default
   * one), listed in `tls[].hosts` or not.
   */
  hasTls: boolean;
  /** `nginx.ingress.kubernetes.io/service-upstream: "true"`: proxy to the Service's cluster IP, not to its endpoints. */
  serviceUpstream: boolean;
  /** `nginx.ingress.kubernetes.io/ssl-redirect` (default true): plain http to a host with a certificate gets a 308 to https. */
  sslRedirect: boolean;
}

export interface IngressClassInput {
  name: string;
  /** `spec.controller`, e.g. `k8s.io/ingress-nginx`. */
  controller: string;
  /** `ingressclass.kubernetes.io/is-default-class: "true"`. */
  isDefault: boolean;
}

/** What an ingress-nginx controller pod was started with (its container arguments). */
export interface IngressControllerFlags {
  /** `--controller-class` (default `k8s.io/ingress-nginx`). */
  controllerClass: string;
  /** `--ingress-class` (default `nginx`): the IngressClass name and the legacy annotation value it answers to. */
  ingressClass: string;
  /** `--watch-ingress-without-class` (default false). */
  watchWithoutClass: boolean;
}

export const DEFAULT_CONTROLLER_FLAGS: IngressControllerFlags = { controllerClass: 'k8s.io/ingress-nginx', ingressClass: 'nginx', watchWithoutClass: false };
