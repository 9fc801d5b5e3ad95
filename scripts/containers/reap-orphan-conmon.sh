#!/bin/sh
# Stops conmon processes whose container no longer exists. Without systemd, an exec session
# (a healthcheck, a `docker exec`) that races its container's removal can leave its conmon
# behind; podman never reaps it. Only such orphans are touched; prints what it stopped.
for pid in $(pgrep -x conmon); do
  cid=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-c$/{n;p;q}')
  if [ -n "$cid" ] && ! podman container exists "$cid" 2>/dev/null; then
    kill "$pid" 2>/dev/null && echo "reap-orphan-conmon: stopped conmon $pid (container $(printf %.12s "$cid") is gone)"
  fi
done
exit 0
