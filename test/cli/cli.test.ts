import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

const root = join(import.meta.dirname, '..', '..');
const scenario = (name: string): string => join(root, 'scenarios', name);

function runCli(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = cli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('podwalk CLI', () => {
  it('runs the default scenario with exit 0', () => {
    const r = runCli(['run']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('same-node: TCP, delivered');
    expect(r.out).toContain('all met');
  });

  it('exits 1 with a readable diff when an expectation fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-'));
    const text = readFileSync(scenario('arp-failure.yaml'), 'utf8').replace('dropReason: neigh-failed', 'dropReason: no-route');
    const file = join(dir, 'bad-expect.yaml');
    writeFileSync(file, text);
    const r = runCli(['run', file, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/dropReason\n\s+expected: no-route\n\s+actual:\s+neigh-failed/);
  });

  it('exits 2 naming file:line:col for invalid input, without a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: x}\ncluster:\n  nodes:\n    - name: a\n      podCIDR: 10.244.300.0/24\n');
    const r = runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/broken\.yaml:7:\d+: cluster\.nodes\[0\]\.podCIDR/);
    expect(r.err).not.toMatch(/^\s+at /m);
  });

  it('validate builds the cluster to check expect.via devices: an unknown one is exit 2 at its file:line:col, before any run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-'));
    const file = join(dir, 'bad-device.yaml');
    const text = readFileSync(scenario('cross-node-vxlan.yaml'), 'utf8');
    writeFileSync(file, text.replace('expect: {verdict: delivered, deliveredTo: pod/default/pod4}', 'expect: {via: [node1:cni0], notVia: [node2:cbr1]}'));
    const r = runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad-device\.yaml:\d+:\d+: traffic\[1\]\.expect\.via\[0\]: no device node1:cni0 \(devices of node1: lo, eth0, cbr0, flannel\.1, /);
    expect(r.err).toMatch(/traffic\[1\]\.expect\.notVia\[0\]: no device node2:cbr1 /);
    expect(r.out).toBe('');
    // The udp backend's flanneld is a location the trace names, not a device: valid.
    expect(runCli(['validate', scenario('cross-node-udp.yaml')]).code).toBe(0);
  });

  it('prints JSON Lines that are byte-identical across runs', () => {
    const a = runCli(['run', scenario('cross-node-vxlan.yaml'), '--json']).out;
    const b = runCli(['run', scenario('cross-node-vxlan.yaml'), '--json']).out;
    expect(a).toBe(b);
    const lines = a.trim().split('\n').map((l) => JSON.parse(l) as { kind?: string; schema?: string });
    expect(lines[0]!.schema).toBe('podwalk-trace');
    expect(lines.some((l) => l.kind === 'encap')).toBe(true);
  });

  it('shows routes, neighbours, fdb and addresses as ip/bridge print them', () => {
    const routes = runCli(['show', scenario('cross-node-vxlan.yaml'), 'routes', '--node', 'node1']).out;
    expect(routes).toContain('10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
    const neigh = runCli(['show', scenario('cross-node-host-gw.yaml'), 'neigh', '--node', 'node1']).out;
    expect(neigh).toMatch(/^192\.168\.56\.12 dev eth0 lladdr [0-9a-f:]{17} REACHABLE $/m);
    const vxfdb = runCli(['show', scenario('cross-node-vxlan.yaml'), 'fdb', '--node', 'node1']).out;
    expect(vxfdb).toMatch(/^[0-9a-f:]{17} dev flannel\.1 dst 192\.168\.56\.12 self permanent$/m);
    const fdb = runCli(['show', scenario('same-node.yaml'), 'fdb', '--node', 'node1']).out;
    expect(fdb).toMatch(/master cbr0/);
    const addr = runCli(['show', scenario('same-node.yaml'), 'addr', '--node', 'default/client']).out;
    expect(addr).toContain('inet 10.244.1.2/24');
    // As iproute2 6.1 prints them (captured from a namespace built alike on Linux 6.18).
    expect(addr).toContain('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n');
    expect(addr).toMatch(/^2: eth0@if\d+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu \d+ qdisc noqueue state UP group default qlen 1000\n {4}link\/ether [0-9a-f:]{17} brd ff:ff:ff:ff:ff:ff link-netnsid 0\n {4}inet 10\.244\.1\.2\/24 brd 10\.244\.1\.255 scope global eth0\n {7}valid_lft forever preferred_lft forever$/m);
    // A flannel pod's routes: isDefaultGateway's default and flannel's CNI plugin's route to the whole network, via the bridge.
    expect(runCli(['show', scenario('same-node.yaml'), 'routes', '--node', 'default/client']).out).toBe(
      'default via 10.244.1.1 dev eth0 \n10.244.0.0/16 via 10.244.1.1 dev eth0 \n10.244.1.0/24 dev eth0 proto kernel scope link src 10.244.1.2 \n',
    );
    const nodeAddr = runCli(['show', scenario('cross-node-vxlan.yaml'), 'addr', '--node', 'node1']).out;
    expect(nodeAddr).toMatch(/^\d+: flannel\.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default qlen 1000$/m);
    // The bridge plugin's and the node's configured addresses have their broadcast; flannel.1's /32 has none.
    expect(nodeAddr).toMatch(/^ {4}inet 10\.244\.1\.1\/24 brd 10\.244\.1\.255 scope global cbr0$/m);
    expect(nodeAddr).toMatch(/^ {4}inet 192\.168\.56\.11\/24 brd 192\.168\.56\.255 scope global eth0$/m);
    expect(nodeAddr).toMatch(/^ {4}inet 10\.244\.1\.0\/32 scope global flannel\.1$/m);
    expect(nodeAddr).toMatch(/^\d+: veth[0-9a-f]+@if\d+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master cbr0 state UP group default qlen 1000$/m);
    const multipath = runCli(['show', scenario('service-loadbalancer-spread.yaml'), 'routes', '--node', 'gateway']).out;
    expect(multipath).toContain('203.0.113.10 \n\tnexthop via 192.168.56.11 dev eth0 weight 1 \n\tnexthop via 192.168.56.12 dev eth0 weight 1 \n');
    // The resolver's summary names the ICMP error that ended each query.
    const dns = runCli(['run', scenario('dns-no-endpoints.yaml')]);
    expect(dns.code).toBe(0);
    expect(dns.out).toContain('web.default.svc.cluster.local: A ICMP port unreachable, AAAA ICMP port unreachable');
    const ct = runCli(['show', scenario('service-nodeport.yaml'), 'conntrack', '--node', 'node1']);
    expect(ct.out).not.toContain('flow entries');
    expect(ct.err).toMatch(/^conntrack v1\.4\.7 \(conntrack-tools\): [1-9]\d* flow entries have been shown\.\n$/);
  });

  it('show … nft lists native nftables tables and says on stderr where iptables-nft\'s tables are', () => {
    const iptablesMode = runCli(['show', scenario('service-clusterip.yaml'), 'nft', '--node', 'node1']);
    expect(iptablesMode).toMatchObject({ code: 0, out: '' });
    expect(iptablesMode.err).toMatch(/^node1: no native nftables table here; the iptables-nft tables \(ip mangle, ip filter, ip nat\) that nft list ruleset would also list: podwalk show … --node node1 iptables\n$/);
    const nftMode = runCli(['show', scenario('service-nftables.yaml'), 'nft', '--node', 'node1']);
    expect(nftMode.out).toMatch(/^table ip kube-proxy \{/);
    expect(nftMode.err).toMatch(/^node1: only the native nftables table\(s\) are listed; the iptables-nft tables \(ip mangle, ip filter, ip nat\)/);
    // A pod has no rules at all: nothing to say.
    expect(runCli(['show', scenario('service-clusterip.yaml'), 'nft', '--node', 'default/client'])).toMatchObject({ code: 0, out: '', err: '' });
  });

  it('show … ipvs outside ipvs mode says on stderr that kube-proxy runs in another mode, not that there are no Services', () => {
    const iptablesMode = runCli(['show', scenario('service-clusterip.yaml'), 'ipvs', '--node', 'node1']);
    expect(iptablesMode).toMatchObject({ code: 0, out: '' });
    expect(iptablesMode.err).toBe('node1: no IPVS virtual services here: kube-proxy runs in iptables mode (its Services: podwalk show … --node node1 iptables; or add --proxy-mode ipvs)\n');
    const nftMode = runCli(['show', scenario('service-nftables.yaml'), 'ipvs-save', '--node', 'node1']);
    expect(nftMode.err).toMatch(/^node1: no IPVS virtual services here: kube-proxy runs in nftables mode \(its Services: podwalk show … --node node1 nft;/);
    const ipvsMode = runCli(['show', scenario('service-clusterip.yaml'), 'ipvs', '--node', 'node1', '--proxy-mode', 'ipvs']);
    expect(ipvsMode.out).toContain('TCP  ');
    expect(ipvsMode.err).toBe('');
    // A pod has no kube-proxy: nothing to say.
    expect(runCli(['show', scenario('service-clusterip.yaml'), 'ipvs', '--node', 'default/client'])).toMatchObject({ code: 0, out: '', err: '' });
  });

  it('show takes the tools\' object names (route, neighbor, address) and --node as traffic names endpoints (pod/…, node/…)', () => {
    const routes = runCli(['show', scenario('service-clusterip.yaml'), 'routes', '--node', 'node1']);
    expect(runCli(['show', scenario('service-clusterip.yaml'), 'route', '--node', 'node/node1'])).toMatchObject({ code: 0, out: routes.out });
    const pod = runCli(['show', scenario('service-clusterip.yaml'), 'addr', '--node', 'default/client']);
    expect(pod.out).toContain('eth0');
    expect(runCli(['show', scenario('service-clusterip.yaml'), 'address', '--node', 'pod/client'])).toMatchObject({ code: 0, out: pod.out });
    expect(runCli(['show', scenario('service-clusterip.yaml'), 'addr', '--node', 'pod/default/client'])).toMatchObject({ code: 0, out: pod.out });
    expect(runCli(['show', scenario('service-clusterip.yaml'), 'neighbor', '--node', 'node1']).code).toBe(0);
  });
});

const hasTshark = spawnSync('tshark', ['--version']).status === 0;

describe('capture options', () => {
  it('--pcap-device keeps only matching devices; without --pcap the capture flags are an input error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-pcap-dev-'));
    const r = runCli(['run', '--quiet', '--pcap', dir, '--pcap-per-interface', '--pcap-device', 'node1:eth0', '--pcap-device', '*/pod4:*']);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['classic-walk.default_pod4_eth0.pcapng', 'classic-walk.node1_eth0.pcapng']);
    expect(r.err).toContain('pcap: wrote 2 files');
    const bad = runCli(['run', '--quiet', '--pcap-per-interface']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/only with --pcap DIR/);
  });

  it('a --pcap-device pattern that matches no device at all is an input error naming the devices; nothing is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-pcap-typo-'));
    const r = runCli(['run', '--quiet', '--pcap', dir, '--pcap-device', 'node1:eth0', '--pcap-device', 'nomatch:*']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--pcap-device: no device matches nomatch:\* \(have: .*node1:eth0, node1:cbr0/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('each frame carries its direction (epb_flags) and the trace\'s packet id and flow (opt_comment)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-pcap-epb-'));
    expect(runCli(['run', '--quiet', '--pcap', dir]).code).toBe(0);
    const b = readFileSync(join(dir, 'classic-walk.pcapng'));
    const names: string[] = [];
    const frames: { iface: string; flags?: number; comment?: string }[] = [];
    const optionsAt = (off: number, end: number, each: (code: number, v: Buffer) => void): void => {
      while (off + 4 <= end) {
        const code = b.readUInt16LE(off);
        const len = b.readUInt16LE(off + 2);
        if (code === 0) break;
        each(code, b.subarray(off + 4, off + 4 + len));
        off += 4 + ((len + 3) & ~3);
      }
    };
    for (let off = 0; off < b.length; ) {
      const type = b.readUInt32LE(off);
      const total = b.readUInt32LE(off + 4);
      if (type === 1) optionsAt(off + 16, off + total - 4, (c, v) => c === 2 && names.push(v.toString('utf8')));
      if (type === 6) {
        const f: { iface: string; flags?: number; comment?: string } = { iface: names[b.readUInt32LE(off + 8)]! };
        const caplen = b.readUInt32LE(off + 20);
        optionsAt(off + 28 + ((caplen + 3) & ~3), off + total - 4, (c, v) => {
          if (c === 2) f.flags = v.readUInt32LE(0);
          if (c === 1) f.comment = v.toString('utf8');
        });
        frames.push(f);
      }
      off += total;
    }
    // pod1's first frame: sent by its eth0 (outbound, 2), received by its veth peer on node1 (inbound, 1).
    const first = frames.find((f) => f.iface === 'default/pod1:eth0')!;
    expect(first).toMatchObject({ flags: 2, comment: expect.stringMatching(/^pkt #\d+ flow same-node$/) });
    const peer = frames.find((f) => f.iface.startsWith('node1:veth') && f.comment === first.comment)!;
    expect(peer.flags).toBe(1);
    for (const f of frames) expect([1, 2]).toContain(f.flags);
  });
});

describe.skipIf(!hasTshark)('pcapng export decoded by tshark', () => {
  it('shows each frame\'s direction and comment: -Y picks what a device received', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-pcap-dir-'));
    expect(runCli(['run', '--quiet', '--pcap', dir]).code).toBe(0);
    const rows = execFileSync('tshark', ['-r', join(dir, 'classic-walk.pcapng'), '-Y', 'frame.interface_name == "default/pod4:eth0"', '-T', 'fields', '-e', 'frame.packet_flags_direction', '-e', 'frame.comment'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.length).toBeGreaterThan(2);
    for (const [flags, comment] of rows) {
      expect(['0x00000001', '0x00000002']).toContain(flags);
      expect(comment).toMatch(/^pkt #\d+( flow across-nodes)?$/); // a neighbour probe of no flow has no flow
    }
    expect(rows.map((r) => r[0])).toEqual(expect.arrayContaining(['0x00000001', '0x00000002']));
    expect(rows.some(([, c]) => c!.endsWith(' flow across-nodes'))).toBe(true);
  });

  it('decodes VXLAN with VNI 1, correct checksums, inner addresses, nothing malformed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-pcap-'));
    const r = runCli(['run', scenario('cross-node-vxlan.yaml'), '--pcap', dir, '--quiet']);
    expect(r.code).toBe(0);
    const file = join(dir, 'cross-node-vxlan.pcapng');
    const fields = execFileSync(
      'tshark',
      ['-r', file, '-d', 'udp.port==8472,vxlan', '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-Y', 'vxlan', '-T', 'fields', '-e', 'vxlan.vni', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'udp.checksum.status'],
      { encoding: 'utf8' },
    );
    const rows = fields.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.length).toBeGreaterThan(0);
    for (const [vni, src, dst, csum] of rows) {
      expect(vni).toBe('1');
      expect(src).toMatch(/^192\.168\.56\.1[12],10\.244\.[12]\.[0-9]+$/);
      expect(dst).toMatch(/^192\.168\.56\.1[12],10\.244\.[12]\.[0-9]+$/);
      for (const s of csum!.split(',')) expect(s).toBe('1'); // 1 = good (0 bad, 2 unverified)
    }
  });

  it('per interface, a clean TCP exchange has no retransmissions or duplicate ACKs; the all-hops file has many', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-pcap-if-'));
    expect(runCli(['run', scenario('cross-node-vxlan.yaml'), '--pcap', dir, '--quiet']).code).toBe(0);
    expect(runCli(['run', scenario('cross-node-vxlan.yaml'), '--pcap', dir, '--quiet', '--pcap-per-interface']).code).toBe(0);
    const suspicious = (file: string): number =>
      execFileSync('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', '-Y', 'tcp.analysis.retransmission || tcp.analysis.duplicate_ack'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .filter((l) => l.trim() !== '').length;
    expect(suspicious(join(dir, 'cross-node-vxlan.pcapng'))).toBeGreaterThan(10);
    const perDevice = readdirSync(dir).filter((f) => /^cross-node-vxlan\..+\.pcapng$/.test(f));
    expect(perDevice).toContain('cross-node-vxlan.node1_flannel.1.pcapng');
    expect(perDevice).toContain('cross-node-vxlan.default_pod1_eth0.pcapng');
    // The devices a segment crosses twice in the all-hops file (pod, overlay, underlay): once each here.
    for (const f of ['cross-node-vxlan.default_pod1_eth0.pcapng', 'cross-node-vxlan.node1_eth0.pcapng', 'cross-node-vxlan.node2_flannel.1.pcapng']) expect(suspicious(join(dir, f)), f).toBe(0);
  });

  // One test per scenario: each gets its own time budget, and a failure names the file.
  const captured = readdirSync(join(root, 'scenarios')).filter((x) => x.endsWith('.yaml'));
  const pcapDir = mkdtempSync(join(tmpdir(), 'podwalk-pcap-all-'));
  it.each(captured)('decodes the capture of %s with no malformed packet, error or bad checksum', (f) => {
    runCli(['run', scenario(f), '--pcap', pcapDir, '--quiet']);
    const file = join(pcapDir, f.replace(/\.yaml$/, '.pcapng'));
    // An ICMP error quotes at most 576 bytes (icmp_send), so a quoted segment of a larger packet is cut short
    // and its TCP checksum cannot add up; tshark 4.0 checks it anyway. Whole quotes are still checked.
    const broken = '_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == 0 || udp.checksum.status == 0 || tcp.checksum.status == 0 || icmp.checksum.status == 0';
    const cutQuote = 'icmp && ip.len > 576 && tcp.checksum.status == 0 && !_ws.malformed && ip.checksum.status != 0 && icmp.checksum.status != 0';
    const filter = `(${broken}) && !(${cutQuote})`;
    // One file holds every interface, so a segment appears once per device it crossed: TCP reassembly
    // across those copies would report overlaps that no single interface has. Segments are checked one by one.
    const checks = [...['ip', 'udp', 'tcp'].flatMap((p) => ['-o', `${p}.check_checksum:TRUE`]), '-o', 'tcp.desegment_tcp_streams:FALSE'];
    // One tshark pass per file: frames, and frames that are bad.
    const stat = execFileSync('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', ...checks, '-q', '-z', `io,stat,0,COUNT(frame)frame,COUNT(frame)frame && (${filter})`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [, frames, bad] = /\|\s*[\d.]+ <> [\d.]+ \|\s*(\d+) \|\s*(\d+) \|/.exec(stat) ?? [];
    expect(Number(bad), `${f}\n${stat}`).toBe(0);
    expect(Number(frames), f).toBeGreaterThan(3);
    if (f.startsWith('ingress-')) {
      // Wireshark's own HTTP dissector reads the requests and responses podwalk's applications wrote.
      const http = execFileSync('tshark', ['-r', file, ...checks, '-Y', 'http.request.method == "GET" || http.response.code', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(http.trim().split('\n').length, f).toBeGreaterThan(4);
    }
  }, 60_000);
});
