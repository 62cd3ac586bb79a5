#!/usr/bin/env bash
# The demo: builds the workspace and starts the example app. With REDIS_URL, KAFKA_BROKERS and
# DATABASE_URL set it runs on those servers; without them, on the embedded in-memory default.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh

pnpm build >&2
exec pnpm --filter @seatrush/example-express-app start "$@"
