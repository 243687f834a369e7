import { buildCluster, type Cluster } from '../cluster/build.js';
import { formatProblem, loadScenarioText } from '../scenario/load/parse.js';
import { scaleScenario } from './scale.js';

/**
 * Heap per idle pod: a cluster of `nodes` nodes built with `pods` pods minus
 * the same cluster built without them, after a full GC each time. An idle pod
 * is its namespace, its veth pair and bridge port, its routes, neighbour and
 * socket tables, and the node-side objects its CNI plugin created.
 */
export function memoryPerIdlePod(nodes: number, pods: number, gc: () => void): { nodes: number; pods: number; bytesPerPod: number } {
  const loaded = loadScenarioText(scaleScenario({ nodes, pods, services: 0 }, 1), 'idle.yaml');
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  const s = loaded.scenario;
  const heapWith = (withPods: boolean): number => {
    gc();
    const before = process.memoryUsage().heapUsed;
    let cluster: Cluster | undefined = buildCluster(s.cluster, withPods ? s.pods : [], { detailed: false });
    gc();
    const used = process.memoryUsage().heapUsed - before;
    if (cluster.nodes.size !== nodes) throw new Error('unexpected cluster');
    cluster = undefined;
    return used;
  };
  const empty = heapWith(false);
  const full = heapWith(true);
  return { nodes, pods, bytesPerPod: Math.round((full - empty) / pods) };
}
