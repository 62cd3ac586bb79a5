#!/usr/bin/env bash
# `pnpm faults`: the fault suite, full form (issue 20, item 4). Loopback only, bounded: starts the
# servers it needs (`pnpm services up cluster`, which includes the Redis Sentinel group), then runs
# test/faults/*.cluster.test.ts with FAULTS=full: the example app and its worker against a Redis
# (AOF everysec) and a PostgreSQL of the suite's own, and a 3-broker Kafka cluster of its own
# (127.0.0.1:9592-9594, started and removed by the suite); then the Sentinel failover through the
# SDK, and the Redis Cluster failover (3 masters with replicas, a cluster of the test's own).
# Each fault prints its recovery times; the suite prints a table at the end.
#   FAULTS_BUYERS=N      buyers a fault (default 200 here, 30 in the short form CI runs)
#   FAULTS_STEPS=a,b     only these faults: app, worker, kafka, postgres, redis, wipe
#   FAILOVER_BUYERS=N    buyers of the Sentinel failover's spike (default 300)
#   CLUSTER_FAILOVER_BUYERS=N  buyers of the Redis Cluster failover's spike (default 300)
# The example app must be built: pnpm --filter "@seatrush/example-express-app..." build
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/services.sh up cluster >/dev/null
set -a
. .services/env
set +a
export FAULTS=full FAILOVER_BUYERS="${FAILOVER_BUYERS:-1000}" CLUSTER_FAILOVER_BUYERS="${CLUSTER_FAILOVER_BUYERS:-1000}"
exec pnpm exec vitest run --project cluster --retry 0 test/faults "$@"
