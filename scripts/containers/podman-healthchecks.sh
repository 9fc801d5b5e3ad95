#!/bin/sh
# Runs container healthchecks for podman on a machine without systemd. Docker Engine runs
# each container's HEALTHCHECK itself; podman hands that to systemd timers, so without
# systemd a container stays "starting" forever and compose's `condition: service_healthy`
# never holds. This loop stands in for the timers: containers still starting are checked
# every second, the others every INTERVAL seconds (default 30, Docker's default interval).
# setup-podman.sh starts it in the background when systemd is not running.
#
# A check that races a container's removal (docker-compose down) can leave the exec
# session's conmon behind with no container; every INTERVAL seconds such orphans are
# stopped (reap-orphan-conmon.sh: only conmon processes whose container no longer exists).
set -u
INTERVAL=${1:-30}
tick=0
while :; do
  if [ $((tick % INTERVAL)) -eq 0 ]; then
    ids=$(podman ps -q --filter health=starting --filter health=healthy --filter health=unhealthy 2>/dev/null)
  else
    ids=$(podman ps -q --filter health=starting 2>/dev/null)
  fi
  if [ $((tick % INTERVAL)) -eq 0 ]; then
    "$(dirname "$0")/reap-orphan-conmon.sh" >/dev/null
  fi
  for id in $ids; do
    podman healthcheck run "$id" >/dev/null 2>&1 &
  done
  wait
  tick=$((tick + 1))
  sleep 1
done
