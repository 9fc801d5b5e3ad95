# One image for every kemu process; the first argument picks the role:
#   etcd | apiserver | controller-manager | dns | node | kemu (the CLI)
# (see scripts/containers/entrypoint.sh). docker-compose.yml runs the whole cluster from it.
#
# BASE_IMAGE is an official Node image on a normal Docker host. A machine that cannot pull
# images builds a local one with scripts/containers/base-image.sh and passes
# --build-arg BASE_IMAGE=kemu-base:bookworm (compose: KEMU_BASE_IMAGE=kemu-base:bookworm).
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /kemu
COPY . .
# A context that already holds this checkout's build (npm ci was run; see .dockerignore)
# is reused: the build below then only checks that it is current. Otherwise npm ci fetches
# the dependencies. Tests are not part of the image. The native byte movers need a C
# compiler and Node's headers; without them the processes use their JavaScript paths.
RUN if [ ! -x node_modules/.bin/tsc ]; then npm ci --ignore-scripts --no-audit --no-fund; fi \
 && node scripts/gen.mjs \
 && node_modules/.bin/tsc -b packages/etcd packages/apiserver packages/controller-manager packages/dns packages/node-agent packages/cli \
 && node scripts/build-native.mjs \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@kemu/test packages/*/src packages/*/*.tsbuildinfo packages/*/native proto

FROM ${BASE_IMAGE}
# Container-mode networking adds ClusterIPs and pod IPs to lo and routes pod CIDRs: iproute2.
RUN command -v ip >/dev/null 2>&1 \
 || (apt-get update && apt-get install -y --no-install-recommends iproute2 && rm -rf /var/lib/apt/lists/*)
WORKDIR /kemu
COPY --from=build /kemu/package.json ./
COPY --from=build /kemu/node_modules ./node_modules
COPY --from=build /kemu/packages ./packages
COPY --from=build /kemu/examples ./examples
COPY --from=build /kemu/scripts/containers/entrypoint.sh /kemu/scripts/containers/healthcheck.sh /usr/local/bin/
ENV NODE_ENV=production KEMU_LOG_LEVEL=info
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD ["kemu", "--help"]
