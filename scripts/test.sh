#!/usr/bin/env bash
# All tests: set up, type-check, build, then every Vitest suite: the unit,
# kernel and training-step suites on a real WebGPU device through Dawn (two
# processes, each with one device that the files it runs share without
# module isolation, so pipelines compile once per process), then the end-to-end
# suites in headless Chromium (one file at a time: each starts a browser, and
# one of them asserts the page's main thread stays free while training).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit -p .
# the build; where npm ci has just built dist/ (its "prepare") from these
# sources, only the API docs are left to build (typedoc fails on a warning)
if [ -f dist/cli.js ] && [ -z "$(find src shaders scripts vite.config.ts tsconfig.build.json package.json -newer dist/cli.js -print -quit)" ]; then
  npx typedoc
else
  npm run build --silent
fi
export WEBGPU_BPTT_BUILT=1 # dist/ is this tree's build: e2e/example.test.ts packs it without building again
unit=$(mktemp)
e2e=$(mktemp)
status=0
npx vitest run test/ --fileParallelism --maxWorkers=2 --no-isolate --reporter=default --reporter=json --outputFile.json="$unit" || status=$?
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
