#!/bin/sh
# Makes a Debian/Ubuntu machine without Docker Engine ready to run kemu's containers:
# podman (with runc) behind a Docker-compatible API socket, docker-compose (v1), and the
# tools scripts/containers/base-image.sh needs to build a base image with no registry.
# Idempotent: each step checks first and says whether it did anything. Run as root.
#
# Without systemd (containers, CI) podman runs no healthchecks by itself, so this also
# starts scripts/containers/podman-healthchecks.sh in the background.
#
# Afterwards, in your shell:  export DOCKER_HOST=unix:///run/podman/podman.sock
set -eu

SOCKET_DIR=/run/podman
SOCKET=$SOCKET_DIR/podman.sock
PIDFILE=$SOCKET_DIR/kemu-api-service.pid
LOG=/var/log/kemu-podman-service.log
CONF=/etc/containers/containers.conf

say() { printf 'setup-podman: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  say "run as root (it installs packages and writes $CONF)" >&2
  exit 1
fi

# 1. Packages.
missing=""
for pkg in podman runc docker-compose debootstrap iproute2 curl; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $pkg"
done
# The docker CLI drives the engine (compose, the chaos scripts, the tests); podman-docker
# provides one where there is none.
command -v docker >/dev/null 2>&1 || missing="$missing podman-docker"
if [ -n "$missing" ]; then
  say "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  say "packages already installed (podman, runc, docker-compose, debootstrap, iproute2, curl)"
fi

# 2. Runtime: crun fails on setrlimit on these machines; runc with no default ulimits works.
mkdir -p /etc/containers
if [ -f "$CONF" ] && grep -q '^runtime = "runc"' "$CONF" && grep -q '^default_ulimits = \[\]' "$CONF"; then
  say "$CONF already selects runc with no default ulimits"
else
  [ -f "$CONF" ] && cp "$CONF" "$CONF.kemu-backup" && say "saved the old $CONF as $CONF.kemu-backup"
  cat >"$CONF" <<'CONF'
# Written by kemu's scripts/containers/setup-podman.sh.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
CONF
  say "wrote $CONF (runtime runc, no default ulimits)"
fi

# 3. The Docker-compatible API socket (docker, docker-compose and testcontainers use it).
api_up() { curl -sf --max-time 3 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }
if api_up; then
  say "the API service already answers on $SOCKET"
else
  mkdir -p "$SOCKET_DIR"
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    say "stopping an API service that does not answer (pid $(cat "$PIDFILE"))"
    kill "$(cat "$PIDFILE")" || true
    sleep 1
  fi
  rm -f "$SOCKET"
  nohup podman system service --time=0 "unix://$SOCKET" >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  i=0
  until api_up; do
    i=$((i + 1))
    if [ "$i" -ge 50 ]; then
      say "the API service did not answer within 10 s; see $LOG" >&2
      exit 1
    fi
    sleep 0.2
  done
  say "started the API service (pid $(cat "$PIDFILE"), log $LOG) on $SOCKET"
fi

# 4. Healthchecks: podman runs them from systemd timers; without systemd, from our loop.
HC_PIDFILE=$SOCKET_DIR/kemu-healthchecks.pid
if [ -d /run/systemd/system ]; then
  say "systemd runs podman's healthchecks"
elif [ -f "$HC_PIDFILE" ] && kill -0 "$(cat "$HC_PIDFILE")" 2>/dev/null; then
  say "the healthcheck loop already runs (pid $(cat "$HC_PIDFILE"))"
else
  nohup "$(dirname "$0")/podman-healthchecks.sh" >/dev/null 2>&1 &
  echo $! >"$HC_PIDFILE"
  say "no systemd: started scripts/containers/podman-healthchecks.sh (pid $(cat "$HC_PIDFILE")) to run healthchecks"
fi

say "ready: $(podman --version), $(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /')"
say "now run:  export DOCKER_HOST=unix://$SOCKET"
say "stop the API service with:  kill \$(cat $PIDFILE)$( [ -f "$HC_PIDFILE" ] && echo " \$(cat $HC_PIDFILE)")"
