#!/bin/sh
# Under traffic: pause (docker pause: every process frozen) a process for --pause (default 10s), then unpause it.
# TARGET: etcd-0..2, etcd-leader, apiserver-0..1, controller-manager-0..1,
# controller-manager-active, dns-0..1, node-1..3.
# Usage: scripts/chaos/pause.sh TARGET [kemu chaos run flags...]
#   e.g. scripts/chaos/pause.sh etcd-leader --duration 20s
. "$(dirname "$0")/lib.sh"
chaos_on_target pause "$@"
