#!/usr/bin/env bash
# All tests: set up, type-check, build, then every Vitest suite: the unit,
# kernel and training-step suites on a real WebGPU device through Dawn (two
# files at a time: each process has its own device), then the end-to-end
# suites in headless Chromium (one file at a time: each starts a browser, and
# one of them asserts the page's main thread stays free while training).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit -p .
npm run build --silent
unit=$(mktemp)
e2e=$(mktemp)
status=0
npx vitest run test/ --fileParallelism --maxWorkers=2 --reporter=default --reporter=json --outputFile.json="$unit" || status=$?
npx vitest run e2e/ --reporter=default --reporter=json --outputFile.json="$e2e" || status=$?
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const f of process.argv.slice(1)) {
    try {
      const r = JSON.parse(fs.readFileSync(f, "utf8"));
      passed += r.numPassedTests;
      failed += r.numFailedTests;
    } catch {
      failed += 1; // a run that wrote no report failed as a whole
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
' "$unit" "$e2e" || true
rm -f "$unit" "$e2e"
exit $status
