# DMS gateway image. Build from the repository root:
#   docker build -f deploy/gateway.Dockerfile -t dms-gateway .
# Configuration is DMS_* environment variables (see deploy/README.md).

# 1. Build: full install (esbuild, typescript), bundle every app into dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node tools/build/build.mjs gateway

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
ENV DMS_LISTENERS=PLAINTEXT://0.0.0.0:9092
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/package.json ./package.json
COPY --from=build /src/dist/apps/gateway ./dist/apps/gateway
USER node
EXPOSE 9092 9464 9465
# The service handles SIGTERM itself (deregisters from etcd, exits 0); exec form so it gets the signal.
STOPSIGNAL SIGTERM
# A 64 MB first old generation: the default one kept a consuming gateway in major collections (decision 0042).
CMD ["node", "--initial-old-space-size=64", "dist/apps/gateway/main.js"]
