import { formatMac } from '../../wire/addr.js';
import { ETHERTYPE_IPV4 } from '../../wire/ethernet.js';
import { encodeIpv4, fragmentIpv4 } from '../../wire/ipv4.js';
import type { Bridge } from './bridge.js';
import type { NetDevice } from './device.js';
import { ipv4Of, type Skb } from '../skb.js';

/**
 * br_netfilter: with `net.bridge.bridge-nf-call-iptables = 1` (which kube-proxy
 * needs), IPv4 frames crossing a bridge traverse the namespace's iptables as
 * if routed: PREROUTING when they enter a port, FORWARD and POSTROUTING when
 * they are bridged out of another. This is what un-NATs a reply that one pod
 * sends straight to another across `cbr0`.
 */

/** Whether frames entering `br` are subject to iptables. */
export function brNfActive(br: Bridge, skb: Skb): boolean {
  if (br.ns.nf === undefined || !br.ns.sysctl.bridgeNfCallIptables || skb.len < 34) return false;
  const d = skb.buf; // read where the bytes lie (skb.ts: no view per hop)
  return ((d[skb.off + 12]! << 8) | d[skb.off + 13]!) === ETHERTYPE_IPV4;
}

/**
 * br_nf_pre_routing (+ _finish): run PREROUTING on the frame's IPv4 packet.
 * Returns 'bridge' to let the bridge decide as usual, or 'done' when the
 * frame was consumed, passed up after DNAT, or handed to the neighbour layer
 * for a "bridged DNAT" (the new destination sits behind this same bridge):
 * through neighbour output on the bridge device while the neighbour entry is
 * not REACHABLE, straight to the destination's port once it is.
 */
export function brNfPrerouting(br: Bridge, inPort: NetDevice, skb: Skb): 'bridge' | 'done' {
  const ns = br.ns;
  const frame = skb.data;
  const r = ipv4Of(skb, 14);
  if (!r.ok) {
    ns.world.drop(skb, br.where, 'malformed', `br_netfilter: ${r.error}`);
    return 'done';
  }
  skb.data = frame.subarray(14, 14 + r.value.totalLength);
  skb.physIn = inPort;
  const after = ns.nf!.run('PREROUTING', skb, r.value, { inDev: br, bridged: true });
  if (!after) return 'done';
  skb.brPrerouted = true;
  if (after.dst === r.value.dst) {
    skb.data = rejoin(frame, skb.data);
    return 'bridge';
  }
  // DNAT changed the destination: route it (br_nf_pre_routing_finish).
  const route = ns.fib.lookup(after.dst);
  if (route && route.type === 'unicast' && route.dev === br) {
    // Bridged DNAT: resolve the new destination's MAC, then bridge the frame as if it had come in on inPort.
    const nextHop = route.via ?? after.dst;
    const mac = ns.neigh.connectedMac(br, nextHop);
    const flows = ns.stack.recordedFlows;
    if (mac !== undefined) {
      // The neighbour is REACHABLE: only its destination MAC is copied in (neigh_hh_bridge), the sender's
      // source MAC stays, and the frame goes straight on from the port it came in on: no cbr0 transmit.
      const f = reframe(frame, skb.data);
      f.set(macBytes(mac), 0);
      skb.data = f;
      // A crossing the flow table records is replayed only while the neighbour answers the same (flowtable.ts).
      if (flows?.recording(skb)) flows.steeredBy(nextHop, mac);
      br.handleFrameFinish(inPort, skb);
      return 'done';
    }
    flows?.end(); // through neighbour output and cbr0's transmit: not replayed
    // Otherwise the neighbour layer resolves it on the bridge device (cbr0 transmits it), and br_dev_xmit
    // puts it back into the bridge from the original port with the sender's MAC.
    skb.bridgedDnat = { port: inPort, srcMac: formatMac(frame, 6) };
    ns.neigh.output(br, nextHop, skb, ns.selectSource(br, nextHop) ?? after.src);
    return 'done';
  }
  // Routed elsewhere (or local): the frame goes up to the host stack, addressed to the bridge.
  const up = reframe(frame, skb.data);
  up.set(macBytes(br.mac), 0);
  skb.data = up;
  br.reached(skb, undefined, undefined);
  br.passUp(skb);
  return 'done';
}

/**
 * br_nf_forward_ip + br_nf_post_routing for a frame being bridged out of
 * `port`: FORWARD then POSTROUTING (`-o` sees the bridge, `--physdev-out` the
 * port). A flooded frame comes here once per egress port, each copy on its
 * own, as br_flood hands every port a clone. Returns false when netfilter
 * consumed it.
 */
export function brNfForward(br: Bridge, skb: Skb, port: NetDevice): boolean {
  const ns = br.ns;
  const frame = skb.data;
  const r = ipv4Of(skb, 14);
  if (!r.ok) return true;
  skb.data = frame.subarray(14, 14 + r.value.totalLength);
  let fwd = ns.nf!.run('FORWARD', skb, r.value, { inDev: br, outDev: br, physOut: port, bridged: true });
  if (!fwd) return false;
  // IPVS's FORWARD hook runs on bridged IPv4 too: a real server answering a client on its own bridge.
  const rep = ns.ipvs?.reply(skb, fwd);
  if (rep?.kind === 'rewritten') fwd = rep.packet;
  const post = ns.nf!.run('POSTROUTING', skb, fwd, { outDev: br, physOut: port, nextHop: fwd.dst, bridged: true });
  if (!post) return false;
  skb.data = rejoin(frame, skb.data);
  skb.brPrerouted = undefined;
  return true;
}

/**
 * br_nf_dev_queue_xmit: a datagram nf_defrag reassembled on the bridge leaves
 * the port in fragments again, none larger than the largest it came in
 * (frag_max_size) or the port's MTU, each behind the frame's Ethernet header.
 */
export function brNfRefragment(br: Bridge, skb: Skb, port: NetDevice): Skb[] {
  const max = skb.fragMaxSize;
  skb.fragMaxSize = undefined;
  if (max === undefined) return [skb];
  const mtu = Math.min(max, port.mtu);
  const frame = skb.data;
  if (frame.length - 14 <= mtu) return [skb];
  const r = ipv4Of(skb, 14);
  if (!r.ok || r.value.df) return [skb];
  return fragmentIpv4(r.value, mtu).map((f, i) => {
    const bytes = reframe(frame, encodeIpv4(f));
    if (i === 0) {
      skb.data = bytes;
      return skb;
    }
    return br.ns.world.newSkb(bytes, br.where, 'app', skb.flow, skb.id);
  });
}

/**
 * The frame again around its IPv4 bytes, as `reframe` makes it but without a
 * copy when netfilter left them where they were (no NAT rewrote them): then
 * the frame's own bytes are the answer. Only for callers that do not write it.
 */
function rejoin(frame: Uint8Array, ip: Uint8Array): Uint8Array {
  if (ip.buffer === frame.buffer && ip.byteOffset === frame.byteOffset + 14) return ip.length + 14 === frame.length ? frame : frame.subarray(0, 14 + ip.length);
  return reframe(frame, ip);
}

/** The frame's Ethernet header in front of (possibly rewritten) IPv4 bytes. */
function reframe(frame: Uint8Array, ip: Uint8Array): Uint8Array {
  const out = new Uint8Array(14 + ip.length);
  out.set(frame.subarray(0, 14), 0);
  out.set(ip, 14);
  return out;
}

function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}
