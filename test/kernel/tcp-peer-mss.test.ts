import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { decodeIpv4 } from '../../src/wire/ipv4.js';
import { decodeTcp, TCP_ACK, TCP_SYN, tcpMssOption, tcpSynWindow } from '../../src/wire/tcp.js';

// An external host (MTU 1500: MSS 1460) to a pod behind a NodePort on a VXLAN overlay (MTU 1450: MSS 1410).
const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: tcp-peer-mss}
cluster:
  network: flannel-vxlan
  nodes: [{name: node1}, {name: node2}]
  externalHosts: [{name: client, ip: 192.168.56.100}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: web, image: app, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}}
traffic:
  - {name: bulk, from: host/client, to: node/node1, protocol: TCP, port: 30080, payload: 4000, expect: {verdict: delivered, connection: complete, retransmits: 0}}
`;

interface Seen { at: string; flags: number; window: number; mss: number | undefined; data: number }

describe('TCP takes the smaller of its own and the peer\'s MSS (tcp_sync_mss with the SYN\'s mss_clamp)', () => {
  it('the client cuts its data to the pod\'s announced 1410: no frag-needed, no retransmission', () => {
    const r = loadScenarioText(text);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const seen: Seen[] = [];
    const res = simulate(r.scenario, {
      onBuilt: (c) => c.world.tracer.attach({
        event: () => {},
        frame: (kind, _t, _pkt, at, mem, off, len, l3only) => {
          if (kind !== 'tx' || (at !== 'client:eth0' && at !== 'default/web:eth0')) return;
          const b = mem.subarray(off + (l3only ? 0 : 14), off + len);
          const ip = decodeIpv4(b);
          if (!ip.ok || ip.value.protocol !== 6) return;
          const seg = decodeTcp(ip.value.payload, ip.value.src, ip.value.dst);
          if (!seg.ok) return;
          seen.push({ at, flags: seg.value.flags, window: seg.value.window, mss: tcpMssOption(seg.value.options), data: seg.value.payload.length });
        },
      }),
    });
    expect(res.flows[0]).toMatchObject({ verdict: 'delivered', connection: { outcome: 'complete', retransmits: 0 } });
    expect(res.events.filter((e) => e.kind === 'icmp')).toEqual([]);
    expect(res.events.filter((e) => e.kind === 'tcp' && e.action === 'mss')).toEqual([]);
    // Each end announces its own MSS; the windows are rounded to it as Linux 6.18 does (measured in netns).
    const syn = seen.find((s) => s.at === 'client:eth0' && s.flags === TCP_SYN)!;
    const synAck = seen.find((s) => s.at === 'default/web:eth0' && s.flags === (TCP_SYN | TCP_ACK))!;
    expect(syn).toMatchObject({ mss: 1460, window: 64240 });
    expect(synAck).toMatchObject({ mss: 1410, window: 64308 });
    // Data: 1410 - 12 bytes of timestamps per full segment (TCP_MAXSEG 1398 on both ends).
    expect(seen.filter((s) => s.at === 'client:eth0' && s.data > 0).map((s) => s.data)).toEqual([1398, 1398, 1204]);
  });

  it('rounds a SYN\'s window down to a multiple of the MSS it counts, at most 65535', () => {
    expect([1460, 1410, 1448, 1398, 8960, 8948, 3948, 548].map(tcpSynWindow)).toEqual([64240, 64860, 65160, 64308, 62720, 62636, 63168, 65212]);
  });
});
