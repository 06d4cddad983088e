# DMS web console image. Build from the repository root:
#   docker build -f deploy/console.Dockerfile -t dms-console .
# Configuration is DMS_* environment variables (`node dist/apps/console/main.js --help` lists them):
# DMS_BOOTSTRAP_SERVERS, DMS_SECURITY_PROTOCOL (SASL_SSL gives every user a login), DMS_SSL_CA_LOCATION,
# DMS_CONSOLE_SSL_CERTIFICATE_LOCATION / DMS_CONSOLE_SSL_KEY_LOCATION for HTTPS. See docs/console.md.

# 1. Build: full install (esbuild, typescript), bundle the server and the browser code into dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node tools/build/build.mjs console

# 2. Runtime dependencies only: the server bundle keeps npm packages (fastify, ...) external.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: node, production node_modules, the server bundle and its static UI, as the node user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    DMS_CONSOLE_HOST=0.0.0.0 \
    DMS_CONSOLE_PORT=8080 \
    DMS_METRICS_HOST=0.0.0.0 \
    DMS_METRICS_PORT=9464
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/package.json ./package.json
COPY --from=build /src/dist/apps/console ./dist/apps/console
USER node
EXPOSE 8080 9464
# Closes every session's Kafka connections and the HTTP server on SIGTERM; exec form so it gets the signal.
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/console/main.js"]
