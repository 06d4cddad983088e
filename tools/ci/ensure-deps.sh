#!/usr/bin/env bash
# Installs what DMS needs on a fresh Debian machine with Node 20: etcd, kcat and protoc from apt
# (when missing and running as root; otherwise says what to install), the npm packages, and the
# build. With --test-clients (the test command) also the clients of the compatibility suite.
# Safe to run repeatedly: it does only what is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler)
command -v openssl >/dev/null 2>&1 || need+=(openssl)  # every dms dev up makes its internal CA with it (and --secure its Kafka CA)
# The chaos tool's partition faults (tools/chaos) cut processes apart with nftables; they need root
# anyway, so only a root install asks for it.
if [ "$(id -u)" = 0 ] && ! command -v nft >/dev/null 2>&1; then need+=(nftables); fi
# The clients of the compatibility suite (tools/compat), from Debian: sarama's Go sources built
# offline with Debian's Go (cgo, for its zstd), the Python clients with their codec modules, and
# Burrow.
if [ "${1:-}" = "--test-clients" ]; then
  installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
  command -v go >/dev/null 2>&1 || need+=(golang-go)
  command -v gcc >/dev/null 2>&1 || need+=(gcc)
  # chromium: the console's browser tests drive Debian's build through playwright-core.
  # burrow: LinkedIn's lag monitor (Debian 1.2.1, sarama 1.22), which needs a ZooKeeper for its
  # own coordination: Debian's zookeeper (Java), started by the spec on a loopback port.
  for pkg in golang-github-shopify-sarama-dev python3-kafka python3-confluent-kafka python3-snappy python3-lz4 python3-zstandard chromium burrow zookeeper; do
    installed "$pkg" || need+=("$pkg")
  done
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: installing ${need[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "ensure-deps: missing ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "ensure-deps: Node.js 20 or newer is required (found $(node --version))" >&2
  exit 1
fi

# Reinstall when the lockfile changed since the last install.
stamp="node_modules/.dms-lock-hash"
lock_hash="$(sha1sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "ensure-deps: installing npm packages" >&2
  # `npm ci`, exactly as container images and users' CI install. The lockfile must list every
  # platform's optional native packages: after changing dependencies, refresh it with
  # `npm install --package-lock-only` from a tree without node_modules, or `npm ci` rejects it.
  npm ci --no-audit --no-fund --loglevel=error
  sha1sum package-lock.json | cut -d' ' -f1 > "$stamp"
fi

node tools/build/build.mjs
