import { describe, expect, it } from 'vitest';
import { IpSetError, IpSets } from '../../src/kernel/netfilter/ipset.js';
import { ip, tcp, udp } from './netfilter-fixtures.js';

describe('ipset', () => {
  it('hash:ip,port keeps protocol:port and prints like ipset save/list', () => {
    const sets = new IpSets();
    const s = sets.create('KUBE-CLUSTER-IP', 'hash:ip,port');
    s.add('10.96.0.10,udp:53');
    s.add('10.96.0.11,80'); // tcp by default
    expect(() => s.add('10.96.0.11,tcp:80')).toThrow(IpSetError);
    s.add('10.96.0.11,tcp:80', { exist: true });
    // Checked against Linux 6.18 with `ipset create KUBE-CLUSTER-IP hash:ip,port initval 0xe691d369` and the same adds.
    expect(sets.save()).toBe('create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xe691d369\nadd KUBE-CLUSTER-IP 10.96.0.11,tcp:80\nadd KUBE-CLUSTER-IP 10.96.0.10,udp:53\n');
    expect(sets.list('KUBE-CLUSTER-IP')).toBe('Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nRevision: 7\nHeader: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xe691d369\nSize in memory: 312\nReferences: 0\nNumber of entries: 2\nMembers:\n10.96.0.11,tcp:80\n10.96.0.10,udp:53');
    expect(s.test('10.96.0.10,udp:53')).toBe(true);
    expect(s.test('10.96.0.10,tcp:53')).toBe(false);
    expect(s.testPacket(udp('1.1.1.1', '10.96.0.10', 53), [1, 1])).toBe(true);
    expect(s.testPacket(tcp('1.1.1.1', '10.96.0.10', 53), [1, 1])).toBe(false);
    expect(s.testPacket(udp('1.1.1.1', '10.96.0.10', 53), [1])).toBe(false); // fewer directions than dimensions
    s.del('10.96.0.10,udp:53');
    expect(s.testPacket(udp('1.1.1.1', '10.96.0.10', 53), [1, 1])).toBe(false);
  });

  it('hash:net matches any stored prefix; hash:ip,port,net and hash:ip,port,ip combine dimensions', () => {
    const sets = new IpSets();
    const n = sets.create('N', 'hash:net');
    n.add('10.0.0.0/8');
    n.add('192.168.1.7');
    expect(n.testPacket(tcp('10.200.1.1', '1.1.1.1', 1), [0])).toBe(true);
    expect(n.testPacket(tcp('192.168.1.7', '1.1.1.1', 1), [0])).toBe(true);
    expect(n.testPacket(tcp('192.168.1.8', '1.1.1.1', 1), [0])).toBe(false);
    expect(n.list()).toEqual(['10.0.0.0/8', '192.168.1.7']);
    const lbsrc = sets.create('LB', 'hash:ip,port,net');
    lbsrc.add('5.6.7.8,tcp:80,203.0.113.0/24');
    expect(lbsrc.testPacket(tcp('203.0.113.9', '5.6.7.8', 80), [1, 1, 0])).toBe(true);
    expect(lbsrc.testPacket(tcp('198.51.100.1', '5.6.7.8', 80), [1, 1, 0])).toBe(false);
    const lb = sets.create('LOOP', 'hash:ip,port,ip');
    lb.add('10.244.1.5,tcp:80,10.244.1.5');
    expect(lb.testPacket(tcp('10.244.1.5', '10.244.1.5', 80), [1, 1, 0])).toBe(true);
    expect(lb.testPacket(tcp('10.244.1.6', '10.244.1.5', 80), [1, 1, 0])).toBe(false);
  });

  it('hash:ip and bitmap:port; restore reads save output back', () => {
    const sets = new IpSets();
    sets.create('I', 'hash:ip').add('10.1.1.1');
    const b = sets.create('P', 'bitmap:port', { range: [0, 65535] });
    b.add('30080');
    expect(b.testPacket(tcp('1.1.1.1', '2.2.2.2', 30080), [1])).toBe(true);
    expect(b.testPacket({ src: ip('1.1.1.1'), dst: ip('2.2.2.2'), protocol: 1, icmpType: 8, mark: 0, ctstate: ['NEW'], length: 84 }, [1])).toBe(false);
    expect(sets.get('I')!.testPacket(tcp('10.1.1.1', '2.2.2.2', 1), [0])).toBe(true);
    const again = new IpSets();
    again.restore(sets.save());
    expect(again.save()).toBe(sets.save());
    expect(sets.save()).toContain('create P bitmap:port range 0-65535\nadd P 30080');
    expect(() => sets.create('I', 'hash:ip')).toThrow(/already exists/);
    expect(() => b.add('70000')).toThrow(IpSetError);
  });
});
