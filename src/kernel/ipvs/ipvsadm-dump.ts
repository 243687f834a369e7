import { formatIpv4, parseIpv4 } from '../../wire/addr.js';
import { forEachDumpLine } from '../dump-error.js';
import { sortedDests, type Ipvs } from './ipvs.js';
import { SCHEDULERS, type SchedulerName } from './schedulers.js';

/**
 * `ipvsadm -Sn`: one `-A` line per virtual service, then an `-a` line per real
 * server (podwalk's IPVS forwards by masquerading only, `-m`, as kube-proxy
 * configures it).
 */
export function saveIpvs(ipvs: Ipvs): string {
  const out: string[] = [];
  for (const s of ipvs.virtualServices()) {
    const svc = `${s.protocol === 'TCP' ? '-t' : s.protocol === 'UDP' ? '-u' : '--sctp-service'} ${formatIpv4(s.vip)}:${s.port}`;
    out.push(`-A ${svc} -s ${s.scheduler}${s.persistentSec !== undefined ? ` -p ${s.persistentSec}` : ''}`);
    for (const d of sortedDests(s)) out.push(`-a ${svc} -r ${formatIpv4(d.ip)}:${d.port} -m -w ${d.weight}`);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

const PROTO_FLAG: Record<string, 'TCP' | 'UDP' | 'SCTP' | undefined> = { '-t': 'TCP', '--tcp-service': 'TCP', '-u': 'UDP', '--udp-service': 'UDP', '--sctp-service': 'SCTP' };
const NOT_MODELLED: Record<string, string> = {
  '-f': 'firewall-mark services (-f) are not modelled',
  '--fwmark-service': 'firewall-mark services are not modelled',
  '-g': 'direct routing (-g) is not modelled: podwalk forwards by masquerading (-m), as kube-proxy configures IPVS',
  '--gatewaying': 'direct routing is not modelled: podwalk forwards by masquerading (-m), as kube-proxy configures IPVS',
  '-i': 'IP-in-IP tunnelling (-i) is not modelled: podwalk forwards by masquerading (-m), as kube-proxy configures IPVS',
  '--ipip': 'IP-in-IP tunnelling is not modelled: podwalk forwards by masquerading (-m), as kube-proxy configures IPVS',
};

/**
 * Load `ipvsadm -Sn` output (the format `ipvsadm-restore` reads): `-A`
 * virtual services with `-s SCHEDULER` and `-p TIMEOUT`, `-a` real servers
 * with `-r ADDR:PORT`, `-m` and `-w WEIGHT`. Throws DumpError (line, column)
 * for anything else.
 */
export function restoreIpvs(ipvs: Ipvs, text: string): void {
  forEachDumpLine(text, (args, _raw, fail) => {
    const cmd = args[0]!;
    if (cmd !== '-A' && cmd !== '--add-service' && cmd !== '-a' && cmd !== '--add-server') fail(cmd, `unknown ipvsadm command ${cmd}: expected -A (a virtual service) or -a (a real server), as ipvsadm -Sn prints`);
    const service = cmd === '-A' || cmd === '--add-service';
    let proto: 'TCP' | 'UDP' | 'SCTP' | undefined;
    let vip: { ip: number; port: number } | undefined;
    let scheduler: SchedulerName = 'wlc';
    let persistent: number | undefined;
    let real: { ip: number; port: number } | undefined;
    let weight = 1;
    for (let k = 1; k < args.length; k++) {
      const a = args[k]!;
      const value = (): string => args[++k] ?? fail(a, `option ${a} needs a value`);
      if (NOT_MODELLED[a]) fail(a, NOT_MODELLED[a]!);
      if (PROTO_FLAG[a]) {
        proto = PROTO_FLAG[a];
        const v = value();
        vip = addrPort(v) ?? fail(v, `expected ADDRESS:PORT after ${a}, found ${v}`);
      } else if (service && (a === '-s' || a === '--scheduler')) {
        const v = value();
        if (!(SCHEDULERS as readonly string[]).includes(v)) fail(v, `unknown scheduler ${v}: podwalk models ${SCHEDULERS.join(', ')}`);
        scheduler = v as SchedulerName;
      } else if (service && (a === '-p' || a === '--persistent')) {
        const v = args[k + 1];
        // -p without a number is ipvsadm's default persistence of 300 s.
        if (v !== undefined && /^[0-9]+$/.test(v)) persistent = Number(args[++k]);
        else persistent = 300;
      } else if (service && (a === '-M' || a === '--netmask')) {
        const v = value();
        if (v !== '255.255.255.255') fail(v, `persistence netmask ${v} is not modelled (only per-client persistence, 255.255.255.255)`);
      } else if (!service && (a === '-r' || a === '--real-server')) {
        const v = value();
        real = addrPort(v) ?? fail(v, `expected ADDRESS:PORT after ${a}, found ${v}`);
      } else if (!service && (a === '-m' || a === '--masquerading')) {
        // the only forwarding method modelled
      } else if (!service && (a === '-w' || a === '--weight')) {
        const v = value();
        if (!/^[0-9]+$/.test(v) || Number(v) > 65535) fail(v, `expected a weight from 0 to 65535, found ${v}`);
        weight = Number(v);
      } else fail(a, `unknown ipvsadm option ${a} for ${service ? '-A' : '-a'}`);
    }
    if (!proto || !vip) return fail(cmd, `${cmd} needs a virtual service: -t, -u or --sctp-service ADDRESS:PORT`);
    const existing = ipvs.service(proto, vip.ip, vip.port);
    if (service) {
      if (existing) fail(args[2], `virtual service ${proto} ${formatIpv4(vip.ip)}:${vip.port} is already defined (ipvsadm: Service already exists)`);
      ipvs.addService({ protocol: proto, vip: vip.ip, port: vip.port, scheduler, ...(persistent === undefined ? {} : { persistentSec: persistent }) });
      return;
    }
    if (!existing) return fail(args[2], `no virtual service ${proto} ${formatIpv4(vip.ip)}:${vip.port} defined before this real server (ipvsadm: No such service)`);
    if (!real) return fail(cmd, '-a needs a real server: -r ADDRESS:PORT');
    if (existing.dests.some((d) => d.ip === real!.ip && d.port === real!.port)) fail(args[args.indexOf('-r') + 1], `real server ${formatIpv4(real.ip)}:${real.port} is already in this service (ipvsadm: Destination already exists)`);
    ipvs.addDest(existing, real.ip, real.port, weight);
  });
}

function addrPort(s: string): { ip: number; port: number } | undefined {
  const m = /^([0-9.]+):([0-9]+)$/.exec(s);
  if (!m) return undefined;
  const ip = parseIpv4(m[1]!);
  const port = Number(m[2]);
  return ip === undefined || port > 65535 ? undefined : { ip, port };
}
