#!/bin/sh
# Entry point of the kemu image: the first argument picks the process, the rest are its
# flags (every flag also reads a KEMU_* environment variable; docker-compose.yml uses those).
# exec makes the process PID 1, so `docker stop` reaches it: every kemu process handles
# SIGTERM itself.
set -eu
role=${1:-}
[ $# -gt 0 ] && shift
dist=/kemu/packages
case "$role" in
  etcd) exec node "$dist/etcd/dist/main.js" "$@" ;;
  apiserver) exec node "$dist/apiserver/dist/main.js" "$@" ;;
  controller-manager) exec node "$dist/controller-manager/dist/main.js" "$@" ;;
  dns) exec node "$dist/dns/dist/main.js" "$@" ;;
  # The node agent's V8 flags: NODE_AGENT_V8_FLAGS in packages/node-agent/src/index.ts
  # (a test checks the two agree).
  node | node-agent) exec node --max-semi-space-size=2 --optimize-for-size "$dist/node-agent/dist/main.js" "$@" ;;
  kemu) exec node "$dist/cli/dist/main.js" "$@" ;;
  *)
    echo "kemu image: unknown role \"$role\"; the first argument is one of: etcd, apiserver, controller-manager, dns, node, kemu" >&2
    exit 2
    ;;
esac
