import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// A container restart: the process exits (port closed, pod still Ready), kubelet's relist 1 s later marks the pod
// NotReady and starts the container again, Ready 1 s after that (scenarios/pod-restart-window.yaml).
describe('restart: the endpoint leaves the Service while the container is down', () => {
  const r = loadScenarioFile('scenarios/pod-restart-window.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const res = simulate(r.scenario);
  const pod = 'default/web-55489cf447-wvq2c';

  it('RST while the API still says Ready, REJECT once NotReady, delivered once Ready again', () => {
    const fate = (flow: string) => res.flows.find((f) => f.flow === flow)!;
    expect(fate('exited')).toMatchObject({ verdict: 'dropped', dropReason: 'tcp-reset' });
    expect(fate('not-ready')).toMatchObject({ verdict: 'dropped', dropReason: 'netfilter-reject' });
    expect(fate('ready-again')).toMatchObject({ verdict: 'delivered' });
  });

  it('the changes: exit, restart at the relist with the endpoint update and syncs, Ready again', () => {
    const changes = res.events.flatMap((e) => (e.kind === 'change' ? [`${e.t / 1e9} ${e.at} ${e.change}`] : []));
    expect(changes).toEqual(
      expect.arrayContaining([`2 ${pod} app`, `3 ${pod} pod-created`, '3 cluster endpoints', '3 node1 proxy-sync', `4 ${pod} pod-ready`, '4 cluster endpoints', '4 node1 proxy-sync']),
    );
  });
});
