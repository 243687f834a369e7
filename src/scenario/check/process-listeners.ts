import { parseIpv4 } from '../../wire/addr.js';

/**
 * The TCP sockets a control-plane process listens on, read from its command
 * line: kubeadm's static pods (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler) declare no containerPorts, yet their processes listen. The
 * binary is the first word of the container's command (else of its args):
 * `etcd`, `/usr/local/bin/etcd`, ..., never the pod's name (a shell running
 * it, `sh -c "etcd ..."`, is not read). What it listens on are its flags,
 * with the binary's own defaults when a flag is absent:
 *
 * - kube-apiserver, kube-controller-manager, kube-scheduler: `--secure-port`
 *   (6443, 10257, 10259; 0 turns serving off) on `--bind-address` (default
 *   0.0.0.0, every address; kubeadm gives the controller manager and the
 *   scheduler 127.0.0.1);
 * - etcd: every URL of `--listen-client-urls` (default
 *   `http://localhost:2379`), `--listen-peer-urls` (default
 *   `http://localhost:2380`), `--listen-client-http-urls` and
 *   `--listen-metrics-urls` (no default); kubeadm's are `127.0.0.1:2379` and
 *   the node's address `:2379`, the node's `:2380`, and `127.0.0.1:2381`.
 *
 * A flag is `--name=value` or `--name value` (`-name` too, as Go's flag
 * package reads etcd's); the last one given wins. Addresses: `localhost` is
 * 127.0.0.1 (etcd's one exception to IP literals, embed/config.go
 * checkBindURLs), `0.0.0.0` and `::` are every address (a dual-stack
 * socket), other IPv6 addresses listen on no IPv4 address. A `$(VAR)` host,
 * which kubelet expands from the container's environment, is taken as every
 * address (podwalk does not read the environment); `unix://` URLs are not
 * TCP. A value the process itself refuses (a host name in an etcd URL, a
 * port out of range, a `--bind-address` that is no IP) stops it at start:
 * it listens on nothing, and `refused` says why.
 */
export interface ProcessListeners {
  /** The binary, as its word names it. */
  binary: Binary;
  /** TCP ports and the IPv4 addresses bound on each (undefined: every address). */
  listeners: { port: number; bind: string[] | undefined }[];
  /** The flag the process would exit on at start (then it listens on nothing). */
  refused?: string;
}

type Binary = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'etcd';

/** `--secure-port` defaults (k8s.io/apiserver SecureServingOptions, as each component sets it). */
const SECURE_PORT: Record<Exclude<Binary, 'etcd'>, number> = { 'kube-apiserver': 6443, 'kube-controller-manager': 10257, 'kube-scheduler': 10259 };
/** etcd's URL flags and their defaults (server/embed/config.go: DefaultListenClientURLs, DefaultListenPeerURLs). */
const ETCD_URL_FLAGS: Record<string, string | undefined> = {
  'listen-client-urls': 'http://localhost:2379',
  'listen-peer-urls': 'http://localhost:2380',
  'listen-client-http-urls': undefined,
  'listen-metrics-urls': undefined,
};
const BINARIES: readonly Binary[] = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'];

/** What a container's command and args (as words) listen on, if it runs a binary named here. */
export function processListeners(words: readonly string[]): ProcessListeners | undefined {
  const first = words[0] ?? '';
  const binary = BINARIES.find((b) => first === b || first.endsWith(`/${b}`));
  if (binary === undefined) return undefined;
  const flags = readFlags(words);
  if (binary === 'etcd') {
    const byPort = new Map<number, string[] | undefined>();
    for (const [flag, dflt] of Object.entries(ETCD_URL_FLAGS)) {
      const value = flags.get(flag) ?? dflt;
      for (const url of value ? value.split(',').filter((u) => u !== '') : []) {
        const l = readUrl(url);
        if (l === 'not-tcp') continue;
        if (l === undefined) return { binary, listeners: [], refused: `--${flag}=${value}: etcd expects an IP (or localhost) and a port in each URL for binding` };
        addListener(byPort, l.port, l.bind);
      }
    }
    return { binary, listeners: [...byPort].map(([port, bind]) => ({ port, bind })) };
  }
  const portText = flags.get('secure-port');
  const port = portText === undefined ? SECURE_PORT[binary] : /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (Number.isNaN(port) || port > 65535) return { binary, listeners: [], refused: `--secure-port=${portText}: expected a port between 0 and 65535` };
  if (port === 0) return { binary, listeners: [] };
  const bindText = flags.get('bind-address');
  const bind = bindText === undefined ? undefined : readHost(bindText);
  if (bind === 'unreadable' || (bind !== undefined && bind !== 'no-ipv4' && bindText === 'localhost')) return { binary, listeners: [], refused: `--bind-address=${bindText}: expected an IP address` };
  return { binary, listeners: bind === 'no-ipv4' ? [] : [{ port, bind }] };
}

/** One more socket on `port`: every address absorbs the others. */
function addListener(byPort: Map<number, string[] | undefined>, port: number, bind: string[] | undefined | 'no-ipv4'): void {
  if (bind === 'no-ipv4') return;
  if (!byPort.has(port)) byPort.set(port, bind === undefined ? undefined : [...bind]);
  else {
    const cur = byPort.get(port);
    if (cur === undefined || bind === undefined) byPort.set(port, undefined);
    else for (const a of bind) if (!cur.includes(a)) cur.push(a);
  }
}

/** `--name=value` and `--name value` (single dash too); the last wins. A bare `--name` followed by another flag has no value here. */
function readFlags(words: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const m = /^--?([a-z0-9][a-z0-9-]*)(?:=(.*))?$/.exec(words[i]!);
    if (!m) continue;
    if (m[2] !== undefined) out.set(m[1]!, m[2]);
    else if (i + 1 < words.length && !words[i + 1]!.startsWith('-')) out.set(m[1]!, words[++i]!);
  }
  return out;
}

/** An etcd listen URL: its port and bound addresses; `not-tcp` for unix sockets; undefined when unreadable. */
function readUrl(url: string): { port: number; bind: string[] | undefined | 'no-ipv4' } | 'not-tcp' | undefined {
  const m = /^([a-z]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)\/?$/.exec(url.trim());
  if (/^unixs?:\/\//.test(url.trim())) return 'not-tcp';
  if (!m || !['http', 'https'].includes(m[1]!)) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  const bind = readHost(m[2]!.replace(/^\[(.*)\]$/, '$1'));
  return bind === 'unreadable' ? undefined : { port, bind };
}

/** A bind host: IPv4 addresses, undefined for every address, `no-ipv4` for an IPv6 one. */
function readHost(host: string): string[] | undefined | 'no-ipv4' | 'unreadable' {
  if (host === 'localhost') return ['127.0.0.1'];
  if (host === '' || host === '0.0.0.0' || host === '::') return undefined;
  if (parseIpv4(host) !== undefined) return [host];
  if (host.includes(':')) return 'no-ipv4';
  // A variable kubelet expands from the container's environment ($(POD_IP)): which address it is, podwalk does not read.
  if (/^\$\([A-Za-z_][A-Za-z0-9_]*\)$/.test(host)) return undefined;
  return 'unreadable';
}
