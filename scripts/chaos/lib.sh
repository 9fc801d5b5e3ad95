# Shared by the scripts in scripts/chaos/: runs one `kemu chaos run ... --compose` against
# the cluster of docker-compose.yml (brought up with docker-compose up -d from the
# repository's root), under steady traffic from kemu/client pods, and prints the
# availability report; the report files and the timeline chart go to --out (default
# .kemu/chaos/<scenario>-<time>). Extra arguments go to kemu chaos run (--duration 20s,
# --rate 40, --out DIR, ...; see node packages/cli/dist/main.js chaos run --help).
#
# The compose project is the repository directory's name unless COMPOSE_PROJECT_NAME says
# otherwise; KEMU_HOST_BLOCK (default 127.0.20) is where the compose file published its
# ports. DOCKER_HOST must reach the engine (podman: unix:///run/podman/podman.sock).
set -eu
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
if [ ! -f packages/cli/dist/main.js ]; then
  echo "$(basename "$0"): kemu is not built: run npm ci first" >&2
  exit 1
fi
chaos() {
  exec node packages/cli/dist/main.js chaos run "$@" --compose
}

# chaos_on_target SCENARIO TARGET [flags...]: the usage (the calling script's header) when
# TARGET is missing.
chaos_on_target() {
  scenario=$1
  shift
  if [ $# -lt 1 ]; then
    sed -n '2,6p' "$self" | sed 's/^# \{0,1\}//' >&2
    exit 2
  fi
  target=$1
  shift
  chaos "$scenario" --target "$target" "$@"
}
