#!/bin/sh
# Under traffic: stop (docker stop: SIGTERM, SIGKILL after 10 s) a process and keep it down for --duration, then start it again.
# TARGET: etcd-0..2, etcd-leader, apiserver-0..1, controller-manager-0..1,
# controller-manager-active, dns-0..1, node-1..3.
# Usage: scripts/chaos/stop.sh TARGET [kemu chaos run flags...]
#   e.g. scripts/chaos/stop.sh etcd-leader --duration 20s
. "$(dirname "$0")/lib.sh"
chaos_on_target stop "$@"
