// One scale case in its own process, so that its heap and peak RSS are its
// own: node --expose-gc bench/scale-case.js NODES PODS SERVICES [iptables|ipvs]
// prints one JSON line.
import { performance } from 'node:perf_hooks';
import { runScale } from '../dist/bench/scale.js';

const [nodes, pods, services] = process.argv.slice(2, 5).map(Number);
const proxyMode = process.argv[5] ?? 'iptables';
try {
  const r = runScale({ nodes, pods, services, proxyMode }, () => performance.now(), globalThis.gc);
  console.log(JSON.stringify({ ...r, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
} catch (e) {
  console.log(JSON.stringify({ nodes, pods, services, proxyMode, error: String(e.message ?? e).split('\n')[0] }));
}
