#!/bin/sh
# Under traffic: kill (docker kill: SIGKILL to every process in the container) a process, then start it again after --duration.
# TARGET: etcd-0..2, etcd-leader, apiserver-0..1, controller-manager-0..1,
# controller-manager-active, dns-0..1, node-1..3.
# Usage: scripts/chaos/kill.sh TARGET [kemu chaos run flags...]
#   e.g. scripts/chaos/kill.sh etcd-leader --duration 20s
. "$(dirname "$0")/lib.sh"
chaos_on_target kill "$@"
