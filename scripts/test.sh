#!/usr/bin/env bash
# All tests: set up, build, then, side by side on the machine's cores,
#   - the type check and the API docs (typedoc fails on a warning),
#   - the unit, kernel and training-step suites on a real WebGPU device through
#     Dawn (two processes, each with one device that the files it runs share
#     without module isolation, so pipelines compile once per process),
#   - the end-to-end suites in headless Chromium (one file at a time: each
#     starts a browser), all but the cases named "(run alone)";
# then the "(run alone)" cases by themselves: they assert that the page's main
# thread has no long task while a worker trains, which needs a quiet machine
# (vitest finds none if the marker is lost, and fails).
#
# While the side-by-side part runs, SwiftShader (the CPU's WebGPU) gets one
# thread per process (SwiftShader.ini, read from the working directory):
# left to its default of a thread per core, the three processes it serves
# oversubscribe the cores. Where a GPU is used the file changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# setup.sh has built dist/ from these sources; the API docs build beside the tests
export WEBGPU_BPTT_BUILT=1 # dist/ is this tree's build: e2e/example.test.ts packs it without building again

ALONE='run alone' # in the names of the cases that must run by themselves
tmp=$(mktemp -d)
cleanup() { rm -rf "$tmp"; rm -f SwiftShader.ini; }
trap cleanup EXIT
printf '# written by scripts/test.sh while its tests run side by side; removed when they end\n[Processor]\nThreadCount=1\n' > SwiftShader.ini

status=0
# the checks and the e2e suites write to logs, printed when they end
( npx tsc --noEmit -p . && npx typedoc ) >"$tmp/checks.log" 2>&1 &
checks=$!
npx vitest run e2e/ -t "^(?!.*$ALONE)" --reporter=default --reporter=json --outputFile.json="$tmp/e2e.json" >"$tmp/e2e.log" 2>&1 &
e2e=$!
npx vitest run test/ --fileParallelism --maxWorkers=2 --no-isolate --reporter=default --reporter=json --outputFile.json="$tmp/unit.json" || status=$?
wait $e2e || status=$?
echo "== end-to-end suites (run beside the unit suites) =="
cat "$tmp/e2e.log"
wait $checks || { status=$?; echo "== type check and API docs FAILED =="; }
cat "$tmp/checks.log"

rm -f SwiftShader.ini
echo "== end-to-end cases that watch the main thread (run alone) =="
npx vitest run $(grep -l "$ALONE" e2e/*.test.ts) -t "$ALONE" --reporter=default --reporter=json --outputFile.json="$tmp/quiet.json" || status=$?

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
' "$tmp/unit.json" "$tmp/e2e.json" "$tmp/quiet.json" || true
exit $status
