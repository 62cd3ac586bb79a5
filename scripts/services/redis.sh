#!/usr/bin/env bash
# Redis for SeatRush's tests: `redis.sh up|down|status [single|cluster]`.
#  single:  reuses a Redis already answering on 127.0.0.1:6379, otherwise starts one (installing
#           Debian's redis-server if needed). Prints REDIS_URL=...
#  cluster: a 3-master Redis Cluster on 127.0.0.1:7001-7003 for the scale-out tests. Prints
#           REDIS_CLUSTER_NODES=...
#  sentinel: a primary (127.0.0.1:6390) with a replica (6391), both with AOF (appendfsync
#           everysec), watched by three Sentinels (26379-26381, quorum 2, master name `seatrush`)
#           for the failover tests. Prints REDIS_SENTINELS=... and REDIS_SENTINEL_NAME=...
#           `redis.sh kill-primary` SIGKILLs whichever node the Sentinels call the primary now
#           (printing KILLED_PORT=...); `up sentinel` starts it again, and the Sentinels turn it into
#           a replica of the promoted one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SINGLE_PORT="${SEATRUSH_REDIS_PORT:-6379}"
CLUSTER_PORTS=(7001 7002 7003)
SENTINEL_NAME=seatrush
SENTINEL_DATA_PORTS=(6390 6391)
SENTINEL_PORTS=(26379 26380 26381)
SENTINEL_DIR="$SERVICES_DIR/redis/sentinel"

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

# Each server of the Sentinel group runs from a config file of its own: the Sentinels rewrite them
# (CONFIG REWRITE) when they promote a replica or turn a returning primary into a replica, so a
# restart keeps the roles they gave. A config file is written once; `down sentinel` removes them.
start_sentinel_data_node() { # PORT [PRIMARY_PORT]
  local port="$1" dir="$SENTINEL_DIR/$1"
  mkdir -p "$dir"
  if [ ! -f "$dir/redis.conf" ]; then
    {
      echo "bind 127.0.0.1"
      echo "port $port"
      echo "dir $dir"
      echo "pidfile $dir/redis.pid"
      echo "logfile $dir/redis.log"
      echo "daemonize yes"
      echo 'save ""'
      echo "appendonly yes"
      echo "appendfsync everysec"
      echo "maxmemory-policy noeviction"
      if [ -n "${2:-}" ]; then echo "replicaof 127.0.0.1 $2"; fi
    } > "$dir/redis.conf"
  fi
  log "starting redis (sentinel group) on 127.0.0.1:$port"
  redis-server "$dir/redis.conf" >&2
  wait_until 30 "redis on 127.0.0.1:$port" "$dir/redis.log" redis_pings "$port"
}

start_sentinel() { # PORT
  local port="$1" dir="$SENTINEL_DIR/s$1"
  mkdir -p "$dir"
  if [ ! -f "$dir/sentinel.conf" ]; then
    # down after 1 s without an answer, quorum 2 of 3: a SIGKILLed primary is replaced in seconds
    {
      echo "bind 127.0.0.1"
      echo "port $port"
      echo "dir $dir"
      echo "pidfile $dir/sentinel.pid"
      echo "logfile $dir/sentinel.log"
      echo "daemonize yes"
      echo "sentinel monitor $SENTINEL_NAME 127.0.0.1 ${SENTINEL_DATA_PORTS[0]} 2"
      echo "sentinel down-after-milliseconds $SENTINEL_NAME 1000"
      echo "sentinel failover-timeout $SENTINEL_NAME 10000"
      echo "sentinel parallel-syncs $SENTINEL_NAME 1"
    } > "$dir/sentinel.conf"
  fi
  log "starting redis sentinel on 127.0.0.1:$port"
  redis-server "$dir/sentinel.conf" --sentinel >&2
  wait_until 30 "redis sentinel on 127.0.0.1:$port" "$dir/sentinel.log" redis_pings "$port"
}

sentinel_primary_port() {
  local port
  for port in "${SENTINEL_PORTS[@]}"; do
    redis-cli -h 127.0.0.1 -p "$port" sentinel get-master-addr-by-name "$SENTINEL_NAME" 2>/dev/null | sed -n 2p | grep . && return 0
  done
  return 1
}

# every Sentinel knows the primary and sees the other two Sentinels and a replica
sentinel_ready() {
  local port info
  for port in "${SENTINEL_PORTS[@]}"; do
    info="$(redis-cli -h 127.0.0.1 -p "$port" sentinel master "$SENTINEL_NAME" 2>/dev/null | paste -sd' ')"
    [[ " $info " == *" flags master "* ]] || return 1
    [[ " $info " == *" num-other-sentinels 2 "* ]] || return 1
    [[ " $info " == *" num-slaves 0 "* ]] && return 1
  done
  # and the other data node really replicates the primary (a restarted old primary comes back as a
  # primary until the Sentinels convert it)
  local primary replication; primary="$(sentinel_primary_port)" || return 1
  for port in "${SENTINEL_DATA_PORTS[@]}"; do
    [ "$port" = "$primary" ] && continue
    replication="$(redis-cli -h 127.0.0.1 -p "$port" info replication 2>/dev/null | tr -d '\r')"
    [[ "$replication" == *"role:slave"* && "$replication" == *"master_port:$primary"* && "$replication" == *"master_link_status:up"* ]] || return 1
  done
  return 0
}

up_sentinel() {
  ensure_redis_binaries
  local port
  # a group already running may have a promoted replica: restart only what is down
  for port in "${SENTINEL_DATA_PORTS[@]}"; do
    redis_pings "$port" && continue
    if [ "$port" = "${SENTINEL_DATA_PORTS[0]}" ]; then start_sentinel_data_node "$port"
    else start_sentinel_data_node "$port" "${SENTINEL_DATA_PORTS[0]}"; fi
  done
  for port in "${SENTINEL_PORTS[@]}"; do redis_pings "$port" || start_sentinel "$port"; done
  wait_until 60 "the Sentinels agreeing on a primary with a replica" "$SENTINEL_DIR/s${SENTINEL_PORTS[0]}/sentinel.log" sentinel_ready
  log "sentinel group: primary on 127.0.0.1:$(sentinel_primary_port)"
  local nodes=()
  for port in "${SENTINEL_PORTS[@]}"; do nodes+=("127.0.0.1:$port"); done
  local IFS=,
  echo "REDIS_SENTINELS=${nodes[*]}"
  echo "REDIS_SENTINEL_NAME=$SENTINEL_NAME"
}

kill_primary() {
  local port; port="$(sentinel_primary_port)" || die "no Sentinel names a primary (pnpm services up redis-sentinel)"
  local pidfile="$SENTINEL_DIR/$port/redis.pid"
  pid_alive "$pidfile" || die "the primary 127.0.0.1:$port was not started by this script"
  kill -9 "$(cat "$pidfile")"
  rm -f "$pidfile"
  log "SIGKILLed the primary redis on 127.0.0.1:$port"
  echo "KILLED_PORT=$port"
}

down() {
  if [ "${1:-single}" = sentinel ]; then
    for port in "${SENTINEL_PORTS[@]}"; do stop_pidfile "$SENTINEL_DIR/s$port/sentinel.pid" "redis sentinel $port"; done
    for port in "${SENTINEL_DATA_PORTS[@]}"; do stop_pidfile "$SENTINEL_DIR/$port/redis.pid" "redis $port"; done
    rm -rf "$SENTINEL_DIR"
    return
  fi
  if [ "${1:-single}" = single ]; then stop_pidfile "$SERVICES_DIR/redis/single/redis.pid" "redis"; return; fi
  for port in "${CLUSTER_PORTS[@]}"; do
    stop_pidfile "$SERVICES_DIR/redis/cluster/$port/redis.pid" "redis cluster node $port"
  done
  rm -rf "$SERVICES_DIR/redis/cluster"
}

status() {
  local ok=0
  if [ "${1:-single}" = sentinel ]; then
    for port in "${SENTINEL_DATA_PORTS[@]}" "${SENTINEL_PORTS[@]}"; do redis_pings "$port" && log "redis 127.0.0.1:$port: up" || { log "redis 127.0.0.1:$port: down"; ok=1; }; done
    local primary
    if primary="$(sentinel_primary_port)"; then log "sentinel group: primary 127.0.0.1:$primary"; else ok=1; fi
    return $ok
  fi
  if [ "${1:-single}" = cluster ]; then
    for port in "${CLUSTER_PORTS[@]}"; do redis_pings "$port" && log "redis cluster node $port: up" || { log "redis cluster node $port: down"; ok=1; }; done
    cluster_ok && log "redis cluster: state ok" || { log "redis cluster: not ok"; ok=1; }
  else
    redis_pings "$SINGLE_PORT" && log "redis 127.0.0.1:$SINGLE_PORT: up" || { log "redis 127.0.0.1:$SINGLE_PORT: down"; ok=1; }
  fi
  return $ok
}

case "${1:-}" in
  up)
    case "${2:-single}" in
      cluster) up_cluster ;;
      sentinel) up_sentinel ;;
      *) up_single ;;
    esac
    ;;
  down) down "${2:-single}" ;;
  status) status "${2:-single}" ;;
  kill-primary) kill_primary ;;
  *) die "usage: redis.sh up|down|status [single|cluster|sentinel] | kill-primary" ;;
esac
