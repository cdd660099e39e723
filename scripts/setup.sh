#!/usr/bin/env bash
# Sets up a fresh machine for mmsim: pnpm 10.34.9 and the locked dependencies.
# With --test it also installs the Debian packages the tests use: chromium (the docs e2e test)
# and procps (the slabtop test reads mmsim's /proc/slabinfo).
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--test" ]]; then
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v slabtop >/dev/null 2>&1 || missing+=(procps)
  if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
if [[ "$(pnpm --version 2>/dev/null || true)" != "10.34.9" ]]; then
  echo "setup: installing pnpm 10.34.9"
  npm install -g pnpm@10.34.9 --no-fund --no-audit >/dev/null
fi
export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile --config.confirmModulesPurge=false
