#!/usr/bin/env bash
# Install what a fresh clone needs, skipping what is already there:
# the Vulkan loader and SwiftShader (Debian's chromium) for WebGPU without a
# GPU, the npm packages (npm ci also builds dist/ through "prepare"), and
# dist/ again when a source is newer than it (after a pull or an edit).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' || need_apt+=(libvulkan1)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} (Debian packages)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
# the library build (dist/, what the CLI runs) when it is missing or older than its sources
if ! [ -f dist/cli.js ] || [ -n "$(find src shaders scripts vite.config.ts tsconfig.build.json package.json -newer dist/cli.js -print -quit)" ]; then
  echo "setup: building dist/ (npm run prepare)"
  npm run prepare --silent
fi
