#!/usr/bin/env bash
# Source this file: it makes the project's own toolchain (Node 24 LTS and pnpm, both from the npm
# registry, kept in .tools/) first on PATH and installs the workspace's dependencies from the
# lockfile. Idempotent: a second call only checks. The machine's own Node may be older (Node 20 is
# past end of life and today's vitest/tsup/changesets need >= 22), so we never rely on it beyond
# its npm, which fetches the `node` package (the binary ships inside it).
# Sourced by the project's scripts, which run under `set -euo pipefail`.

SEATRUSH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="$(tr -d '[:space:]' < "$SEATRUSH_ROOT/.node-version")"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$SEATRUSH_ROOT/package.json")"
TOOLS="$SEATRUSH_ROOT/.tools"

log() { printf '[bootstrap] %s\n' "$*" >&2; }

ensure_npm() {
  if command -v npm >/dev/null 2>&1; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "no npm on this machine: installing Debian's nodejs + npm to fetch Node $NODE_VERSION"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    log "npm is needed once to fetch Node $NODE_VERSION; install nodejs/npm and run again"; return 1
  fi
}

ensure_node() {
  local have=""
  [ -x "$TOOLS/node/bin/node" ] && have="$("$TOOLS/node/bin/node" --version 2>/dev/null || true)"
  if [ "$have" != "v$NODE_VERSION" ]; then
    ensure_npm
    log "installing Node $NODE_VERSION into .tools/node"
    rm -rf "$TOOLS/node"
    npm install --global --prefix "$TOOLS/node" --no-audit --no-fund --loglevel=error "node@$NODE_VERSION" >&2
    have="$("$TOOLS/node/bin/node" --version)"
    [ "$have" = "v$NODE_VERSION" ] || { log "Node install failed (got '$have')"; return 1; }
  fi
}

ensure_pnpm() {
  local have=""
  [ -x "$TOOLS/pnpm/bin/pnpm" ] && have="$(PATH="$TOOLS/node/bin:$PATH" "$TOOLS/pnpm/bin/pnpm" --version 2>/dev/null || true)"
  if [ "$have" != "$PNPM_VERSION" ]; then
    log "installing pnpm $PNPM_VERSION into .tools/pnpm"
    rm -rf "$TOOLS/pnpm"
    PATH="$TOOLS/node/bin:$PATH" npm install --global --prefix "$TOOLS/pnpm" --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2
  fi
}

ensure_node
ensure_pnpm
export PATH="$TOOLS/node/bin:$TOOLS/pnpm/bin:$SEATRUSH_ROOT/node_modules/.bin:$PATH"
export SEATRUSH_ROOT

# Install dependencies when the lockfile changed since the last install (pnpm is fast to confirm).
stamp="$SEATRUSH_ROOT/node_modules/.seatrush-lock-stamp"
lock_sum="$(cd "$SEATRUSH_ROOT" && cat pnpm-lock.yaml pnpm-workspace.yaml package.json packages/*/package.json examples/*/package.json 2>/dev/null | cksum)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  log "installing workspace dependencies (pnpm install --frozen-lockfile)"
  (cd "$SEATRUSH_ROOT" && pnpm install --frozen-lockfile --reporter=append-only >&2)
  echo "$lock_sum" > "$stamp"
fi
