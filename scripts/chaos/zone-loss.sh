#!/bin/sh
# Under traffic: lose a whole zone (every container labelled with it: its nodes, killed
# with their pods, and its etcd member, apiserver, controller-manager and dns), then start
# them again after --duration. ZONE defaults to zone-b (node-2, etcd-1, apiserver-1,
# controller-manager-1 and dns-1 in docker-compose.yml); the Service keeps answering from
# the other zones and the control plane keeps its quorum.
# Usage: scripts/chaos/zone-loss.sh [ZONE] [kemu chaos run flags...]
. "$(dirname "$0")/lib.sh"
zone=zone-b
case "${1:-}" in zone-*) zone=$1; shift ;; esac
chaos zone-loss --target "$zone" "$@"
