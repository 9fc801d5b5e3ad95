#!/bin/sh
# Under traffic: cut a process off the network (docker network disconnect) for --duration, then connect it again with the same IP.
# TARGET: etcd-0..2, etcd-leader, apiserver-0..1, controller-manager-0..1,
# controller-manager-active, dns-0..1, node-1..3.
# Usage: scripts/chaos/partition.sh TARGET [kemu chaos run flags...]
#   e.g. scripts/chaos/partition.sh etcd-leader --duration 20s
. "$(dirname "$0")/lib.sh"
chaos_on_target partition "$@"
