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
# (test.sh fails if that step finds no such case).
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
INI=SwiftShader.ini
MARK='# written by scripts/test.sh while its tests run side by side; removed when they end'
tmp=$(mktemp -d)
groups=()
# Each side-by-side job runs in its own process group (setsid), so an
# interrupted run stops all of it: vitest's workers, Chromium, tsc.
cleanup() {
  for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
  rm -rf "$tmp"
  if [ -f "$INI" ] && [ "$(head -1 "$INI")" = "$MARK" ]; then rm -f "$INI"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ -f "$INI" ]; then
  if [ "$(head -1 "$INI")" != "$MARK" ]; then
    echo "test.sh: $INI here is not test.sh's own (it sets SwiftShader's threads); move it away and run again" >&2
    exit 2
  fi
  echo "test.sh: removing $INI left by an interrupted run"
fi
printf '%s\n[Processor]\nThreadCount=1\n' "$MARK" > "$INI"

status=0
# the checks and the e2e suites write to logs, printed when they end
setsid bash -c 'npx tsc --noEmit -p . && npx typedoc' >"$tmp/checks.log" 2>&1 &
checks=$!
groups+=("$checks")
setsid npx vitest run e2e/ -t "^(?!.*$ALONE)" --reporter=default --reporter=json --outputFile.json="$tmp/e2e.json" >"$tmp/e2e.log" 2>&1 &
e2e=$!
groups+=("$e2e")
setsid npx vitest run test/ --fileParallelism --maxWorkers=2 --no-isolate --reporter=default --reporter=json --outputFile.json="$tmp/unit.json" &
unit=$!
groups+=("$unit")
wait $unit || status=$?
wait $e2e || status=$?
echo "== end-to-end suites (run beside the unit suites) =="
cat "$tmp/e2e.log"
wait $checks || { status=$?; echo "== type check and API docs FAILED =="; }
cat "$tmp/checks.log"
groups=()

rm -f "$INI"
echo "== end-to-end cases that watch the main thread (run alone) =="
alone=($(grep -l "($ALONE)" e2e/*.test.ts || true))
if [ ${#alone[@]} -eq 0 ]; then
  echo "test.sh: no e2e file names a case \"($ALONE)\": the main-thread checks would not run alone" >&2
  status=1
else
  npx vitest run "${alone[@]}" -t "\\($ALONE\\)" --reporter=default --reporter=json --outputFile.json="$tmp/quiet.json" || status=$?
  # vitest passes a filter that matches nothing: the alone run must have run its cases
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (r.numPassedTests + r.numFailedTests === 0) { console.error("test.sh: the run-alone step ran no case"); process.exit(1); }' "$tmp/quiet.json" || status=1
fi

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
