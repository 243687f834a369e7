#!/usr/bin/env bash
# Builds podwalk's classic host-gw topology out of real Linux objects (network
# namespaces, veth pairs, bridges with hairpin, a switch bridge for the
# underlay), sends one UDP datagram same-node and one cross-node with cold
# caches, and prints what tcpdump saw: the reference podwalk's walks are
# compared with (test/linux/reference.test.ts, run when PODWALK_LINUX=1).
# Needs root, iproute2, tcpdump. All traffic stays inside namespaces it makes.
set -euo pipefail
p=pw$$
ns() { ip netns exec "$p-$1" "${@:2}"; }
cleanup() { for n in node1 node2 pod1 pod2 pod4 sw; do ip netns del "$p-$n" 2>/dev/null || true; done; }
trap cleanup EXIT
for n in node1 node2 pod1 pod2 pod4 sw; do ip netns add "$p-$n"; ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; ns "$n" ip link set lo up; done
ns sw ip link add br0 type bridge; ns sw ip link set br0 up
i=11
for n in node1 node2; do
  ip link add eth0 netns "$p-$n" type veth peer name "port-$n" netns "$p-sw"
  ns sw ip link set "port-$n" master br0 up
  ns "$n" ip addr add "192.168.56.$i/24" dev eth0; ns "$n" ip link set eth0 up
  ns "$n" sysctl -qw net.ipv4.ip_forward=1
  sub=$((i - 10))
  ns "$n" ip link add cbr0 type bridge; ns "$n" ip addr add "10.244.$sub.1/24" dev cbr0; ns "$n" ip link set cbr0 up
  i=$((i + 1))
done
ns node1 ip route add 10.244.2.0/24 via 192.168.56.12 dev eth0
ns node2 ip route add 10.244.1.0/24 via 192.168.56.11 dev eth0
pod() { # pod node subnet host
  ip link add "veth$1" netns "$p-$2" type veth peer name eth0 netns "$p-$1"
  ns "$2" ip link set "veth$1" master cbr0 up
  ns "$2" bridge link set dev "veth$1" hairpin on
  ns "$1" ip addr add "10.244.$3.$4/24" dev eth0; ns "$1" ip link set eth0 up
  ns "$1" ip route add default via "10.244.$3.1" dev eth0
}
pod pod1 node1 1 2; pod pod2 node1 1 3; pod pod4 node2 2 2
sleep 1 # let DAD-free IPv4 settle and bridges go forwarding
cap() { ns "$1" timeout 4 tcpdump -l -n -e -v -i "$2" -c "$3" "${@:4}" 2>/dev/null > "/tmp/$p-$1-$2.txt" & }
cap pod1 eth0 20; cap pod2 eth0 20; cap pod4 eth0 20; cap node1 eth0 20; cap node2 eth0 20
sleep 1
ns pod1 bash -c 'echo -n x | head -c 100 >/dev/null; python3 -c "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.sendto(b\"a\"*100,(\"10.244.1.3\",9000))"'
sleep 0.5
ns pod1 python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.sendto(b"a"*100,("10.244.2.2",9000))'
sleep 3
for f in pod1-eth0 pod2-eth0 node1-eth0 node2-eth0 pod4-eth0; do echo "== $f"; cat "/tmp/$p-$f.txt"; rm -f "/tmp/$p-$f.txt"; done
