#!/usr/bin/env bash
# `pnpm services up|down|status [all|cluster|redis|postgres|kafka|redis-cluster|kafka-cluster|redis-sentinel]`
#
# Starts, idempotently and on loopback only, the real servers SeatRush's integration tests need:
# Redis, PostgreSQL and Apache Kafka (KRaft, from its Maven Central artifacts). `up` prints the
# addresses as KEY=value lines (REDIS_URL, DATABASE_URL, KAFKA_BROKERS, and for `cluster`
# REDIS_CLUSTER_NODES, KAFKA_CLUSTER_BROKERS) and keeps them in .services/env, which
# scripts/test.sh loads. `all` (the default) is the single servers; `cluster` adds the 3-master
# Redis Cluster and the 3-broker Kafka cluster for the scale-out tests, and the Redis Sentinel group
# (a primary, a replica, three Sentinels; REDIS_SENTINELS, REDIS_SENTINEL_NAME) for the failover
# tests.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/services/lib.sh"

cmd="${1:-status}"
what="${2:-all}"
case "$what" in
  all) targets=(redis postgres kafka) ;;
  cluster) targets=(redis postgres kafka redis-cluster kafka-cluster redis-sentinel) ;;
  redis | postgres | kafka | redis-cluster | kafka-cluster | redis-sentinel) targets=("$what") ;;
  *) die "unknown service '$what' (all, cluster, redis, postgres, kafka, redis-cluster, kafka-cluster, redis-sentinel)" ;;
esac

run() { # TARGET VERB
  case "$1" in
    redis) bash "$here/services/redis.sh" "$2" single ;;
    redis-cluster) bash "$here/services/redis.sh" "$2" cluster ;;
    redis-sentinel) bash "$here/services/redis.sh" "$2" sentinel ;;
    postgres) bash "$here/services/postgres.sh" "$2" ;;
    kafka) bash "$here/services/kafka.sh" "$2" single ;;
    kafka-cluster) bash "$here/services/kafka.sh" "$2" cluster ;;
  esac
}

# remember KEY=value lines in .services/env, replacing older values of the same keys
remember() {
  local envfile="$SERVICES_DIR/env" line key
  touch "$envfile"
  while IFS= read -r line; do
    [[ "$line" =~ ^[A-Z_]+= ]] || continue
    key="${line%%=*}"
    grep -v "^$key=" "$envfile" > "$envfile.tmp" || true
    mv "$envfile.tmp" "$envfile"
    echo "$line" >> "$envfile"
    echo "$line"
  done
}

case "$cmd" in
  up)
    for t in "${targets[@]}"; do run "$t" up | remember; done
    ;;
  down)
    for t in "${targets[@]}"; do run "$t" down; done
    rm -f "$SERVICES_DIR/env"
    ;;
  status)
    rc=0
    for t in "${targets[@]}"; do run "$t" status || rc=1; done
    exit $rc
    ;;
  *) die "usage: pnpm services up|down|status [all|cluster|redis|postgres|kafka|redis-cluster|kafka-cluster|redis-sentinel]" ;;
esac
