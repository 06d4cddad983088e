#!/usr/bin/env bash
# Runs the whole suite: type check, unit, integration (real etcd + service processes) and
# interop (kafkajs, kcat; sarama, kafka-python, confluent-kafka in tools/compat). Prints one
# closing line "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash tools/ci/ensure-deps.sh --test-clients || exit 1

status=0
export NX_DAEMON=false NX_NO_CLOUD=true
echo "== lint (module boundaries)"
{ npx nx show projects >/dev/null && npx eslint apps libs tools; } || status=1
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit || status=1
npx tsc -p apps/console/tsconfig.web.json --noEmit || status=1  # the console's browser code (DOM, JSX)

results="$(mktemp -d)"
run_suite() {
  local name="$1"; shift
  echo "== $name tests"
  npx jest --selectProjects "$name" --json --outputFile="$results/$name.json" "$@" || status=1
}
run_suite unit
# --forceExit: a suite whose clusters are stopped may still hold a client timer; never hang CI on it.
run_suite integration --runInBand --forceExit
run_suite interop --runInBand --forceExit

node -e '
const fs = require("fs"); const path = require("path");
let passed = 0, failed = 0, skipped = 0;
for (const f of fs.readdirSync(process.argv[1])) {
  const r = JSON.parse(fs.readFileSync(path.join(process.argv[1], f), "utf8"));
  passed += r.numPassedTests; failed += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
  skipped += r.numPendingTests + r.numTodoTests;
}
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results"
rm -rf "$results"
exit $status
