#!/bin/bash
# Container healthcheck: GET http://HOST:PORT/PATH answers 200. Bash's /dev/tcp, so the
# check costs no process start beyond the shell (the image has no curl).
# Usage: healthcheck.sh HOST PORT PATH
set -u
exec 3<>"/dev/tcp/$1/$2" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$3" "$1" >&3
IFS= read -r -t 3 status <&3 || exit 1
exec 3<&-
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) echo "$1:$2$3: ${status%$'\r'}" >&2; exit 1 ;;
esac
