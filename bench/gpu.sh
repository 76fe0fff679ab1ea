#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: our engine in Node (the npm
# `webgpu` package, Dawn on NVIDIA's Vulkan driver), in headless Chromium when
# it is installed (GPU flags when a GPU is present: e2e/browser.ts), and
# PyTorch on the same card (cuDNN nn.RNN / nn.LSTM and a hand-written autograd
# loop), the same training step, one table naming each adapter. Never touches
# the network; each part has its own time limit so the whole stays under 5 minutes.
#
#   bench/gpu.sh [--workloads S,M,L,LSTM] [--steps 10] [--warmup 2] [--sweep]
#                [--python python3] [--torch-device auto|cuda|cpu] [--no-browser] [--tiny]
#
# --tiny: the tiny workload, 2 steps, two matmul variants tuned, no inference (what the test suite runs, on SwiftShader).
# The Node and Chromium parts also time inference (bench/inference.ts); their JSON
# keeps it (the table here is the training step's).
# --sweep: also our GEMM sweep and each GEMM against it (slower).
# --no-browser: leave the Chromium part out (CHROMIUM_PATH names the browser).
# A workload our engine lacks (e.g. a cell) is a row that says so.
set -uo pipefail
cd "$(dirname "$0")/.."

WORKLOADS=S,M,L,LSTM
STEPS=10
WARMUP=2
SWEEP=--no-sweep
TUNE=
INFER=LSTM
PY=${PYTHON:-python3}
TORCH_DEVICE=auto
BROWSER=1
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
NODE_LIMIT=${GPU_SH_NODE_SECONDS:-100}
BROWSER_LIMIT=${GPU_SH_BROWSER_SECONDS:-100}
TORCH_LIMIT=${GPU_SH_TORCH_SECONDS:-90}
while [ $# -gt 0 ]; do
  case "$1" in
    --workloads) WORKLOADS=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --sweep) SWEEP=; shift ;;
    --python) PY=$2; shift 2 ;;
    --torch-device) TORCH_DEVICE=$2; shift 2 ;;
    --no-browser) BROWSER=0; shift ;;
    --tiny) WORKLOADS=tiny; STEPS=2; WARMUP=1; TUNE="--matmul-variants scalar@8x8,vec4@8x8"; INFER=none; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "bench/gpu.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
TS="node --import ./scripts/register.mjs"
SPECS=$($TS bench/gpu-table.ts specs "$WORKLOADS") || exit 2

echo "== webgpu-bptt in Node (limit ${NODE_LIMIT} s) =="
NODE_NOTE=
timeout "$NODE_LIMIT" $TS bench/run.ts --env node --workloads "$WORKLOADS" --strategies full --peers none \
  --steps "$STEPS" --warmup "$WARMUP" $SWEEP $TUNE --inference "$INFER" --no-write --json "$OUT/node.json" >"$OUT/node.log" 2>&1
rc=$?
grep -v '^$' "$OUT/node.log" | grep -E '^(workload|  )' || true
if [ $rc -ne 0 ]; then
  NODE_NOTE="the Node half stopped (exit $rc$([ $rc -eq 124 ] && echo ", over ${NODE_LIMIT} s"))"
  echo "$NODE_NOTE; its last lines:"; tail -5 "$OUT/node.log"
fi

BROWSER_NOTE=
if [ "$BROWSER" = 1 ] && [ -x "$CHROMIUM" ]; then
  echo "== webgpu-bptt in headless Chromium (limit ${BROWSER_LIMIT} s) =="
  timeout "$BROWSER_LIMIT" $TS bench/run.ts --env browser --workloads "$WORKLOADS" --strategies full --peers none \
    --steps "$STEPS" --warmup "$WARMUP" $SWEEP $TUNE --inference "$INFER" --no-write --json "$OUT/browser.json" >"$OUT/browser.log" 2>&1
  rc=$?
  grep -E '^(Chromium flags|adapter): ' "$OUT/browser.log" || true
  if [ $rc -ne 0 ]; then
    BROWSER_NOTE="the Chromium part stopped (exit $rc$([ $rc -eq 124 ] && echo ", over ${BROWSER_LIMIT} s"))"
    echo "$BROWSER_NOTE; its last lines:"; tail -5 "$OUT/browser.log"
  fi
elif [ "$BROWSER" = 1 ]; then
  echo "Chromium: not installed ($CHROMIUM not found); the browser row is left out."
fi

echo "== PyTorch (limit ${TORCH_LIMIT} s) =="
if command -v "$PY" >/dev/null 2>&1; then
  timeout "$TORCH_LIMIT" "$PY" bench/torch_rnn.py --workloads "$SPECS" --steps "$STEPS" --warmup "$WARMUP" \
    --device "$TORCH_DEVICE" --json "$OUT/torch.json" || echo "PyTorch half stopped (exit $?)"
else
  echo "PyTorch: not installed ($PY not found); the PyTorch rows are left out."
  printf '{"torch": null, "reason": "%s not found", "rows": []}' "$PY" >"$OUT/torch.json"
fi

echo "== one table =="
$TS bench/gpu-table.ts table "$OUT/node.json" "$OUT/torch.json" "$WORKLOADS" "$NODE_NOTE" "$OUT/browser.json" "$BROWSER_NOTE"
