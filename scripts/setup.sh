#!/usr/bin/env bash
# Sets up a fresh machine for mmsim: pnpm 10.34.9 and the locked dependencies.
# With --browser it also installs Debian's chromium (for the docs e2e test).
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--browser" ]] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian's chromium (for browser tests)"
  if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if [[ "$(pnpm --version 2>/dev/null || true)" != "10.34.9" ]]; then
  echo "setup: installing pnpm 10.34.9"
  npm install -g pnpm@10.34.9 --no-fund --no-audit >/dev/null
fi
export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile --config.confirmModulesPurge=false
