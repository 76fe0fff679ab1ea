#!/usr/bin/env bash
# The main job: set up, then train the char-RNN on the built-in corpus in
# Node (WebGPU through Dawn; SwiftShader when there is no GPU), with a
# progress bar, then print perplexity and a generated sample.
# Extra arguments go to `webgpu-bptt train` (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/webgpu-bptt.js train "$@"
