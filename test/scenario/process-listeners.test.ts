// Control-plane processes listen where their flags say, whatever their pod declares
// (kubeadm's static pods declare no containerPorts).
import { describe, expect, it } from 'vitest';
import { processListeners } from '../../src/scenario/check/process-listeners.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';

describe('processListeners: from the command line, with each binary defaults', () => {
  it('kubeadm etcd: client URLs on loopback and the node address, peers on the node, metrics on loopback', () => {
    const words = ['etcd', '--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.10:2379', '--listen-metrics-urls=http://127.0.0.1:2381', '--listen-peer-urls=https://10.0.0.10:2380'];
    expect(processListeners(words)).toEqual({
      binary: 'etcd',
      listeners: [
        { port: 2379, bind: ['127.0.0.1', '10.0.0.10'] },
        { port: 2380, bind: ['10.0.0.10'] },
        { port: 2381, bind: ['127.0.0.1'] },
      ],
    });
  });

  it('etcd with no URL flags: its defaults, localhost:2379 and localhost:2380; 0.0.0.0 and :: are every address; unix sockets are not TCP', () => {
    expect(processListeners(['/usr/local/bin/etcd'])?.listeners).toEqual([
      { port: 2379, bind: ['127.0.0.1'] },
      { port: 2380, bind: ['127.0.0.1'] },
    ]);
    expect(processListeners(['etcd', '--listen-client-urls', 'http://0.0.0.0:2379,unix://localhost:4001', '--listen-peer-urls=http://[::]:2380'])?.listeners).toEqual([
      { port: 2379, bind: undefined },
      { port: 2380, bind: undefined },
    ]);
    // An IPv6-only socket has no IPv4 address to take connections on.
    expect(processListeners(['etcd', '--listen-client-urls=http://[::1]:2379', '--listen-peer-urls=http://[fd00::1]:2380'])?.listeners).toEqual([]);
  });

  it('etcd refuses a host name in a URL it binds (not localhost): it exits and listens on nothing', () => {
    expect(processListeners(['etcd', '--listen-peer-urls=https://cp-1.example.com:2380'])).toEqual({ binary: 'etcd', listeners: [], refused: expect.stringMatching(/^--listen-peer-urls=https:\/\/cp-1\.example\.com:2380: etcd expects an IP/) });
  });

  it('the secure ports of kube-apiserver (6443), kube-controller-manager (10257) and kube-scheduler (10259) on --bind-address', () => {
    expect(processListeners(['kube-apiserver', '--advertise-address=10.0.0.10'])?.listeners).toEqual([{ port: 6443, bind: undefined }]);
    expect(processListeners(['kube-controller-manager', '--bind-address=127.0.0.1'])?.listeners).toEqual([{ port: 10257, bind: ['127.0.0.1'] }]);
    expect(processListeners(['kube-scheduler', '--bind-address', '127.0.0.1', '--secure-port', '11259'])?.listeners).toEqual([{ port: 11259, bind: ['127.0.0.1'] }]);
    // The last flag wins; 0 turns serving off.
    expect(processListeners(['kube-scheduler', '--secure-port=11259', '--secure-port=0'])?.listeners).toEqual([]);
    expect(processListeners(['kube-controller-manager', '--bind-address=controller.local'])?.refused).toMatch(/expected an IP address/);
  });

  it('other programs, and the names of pods, do not count: only the word that runs the binary', () => {
    expect(processListeners(['nginx', '-g', 'daemon off;'])).toBeUndefined();
    expect(processListeners(['etcd-backup-operator', '--etcd=etcd-0'])).toBeUndefined();
    expect(processListeners(['/app/store', '--backend', 'etcd'])).toBeUndefined();
  });
});

describe('a printed static pod with such a command', () => {
  it('listens on the ports its flags name, bound as they say, beside what it declares; a refused flag is a warning', () => {
    const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: cp}
cluster: {network: flannel-vxlan, nodes: [{name: cp-1, ip: 192.168.56.10}]}
resources:
  - apiVersion: v1
    kind: Pod
    metadata: {name: etcd-cp-1, namespace: kube-system}
    spec:
      hostNetwork: true
      nodeName: cp-1
      containers: [{name: etcd, image: etcd, command: [etcd, '--listen-client-urls=https://127.0.0.1:2379,https://192.168.56.10:2379', '--listen-peer-urls=https://192.168.56.10:2380'], ports: [{containerPort: 2380, name: peer}]}]
  - apiVersion: v1
    kind: Pod
    metadata: {name: kube-scheduler-cp-1, namespace: kube-system}
    spec:
      hostNetwork: true
      nodeName: cp-1
      containers: [{name: s, image: s, command: [kube-scheduler, --secure-port=99999]}]
`;
    const r = loadScenarioText(yaml, 'cp.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.pods.find((p) => p.name === 'etcd-cp-1')?.ports).toEqual([
      { containerPort: 2380, protocol: 'TCP', name: 'peer' },
      { containerPort: 2379, protocol: 'TCP', bind: ['127.0.0.1', '192.168.56.10'] },
    ]);
    expect(r.scenario.pods.find((p) => p.name === 'kube-scheduler-cp-1')?.ports).toEqual([]);
    expect(r.scenario.warnings.map(formatProblem)).toContainEqual(expect.stringMatching(/^cp\.yaml:\d+:\d+: .*command: kube-scheduler in pod kube-system\/kube-scheduler-cp-1 would exit at start \(--secure-port=99999: expected a port between 0 and 65535\): it listens on nothing$/));
  });
});
