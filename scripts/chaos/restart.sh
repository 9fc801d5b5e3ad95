#!/bin/sh
# Under traffic: restart a process gracefully (docker stop, then docker start, waiting until it is healthy).
# TARGET: etcd-0..2, etcd-leader, apiserver-0..1, controller-manager-0..1,
# controller-manager-active, dns-0..1, node-1..3.
# Usage: scripts/chaos/restart.sh TARGET [kemu chaos run flags...]
#   e.g. scripts/chaos/restart.sh etcd-leader --duration 20s
. "$(dirname "$0")/lib.sh"
chaos_on_target restart "$@"
