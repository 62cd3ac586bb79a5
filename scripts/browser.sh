#!/usr/bin/env bash
# Makes a headless browser available for the example app's end-to-end test: Debian's `chromium`
# package (driven by playwright-core, which downloads no browser of its own). Idempotent: when
# /usr/bin/chromium exists it only prints where it is. Prints CHROMIUM_PATH=… on stdout, so
#   export "$(bash scripts/browser.sh)"
# exports it for the tests; progress goes to stderr.
set -euo pipefail

CHROMIUM_PATH=/usr/bin/chromium

if [ ! -x "$CHROMIUM_PATH" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "[browser] no $CHROMIUM_PATH and no apt-get: install Chromium and set CHROMIUM_PATH" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "[browser] installing chromium needs root (or sudo)" >&2
      exit 1
    fi
  fi
  echo "[browser] installing Debian's chromium (once)" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
fi

"$CHROMIUM_PATH" --version >&2
echo "CHROMIUM_PATH=$CHROMIUM_PATH"
