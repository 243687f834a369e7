import type { Rng } from '../../engine/rng.js';
import type { NetNs } from '../../kernel/netns.js';
import type { Skb } from '../../kernel/skb.js';
import type { TcpStream } from '../../kernel/sockets.js';
import type { IngressEvent } from '../../trace/events.js';
import { formatIpv4, parseIpv4 } from '../../wire/addr.js';
import { encodeRequest, encodeResponse, header, REASONS, type HttpRequest, type HttpResponse } from '../../wire/http.js';
import { onHttpRequest, responseReader, traceResponse } from '../http/reader.js';
import type { ControlPlaneInput, PodInput } from '../spec.js';
import { backendKey, backendName, backendsFor, describeBackend, nameOfKey, sameBackend, type Backend, type Upstream } from './backends.js';
import { BackendSync, LUA_SYNC_PERIOD_NS } from './backend-sync.js';
import { lookupExternalName, type ExternalNameAnswer } from './external-name.js';
import { KUBEADM_DNS_TTL } from '../dns/coredns.js';
import { recordsFromControlPlane } from '../dns/cluster-dns.js';
import { podResolvConf, type ResolvConfLines } from '../dns/resolver.js';
import { proxyRequest } from './proxy-request.js';
import { certifiedHosts, hasCertificate, redirectLocation } from './ssl-redirect.js';
import { autoRedirect, buildServers, CATCH_ALL, requestHost, selectLocation, selectServer, type Location, type Server } from './routing.js';
import { escapeUri, parseRequestUri } from './uri.js';
import type { IngressClassInput, IngressControllerFlags, IngressInput } from './types.js';

/** ingress-nginx's defaults (its ConfigMap keys): proxy-connect-timeout 5 s, proxy-next-upstream "error timeout", proxy-next-upstream-tries 3. */
export const PROXY_CONNECT_TIMEOUT_NS = 5_000_000_000;
export const PROXY_NEXT_UPSTREAM_TRIES = 3;
/** How nginx's error log would put a failed upstream connect. */
const FAILURES = {
  reset: 'connection refused (RST)',
  refused: 'connection refused (ICMP port unreachable)',
  unreachable: 'connect() failed (ICMP destination unreachable)',
  timeout: 'connect() timed out in the kernel',
} as const;

/** ingress-nginx's `upstream upstream_balancer { server 0.0.0.1; ... }`: where nginx connects when the Lua balancer set no peer. */
const PLACEHOLDER_PEER = 0x00000001;

/** The ports nginx listens on in the controller pod (ingress-nginx's http and https). */
const LISTEN: { port: number; scheme: 'http' | 'https' }[] = [
  { port: 80, scheme: 'http' },
  { port: 443, scheme: 'https' },
];

/** Whether a controller started with `flags` serves `ing` (ingress-nginx's class checks). */
export function serves(flags: IngressControllerFlags, ing: IngressInput, classes: readonly IngressClassInput[]): boolean {
  if (ing.ingressClassName !== undefined) return classes.some((c) => c.name === ing.ingressClassName && c.controller === flags.controllerClass);
  if (ing.classAnnotation !== undefined) return ing.classAnnotation === flags.ingressClass;
  return flags.watchWithoutClass;
}

/**
 * Runs an ingress-nginx controller in each pod that has one: nginx listens
 * on 80 and 443 in the pod's namespace, terminates the client's TCP
 * connection, reads the HTTP request, picks the server and location as
 * nginx does (routing.ts), and proxies the request over a new TCP connection
 * from the pod to one endpoint of the backend Service (the Lua balancer,
 * round robin), or to the Service's cluster IP with service-upstream. The
 * upstream's response is relayed on the client's connection. Plain http to
 * a host with a certificate → ssl-redirect's 308 (ssl-redirect.ts); no
 * rule → the default backend's 404; no endpoints → 503; an upstream that refuses or
 * does not answer within proxy-connect-timeout → the next one, then 502 / 504.
 *
 * Returns each controller's watch: the control loop tells it when Services or
 * EndpointSlices change, and the new backends reach nginx's balancers as
 * ingress-nginx's sync and Lua timer bring them (backend-sync.ts).
 */
export function installIngressControllers(podNs: Map<string, NetNs>, pods: readonly PodInput[], cp: ControlPlaneInput): IngressWatch[] {
  const ingress = cp.ingress ?? { ingresses: [], classes: [] };
  const watches: IngressWatch[] = [];
  for (const pod of pods) {
    if (!pod.ingressController) continue;
    const ns = podNs.get(`${pod.namespace}/${pod.name}`);
    if (!ns || pod.hostNetwork) continue;
    const flags = pod.ingressController;
    const served = ingress.ingresses.filter((i) => serves(flags, i, ingress.classes));
    const dnsIp = cp.services.find((s) => s.namespace === 'kube-system' && s.name === 'kube-dns')?.clusterIP;
    const resolv = dnsIp === undefined ? { nameservers: [], search: [], options: [] } : podResolvConf(pod, dnsIp);
    const nginx = new Nginx(ns, buildServers(served), certifiedHosts(served), cp, resolv);
    for (const l of LISTEN) ns.sockets.listenTcp(l.port, (client) => nginx.accept(client, l.scheme));
    const sync = new BackendSync(ns.world.sched, cp, nginx);
    watches.push({
      pod: `${pod.namespace}/${pod.name}`,
      apiChanged: (next) => {
        nginx.dnsChanged(next);
        sync.apiChanged(next);
      },
      stop: () => sync.stop(),
    });
  }
  return watches;
}

/** A controller's informers: told of every Service or EndpointSlice change. */
export interface IngressWatch {
  /** The controller pod (namespace/name). */
  pod: string;
  apiChanged(cp: ControlPlaneInput): void;
  /** The pod's containers exited: no more syncs, and none of those pending happens. */
  stop(): void;
}

class Nginx {
  /** The balancer's position per backend (round robin, starting at a seeded random endpoint; a new one when its endpoints change). */
  private readonly rr = new Map<string, number>();
  /** $request_id's random bytes: a stream of its own, so the balancer's and the kernel's draws do not move. */
  private readonly ids: Rng;
  /** The backends the controller last computed (its running configuration) and POSTed to the Lua side. */
  private posted: Map<string, Backend>;
  /** The backends nginx's workers balance over (what sync_backends last took). */
  private lua: Map<string, Backend>;
  /** util/dns.lua's cache: a name's answer, resolved at `atNs`, kept until `expiresNs` (a failed lookup is not kept). */
  private readonly dnsCache = new Map<string, { answer: ExternalNameAnswer | undefined; atNs: number; expiresNs: number }>();
  /** The API objects cluster DNS answered from, since when (the build's at 0): a lookup at a past tick reads those of then. */
  private readonly dnsHistory: { atNs: number; cp: ControlPlaneInput }[];

  constructor(
    private readonly ns: NetNs,
    private readonly servers: Server[],
    private readonly certified: ReadonlySet<string>,
    cp: ControlPlaneInput,
    /** The controller pod's resolv.conf: what the Lua resolver reads (util/resolv_conf.lua). */
    private readonly resolv: ResolvConfLines,
  ) {
    this.ids = ns.rng.fork('nginx $request_id');
    this.posted = backendsFor(servers, cp);
    this.lua = this.posted;
    this.dnsHistory = [{ atNs: 0, cp }];
  }

  /** CoreDNS saw the Services or EndpointSlices change: lookups from now on get the new answers. */
  dnsChanged(cp: ControlPlaneInput): void {
    this.dnsHistory.push({ atNs: this.ns.world.sched.now, cp });
  }

  /**
   * What a worker's balancer holds for an ExternalName backend at this moment:
   * the addresses util/dns.lua found the last time sync_backends_with_external_name
   * ran (every second, at whole seconds of the run; the first time when nginx
   * started, before the run). Its cache keeps an answer for the records' TTL
   * (lrucache: expired once the TTL has passed, so the lookup is made again at
   * the first tick after it); a failed lookup is not cached and is made again at
   * the next tick. Worked out when a request needs it, with the API objects of
   * each lookup's tick, so no timer runs.
   */
  private externalAddresses(name: string): ExternalNameAnswer | undefined {
    const tick = Math.floor(this.ns.world.sched.now / LUA_SYNC_PERIOD_NS) * LUA_SYNC_PERIOD_NS;
    let c = this.dnsCache.get(name);
    if (!c) c = this.lookupAt(name, 0);
    for (;;) {
      const next = (Math.floor(c.expiresNs / LUA_SYNC_PERIOD_NS) + 1) * LUA_SYNC_PERIOD_NS;
      if (next > tick) break;
      c = this.lookupAt(name, next);
    }
    this.dnsCache.set(name, c);
    return c.answer;
  }

  private lookupAt(name: string, atNs: number): { answer: ExternalNameAnswer | undefined; atNs: number; expiresNs: number } {
    let cp = this.dnsHistory[0]!.cp;
    for (const h of this.dnsHistory) if (h.atNs <= atNs) cp = h.cp;
    const records = recordsFromControlPlane(cp, { ttl: KUBEADM_DNS_TTL, ...(cp.namespaces ? { namespaces: cp.namespaces } : {}) });
    const answer = lookupExternalName(name, this.resolv, records);
    // A failed lookup is not cached: the next tick asks again (the first tick after expiresNs).
    return { answer, atNs, expiresNs: answer ? atNs + answer.ttlS * 1e9 : atNs };
  }

  /**
   * The balancer's nodes for an ExternalName backend: each address found,
   * with the port; the name itself when nothing was (util/dns.lua hands it
   * back), which set_current_peer cannot use ("no host allowed"), nor a port
   * 0 ("invalid port"): nginx then connects to the upstream block's
   * placeholder server, 0.0.0.1:80.
   */
  private externalUpstreams(b: { externalName: string; port: number }): Upstream[] {
    // util/dns.lua asks an address as a name too; nothing answers, so the node is the address itself, which works.
    const literal = parseIpv4(b.externalName);
    const ips = this.externalAddresses(b.externalName)?.ips ?? (literal === undefined ? undefined : [literal]);
    const nodes = ips ? ips.map((ip) => `${formatIpv4(ip)}:${b.port}`) : [`${b.externalName}:${b.port}`];
    return nodes.map((text, i) => {
      const ip = ips?.[i];
      if (ip !== undefined && b.port > 0 && b.port < 65536) return { addr: ip, port: b.port, text };
      return { addr: PLACEHOLDER_PEER, port: 80, text: `${formatIpv4(PLACEHOLDER_PEER)}:80`, node: text, unset: `${ip === undefined ? `ExternalName ${b.externalName} did not resolve: ` : ''}set_current_peer(${text}) failed, ${ip === undefined ? 'no host allowed' : 'invalid port'}` };
    });
  }

  /** syncIngress: the backends from the API objects of now; POSTed when they differ from the running ones. */
  sync(cp: ControlPlaneInput): boolean {
    const next = backendsFor(this.servers, cp);
    const changed = [...next].filter(([k, b]) => !sameBackend(b, this.posted.get(k)));
    this.posted = next;
    if (changed.length === 0) return false;
    const what = changed.map(([k, b]) => `${k} -> ${describeBackend(b)}`).join('; ');
    this.ns.world.change(this.ns.name, 'ingress-sync', `ingress-nginx: backends changed, POST /configuration/backends (no reload): ${what}`);
    return true;
  }

  /** A worker's sync_backends: the posted backends replace the balancers; a backend whose endpoints changed starts its round robin anew (reinit). */
  apply(): void {
    const changed = [...this.posted].filter(([k, b]) => !sameBackend(b, this.lua.get(k))).map(([k]) => k);
    if (changed.length === 0) return;
    // The balancer's position is per upstream (`ns/svc:port endpoint|service`), which locations with and without service-upstream may share.
    for (const k of changed) for (const is of ['endpoint', 'service']) this.rr.delete(`${nameOfKey(k)} ${is}`);
    this.lua = this.posted;
    this.ns.world.change(this.ns.name, 'ingress-sync', `nginx: sync_backends (Lua timer) rebuilt the balancers of ${changed.join(', ')}`);
  }

  accept(client: TcpStream, scheme: 'http' | 'https'): { data: (s: TcpStream, bytes: Uint8Array, skb: Skb) => void } {
    return onHttpRequest(this.ns.world, this.ns.name, (s, req, skb) => this.handle(s, req, skb, scheme));
  }

  private handle(client: TcpStream, req: HttpRequest, skb: Skb, scheme: 'http' | 'https'): void {
    const host = header(req.headers, 'host');
    const uri = parseRequestUri(req.target);
    if (!uri.ok) {
      // Found while nginx parses the request line, before any Host is read: the listener's default server (the catch-all) answers.
      this.event(skb, { action: 'respond', server: CATCH_ALL, status: 400, reason: `client sent invalid request: ${uri.why}` });
      return this.answer(client, 400, skb);
    }
    const server = selectServer(this.servers, host);
    // The location is found (and an auto redirect answered) before the rewrite phase, where ssl-redirect and the balancer run.
    const redirect = autoRedirect(server, uri.path);
    if (redirect) {
      const location = autoRedirectLocation(scheme, host, client.local, redirect.path, uri.args);
      this.event(skb, { action: 'respond', ...describe(server, redirect), status: 301, reason: `auto_redirect to ${location}: no location is named ${uri.path}, ${redirect.path} (proxy_pass) is` });
      return this.answer(client, 301, skb, [['Location', location]]);
    }
    const loc = selectLocation(server, uri.path);
    const where = describe(server, loc);
    if (scheme === 'http' && loc?.sslRedirect && hasCertificate(this.certified, host)) {
      const location = redirectLocation(host, req.target);
      this.event(skb, { action: 'respond', ...where, status: 308, reason: `ssl-redirect to ${location}: the host has a TLS certificate and the request came over http` });
      return this.answer(client, 308, skb, [['Location', location]]);
    }
    if (!loc || loc.backend.kind === 'default') {
      this.event(skb, { action: 'respond', ...where, status: 404, reason: 'no rule matched and no defaultBackend: the default backend' });
      return this.answer(client, 404, skb);
    }
    const { namespace, backend } = loc.backend;
    const backendText = backendName(namespace, backend);
    const key = backendKey(namespace, backend, loc.serviceUpstream);
    const current = this.lua.get(key)!;
    if ('none' in current) {
      this.event(skb, { action: 'respond', ...where, backend: backendText, status: 503, reason: current.none });
      return this.answer(client, 503, skb);
    }
    const external = 'externalName' in current ? current : undefined;
    const upstreams = external ? this.externalUpstreams(external) : (current as { upstreams: Upstream[] }).upstreams;
    const upstreamIs = external ? 'external-name' : (current as { upstreamIs: 'endpoint' | 'service' }).upstreamIs;
    const named = external ? { externalName: external.externalName } : {};
    const proxied = this.upstreamRequest(req, client, scheme);
    // The balancer's nodes: for an ExternalName what the name resolved to (the name itself when it did not).
    const nodes = upstreams.map((u) => u.node ?? u.text);
    const candidates = nodes;
    // A balancer rebuilt with other nodes starts its round robin anew (an ExternalName's nodes change as its answer does).
    const balancer = `${backendText} ${upstreamIs}${external ? ` ${nodes.join(' ')}` : ''}`;
    const attempt = (tries: number): void => {
      const u = this.pick(balancer, upstreams);
      this.event(skb, { action: 'proxy', ...where, backend: backendText, upstream: u.text, upstreamIs, ...named, candidates, ...(u.unset ? { reason: u.unset } : {}) });
      let settled = false;
      const fail = (reason: 'error' | 'timeout', detail: string): void => {
        if (settled) return;
        settled = true;
        if (tries < PROXY_NEXT_UPSTREAM_TRIES) {
          this.event(skb, { action: 'retry', ...where, backend: backendText, upstream: u.text, upstreamIs, ...named, reason: detail });
          return attempt(tries + 1);
        }
        const status = reason === 'timeout' ? 504 : 502;
        this.event(skb, { action: 'respond', ...where, backend: backendText, upstream: u.text, upstreamIs, ...named, status, reason: `${detail} (${tries} tries)` });
        this.answer(client, status, skb);
      };
      const reader = responseReader();
      let connected = false;
      const { stream } = this.ns.sockets.connect({
        dst: u.addr,
        protocol: 'TCP',
        port: u.port,
        payload: proxied.length,
        data: proxied,
        flow: skb.flow ?? '',
        cause: skb.id,
        app: {
          opened: () => {
            connected = true;
          },
          data: (_s, bytes, rskb) => {
            const res = reader.push(bytes);
            if (!res || settled) return;
            settled = true;
            traceResponse(this.ns.world, this.ns.name, rskb, res);
            client.write(this.relayed(res), rskb);
          },
          // A connect() the kernel refused at once (route output: EINVAL ...) is told in the kernel's words.
          failed: (why, detail) => fail('error', why === 'unreachable' && !detail.startsWith('ICMP') ? detail : FAILURES[why]),
        },
      });
      if (settled) return; // connect() failed at once: no timer to wait for
      // proxy_connect_timeout: no SYN-ACK in time, nginx closes the socket and this upstream failed.
      this.ns.world.sched.after(PROXY_CONNECT_TIMEOUT_NS, () => {
        if (connected || settled) return;
        stream.abort(`nginx gave up: proxy-connect-timeout ${PROXY_CONNECT_TIMEOUT_NS / 1e9}s`);
        fail('timeout', `no answer within proxy-connect-timeout ${PROXY_CONNECT_TIMEOUT_NS / 1e9}s`);
      });
    };
    attempt(1);
  }

  /** The Lua balancer's round robin (a seeded random start per backend). */
  private pick(key: string, upstreams: Upstream[]): Upstream {
    let i = this.rr.get(key);
    if (i === undefined) i = this.ns.rng.int(0, upstreams.length - 1);
    this.rr.set(key, (i + 1) % upstreams.length);
    return upstreams[i % upstreams.length]!;
  }

  /** The request nginx sends upstream (proxy-request.ts). */
  private upstreamRequest(req: HttpRequest, client: TcpStream, scheme: 'http' | 'https'): Uint8Array {
    return encodeRequest(proxyRequest(req, { remote: formatIpv4(client.remote), port: client.lport, scheme }, () => this.requestId()));
  }

  /** nginx's $request_id: 16 random bytes as 32 hex digits (from this controller's own seeded stream). */
  private requestId(): string {
    let id = '';
    for (let i = 0; i < 4; i++) id += this.ids.nextU32().toString(16).padStart(8, '0');
    return id;
  }

  private relayed(res: HttpResponse): Uint8Array {
    return encodeResponse({ status: res.status, reason: res.reason, headers: [['Content-Length', String(res.bodyBytes)], ...res.headers.filter(([k]) => k.toLowerCase() !== 'content-length')], bodyBytes: res.bodyBytes });
  }

  /** nginx answers itself, with its own error page (headers in the order nginx's header filter writes them; Server, Date and Connection are not modelled). */
  private answer(client: TcpStream, status: number, cause: Skb, extra: [string, string][] = []): void {
    const page = nginxErrorPage(status);
    client.write(encodeResponse({ status, reason: REASONS[status] ?? '', headers: [['Content-Type', 'text/html'], ['Content-Length', String(page)], ...extra], bodyBytes: page }), cause);
  }

  private event(skb: Skb, e: Omit<IngressEvent, 'kind' | 't' | 'pkt' | 'at'>): void {
    const w = this.ns.world;
    w.emit({ kind: 'ingress', t: w.sched.now, pkt: skb.id, at: this.ns.name, ...e });
  }
}

function describe(server: Server, loc: Location | undefined): Pick<IngressEvent, 'server' | 'ingress' | 'host' | 'path' | 'pathType'> {
  const r = loc?.rule;
  return { server: server.hostname, ...(r ? { ingress: r.ingress, ...(r.host === undefined ? {} : { host: r.host }), path: r.path, pathType: r.pathType } : loc?.ingress ? { ingress: loc.ingress } : {}) };
}

/**
 * The Location of an auto redirect: the location's name, escaped, with the
 * request's arguments; made absolute by nginx's header filter
 * (absolute_redirect on, ingress-nginx's relative-redirects off): the
 * connection's scheme, the request's host (the Host header lower-cased,
 * without port or trailing dot; the local address without one), no port
 * (port_in_redirect off).
 */
export function autoRedirectLocation(scheme: 'http' | 'https', hostHeader: string | undefined, local: number, name: string, args: string | undefined): string {
  const host = requestHost(hostHeader) || formatIpv4(local);
  return `${scheme}://${host}${escapeUri(name)}${args ? `?${args}` : ''}`;
}

/** Size of nginx's built-in error page for `status` (`<title>404 Not Found</title>` ... `<center>nginx</center>`). */
export function nginxErrorPage(status: number): number {
  const line = `${status} ${REASONS[status] ?? ''}`;
  return `<html>\r\n<head><title>${line}</title></head>\r\n<body>\r\n<center><h1>${line}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`.length;
}
