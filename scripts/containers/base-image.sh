#!/bin/sh
# Builds a local base image for kemu's Dockerfile on a machine that cannot pull images:
# a minimal Debian rootfs (debootstrap, with iproute2 for container-mode networking) plus
# this machine's node and npm, imported as an image. Use it with
#   docker-compose build --build-arg BASE_IMAGE=kemu-base:bookworm     (or KEMU_BASE_IMAGE=...)
# On a normal Docker host you do not need this: the Dockerfile defaults to an official
# Node image.
#
# Usage: scripts/containers/base-image.sh [--rebuild] [IMAGE]   (default kemu-base:bookworm)
# Idempotent: an existing image is kept unless --rebuild is given. Run as root.
set -eu

say() { printf 'base-image: %s\n' "$*"; }

rebuild=0
image=kemu-base:bookworm
for arg in "$@"; do
  case "$arg" in
    --rebuild) rebuild=1 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) say "unknown option $arg (known: --rebuild)" >&2; exit 2 ;;
    *) image=$arg ;;
  esac
done

if command -v podman >/dev/null 2>&1; then engine=podman; else engine=docker; fi
if [ "$rebuild" -eq 0 ] && $engine image inspect "$image" >/dev/null 2>&1; then
  say "$image already exists ($engine); --rebuild makes it again"
  exit 0
fi

node_bin=$(command -v node) || { say "node not found on PATH" >&2; exit 1; }
node_bin=$(readlink -f "$node_bin")
npm_dir=$(dirname "$(dirname "$node_bin")")/lib/node_modules/npm
[ -f "$npm_dir/bin/npm-cli.js" ] || npm_dir=$(npm root -g 2>/dev/null)/npm
[ -f "$npm_dir/bin/npm-cli.js" ] || { say "npm not found next to $node_bin" >&2; exit 1; }
command -v debootstrap >/dev/null 2>&1 || { say "debootstrap is missing: run scripts/containers/setup-podman.sh" >&2; exit 1; }

# The Debian mirror this machine's apt already uses (deb822 sources first, then one-line).
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\/debian\)[[:space:]].*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || { say "no Debian mirror found in /etc/apt/sources.list{,.d}" >&2; exit 1; }

root=$(mktemp -d /tmp/kemu-base-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT INT TERM
say "debootstrap bookworm (minbase, iproute2, ca-certificates) into $root"
debootstrap --variant=minbase --include=iproute2,ca-certificates bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  say "debootstrap failed; the last lines of its log ($root.log):" >&2
  tail -n 20 "$root.log" >&2
  exit 1
}
rm -f "$root.log"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

say "adding $node_bin ($("$node_bin" --version)) and npm from $npm_dir"
install -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

tar -C "$root" -c . | $engine import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' - "$image" >"$root.import.log" 2>&1 || {
  say "$engine import failed:" >&2
  cat "$root.import.log" >&2
  rm -f "$root.import.log"
  exit 1
}
rm -f "$root.import.log"
say "built $image ($engine): $($engine image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
