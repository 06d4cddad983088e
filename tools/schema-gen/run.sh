#!/usr/bin/env bash
# Regenerates the Kafka descriptor tables and error codes.
# Usage: tools/schema-gen/run.sh [messagesDir] [outRoot]   (run from anywhere; paths resolve from the repo root)
set -euo pipefail
cd "$(dirname "$0")/../.."
npx esbuild tools/schema-gen/generate.ts --bundle --platform=node --packages=external \
  --outfile=tmp/schema-gen.js --log-level=warning
node tmp/schema-gen.js "$@"
