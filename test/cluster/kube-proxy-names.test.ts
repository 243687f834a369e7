import { describe, expect, it } from 'vitest';
import { chainHash, endpointChain, formatFixed, probability, probabilityLadder, servicePortChains, servicePortName } from '../../src/cluster/kube-proxy/index.js';
import { base32 } from '../../src/cluster/kube-proxy/chain-names.js';

describe('kube-proxy chain names', () => {
  it('hashes "<ns>/<svc>:<port>" + lowercase protocol (upstream example)', () => {
    expect(chainHash('ns1/svc1:p80tcp')).toBe('XPGD46QRK7WJZT7O');
    expect(servicePortChains('ns1/svc1:p80', 'TCP')).toEqual({
      cluster: 'KUBE-SVC-XPGD46QRK7WJZT7O',
      local: 'KUBE-SVL-XPGD46QRK7WJZT7O',
      external: 'KUBE-EXT-XPGD46QRK7WJZT7O',
      firewall: 'KUBE-FW-XPGD46QRK7WJZT7O',
    });
  });

  it('appends "<ip>:<port>" for endpoint chains', () => {
    expect(endpointChain('ns1/svc1:p80', 'TCP', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
    expect(endpointChain('ns2/svc2:p8080', 'TCP', '10.0.2.1:8080')).toBe('KUBE-SEP-UHEGFW77JX3KXTOV');
  });

  it('names an unnamed port "<ns>/<svc>"', () => {
    expect(servicePortName('ns1', 'svc1', '')).toBe('ns1/svc1');
    // Upstream's TestTerminatingEndpointsTrafficPolicyLocal: unnamed port of ns1/svc1.
    expect(servicePortChains('ns1/svc1', 'TCP').cluster).toBe('KUBE-SVC-AQI2S6QIMU7PVVRP');
    expect(endpointChain('ns1/svc1', 'TCP', '10.0.1.1:80')).toBe('KUBE-SEP-3JOIVZTXZZRGORX4');
  });

  it('the protocol is part of the hash', () => {
    expect(servicePortChains('ns1/svc1:dns', 'UDP').cluster).not.toBe(servicePortChains('ns1/svc1:dns', 'TCP').cluster);
    expect(servicePortChains('ns1/svc1:dns', 'UDP').cluster).toBe(`KUBE-SVC-${chainHash('ns1/svc1:dnsudp')}`);
  });

  it('encodes base32 like RFC 4648 test vectors', () => {
    const enc = (s: string) => base32(new TextEncoder().encode(s));
    expect(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map(enc)).toEqual(['', 'MY======', 'MZXQ====', 'MZXW6===', 'MZXW6YQ=', 'MZXW6YTB', 'MZXW6YTBOI======']);
  });
});

describe('probability ladder', () => {
  it('3 endpoints: 1/3, 1/2, then no statistic', () => {
    expect(probabilityLadder(3)).toEqual(['0.3333333333', '0.5000000000', undefined]);
  });

  it('one endpoint has no statistic match at all', () => {
    expect(probabilityLadder(1)).toEqual([undefined]);
    expect(probabilityLadder(0)).toEqual([]);
  });

  it('prints 10 decimals like Go %0.10f', () => {
    expect(probability(1)).toBe('1.0000000000');
    expect(probability(7)).toBe('0.1428571429');
    expect(probability(1000)).toBe('0.0010000000');
    expect(probability(3000)).toBe('0.0003333333');
  });

  it('breaks exact ties to even, as Go does (toFixed would round up)', () => {
    // 1/2048 = 0.00048828125 exactly.
    expect(probability(2048)).toBe('0.0004882812');
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(0.375, 2)).toBe('0.38');
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(1234.5, 1)).toBe('1234.5');
  });
});
