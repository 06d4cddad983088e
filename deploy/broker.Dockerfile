# DMS broker image. Build from the repository root:
#   docker build -f deploy/broker.Dockerfile -t dms-broker .
# Configuration is DMS_* environment variables (see deploy/README.md).

# 1. Build: full install (esbuild, typescript), bundle every app into dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node tools/build/build.mjs broker

# 2. Runtime dependencies only: the bundle keeps npm packages external (native codecs load from here).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: node, production node_modules and one bundle, running as the unprivileged node user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    DMS_METRICS_HOST=0.0.0.0 \
    DMS_METRICS_PORT=9464 \
    DMS_HEALTH_HOST=0.0.0.0 \
    DMS_HEALTH_PORT=9465
# DMS_GRPC_HOST is both bound and advertised: set it to a name other containers resolve to this one.
ENV DMS_GRPC_PORT=9500 \
    DMS_LOG_DIRS=/var/lib/dms/data
RUN mkdir -p /var/lib/dms/data && chown -R node:node /var/lib/dms
VOLUME ["/var/lib/dms/data"]
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/package.json ./package.json
COPY --from=build /src/dist/apps/broker ./dist/apps/broker
USER node
EXPOSE 9500 9464 9465
# The service handles SIGTERM itself (deregisters from etcd, exits 0); exec form so it gets the signal.
STOPSIGNAL SIGTERM
# A 128 MB first old generation: smaller ones kept a loaded broker in major collections (decisions 0042, 0043).
CMD ["node", "--initial-old-space-size=128", "dist/apps/broker/main.js"]
