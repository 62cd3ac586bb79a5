#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs the toolchain and dependencies, starts the real
# servers (Redis, PostgreSQL, Apache Kafka, and the Redis/Kafka clusters) and headless Chromium,
# then builds, type-checks, lints and runs every unit, integration and cluster test. Extra
# arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh

bash scripts/services.sh up cluster >/dev/null
set -a
. .services/env
set +a
# headless Chromium (Debian's) for the example app's end-to-end test
export "$(bash scripts/browser.sh)"

# the kafka adapter's 'confluent' client: librdkafka's addon, built once (a plain install skips it)
bash scripts/confluent.sh
pnpm check
vitest run "$@"
