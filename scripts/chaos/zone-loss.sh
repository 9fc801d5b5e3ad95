#!/bin/sh
# Under traffic: lose a whole zone (every node container of it, killed with its pods),
# then start them again after --duration. ZONE defaults to zone-b (node-2 in
# docker-compose.yml); the Service keeps answering from the other zones.
# Usage: scripts/chaos/zone-loss.sh [ZONE] [kemu chaos run flags...]
. "$(dirname "$0")/lib.sh"
zone=zone-b
case "${1:-}" in zone-*) zone=$1; shift ;; esac
chaos zone-loss --target "$zone" "$@"
