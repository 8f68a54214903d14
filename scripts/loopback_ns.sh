#!/usr/bin/env bash
# Inside a fresh network namespace (`unshare --net bash scripts/loopback_ns.sh CMD...`): bring up
# loopback, give the namespace a stand-in "outside" and run CMD. The stand-in is a veth pair whose
# two ends are both in this namespace, with a TEST-NET-1 address (192.0.2.1, RFC 5737) and the
# default route through it: programs see a machine with an outside interface (Ray picks
# 192.0.2.1 as a node address unless told otherwise; Chromium gathers WebRTC candidates), while
# anything sent that way stops at the other end of the pair. Nothing leaves the namespace.
set -euo pipefail
ip link set lo up
ip link add omni0 type veth peer name omni1
ip addr add 192.0.2.1/24 dev omni0
ip link set omni0 up
ip link set omni1 up
ip route add default via 192.0.2.2 dev omni0
export OMNISYNTH_NETNS=loopback-only  # tests/test_quiet.py checks that it holds
exec "$@"
