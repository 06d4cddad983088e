#!/usr/bin/env bash
# Regenerates the API-version table of docs/compatibility.md (a unit spec fails when it is stale).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx esbuild tools/compat-doc/generate.ts --bundle --platform=node --packages=external \
  --tsconfig=tsconfig.base.json --outfile=tmp/compat-doc.js --log-level=warning
node tmp/compat-doc.js
