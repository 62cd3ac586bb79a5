#!/usr/bin/env bash
# Redis for SeatRush's tests: `redis.sh up|down|status [single|cluster]`.
#  single:  reuses a Redis already answering on 127.0.0.1:6379, otherwise starts one (installing
#           Debian's redis-server if needed). Prints REDIS_URL=...
#  cluster: a 3-master Redis Cluster on 127.0.0.1:7001-7003 for the scale-out tests. Prints
#           REDIS_CLUSTER_NODES=...
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SINGLE_PORT="${SEATRUSH_REDIS_PORT:-6379}"
CLUSTER_PORTS=(7001 7002 7003)

ensure_redis_binaries() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || apt_install redis-server redis-tools
  # Debian's package starts a system service; we run our own processes and leave that one alone.
}

redis_pings() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]; }

start_redis_process() { # PORT DIR EXTRA_ARGS...
  local port="$1" dir="$2"; shift 2
  mkdir -p "$dir"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save "" --appendonly no "$@" >&2
  wait_until 30 "redis on 127.0.0.1:$port" "$dir/redis.log" redis_pings "$port"
}

up_single() {
  ensure_redis_binaries
  if redis_pings "$SINGLE_PORT"; then
    log "redis already answers on 127.0.0.1:$SINGLE_PORT: reusing it"
  else
    log "starting redis on 127.0.0.1:$SINGLE_PORT"
    start_redis_process "$SINGLE_PORT" "$SERVICES_DIR/redis/single"
  fi
  echo "REDIS_URL=redis://127.0.0.1:$SINGLE_PORT"
}

cluster_ok() { redis-cli -h 127.0.0.1 -p "${CLUSTER_PORTS[0]}" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; }

up_cluster() {
  ensure_redis_binaries
  local nodes=()
  for port in "${CLUSTER_PORTS[@]}"; do
    nodes+=("127.0.0.1:$port")
    if ! redis_pings "$port"; then
      log "starting redis cluster node on 127.0.0.1:$port"
      start_redis_process "$port" "$SERVICES_DIR/redis/cluster/$port" \
        --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000
    fi
  done
  if ! cluster_ok; then
    # A half-made cluster from an interrupted run cannot be re-created: reset the nodes first.
    for port in "${CLUSTER_PORTS[@]}"; do
      redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null 2>&1 || true
      redis-cli -h 127.0.0.1 -p "$port" cluster reset hard >/dev/null 2>&1 || true
    done
    log "creating the 3-master cluster"
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >&2
    wait_until 30 "redis cluster state ok" "" cluster_ok
  fi
  local IFS=,
  echo "REDIS_CLUSTER_NODES=${nodes[*]}"
}

down() {
  if [ "${1:-single}" = single ]; then stop_pidfile "$SERVICES_DIR/redis/single/redis.pid" "redis"; return; fi
  for port in "${CLUSTER_PORTS[@]}"; do
    stop_pidfile "$SERVICES_DIR/redis/cluster/$port/redis.pid" "redis cluster node $port"
  done
  rm -rf "$SERVICES_DIR/redis/cluster"
}

status() {
  local ok=0
  if [ "${1:-single}" = cluster ]; then
    for port in "${CLUSTER_PORTS[@]}"; do redis_pings "$port" && log "redis cluster node $port: up" || { log "redis cluster node $port: down"; ok=1; }; done
    cluster_ok && log "redis cluster: state ok" || { log "redis cluster: not ok"; ok=1; }
  else
    redis_pings "$SINGLE_PORT" && log "redis 127.0.0.1:$SINGLE_PORT: up" || { log "redis 127.0.0.1:$SINGLE_PORT: down"; ok=1; }
  fi
  return $ok
}

case "${1:-}" in
  up) if [ "${2:-single}" = cluster ]; then up_cluster; else up_single; fi ;;
  down) down "${2:-single}" ;;
  status) status "${2:-single}" ;;
  *) die "usage: redis.sh up|down|status [single|cluster]" ;;
esac
