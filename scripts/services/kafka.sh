#!/usr/bin/env bash
# Apache Kafka (KRaft) for SeatRush's tests: `kafka.sh up|down|status [single|cluster]`,
# and for fault tests `kafka.sh kill-node N` / `kafka.sh start-node N` (cluster node 1-3), and
# `kafka.sh kill` (SIGKILL the single broker, keeping its data; `up` starts it again on that data).
#
# The broker is the real one: org.apache.kafka:kafka_2.13 and its dependencies are resolved from
# Maven Central by scripts/services/kafka/pom.xml into .services/kafka/lib, the storage is
# formatted with kafka.tools.StorageTool and the server runs as `java kafka.Kafka` on this
# machine's Java. Nothing listens beyond loopback.
#  single:  one combined broker+controller, clients on 127.0.0.1:9092 (controller 9093).
#           Prints KAFKA_BROKERS=...
#  cluster: three combined nodes, clients on 127.0.0.1:9192-9194 (controllers 9292-9294),
#           replication factor 3 and min.insync.replicas 2. Prints KAFKA_CLUSTER_BROKERS=...
set -euo pipefail
. "$(dirname "$0")/lib.sh"

POM="$(cd "$(dirname "$0")" && pwd)/kafka/pom.xml"
KAFKA_DIR="$SERVICES_DIR/kafka"
LIB_DIR="$KAFKA_DIR/lib"
SINGLE_PORT="${SEATRUSH_KAFKA_PORT:-9092}"
# Another name (and port) gives a test its own broker to stop, e.g. SEATRUSH_KAFKA_NAME=doomed
SINGLE_NAME="${SEATRUSH_KAFKA_NAME:-single}"
# Another name and port gives a fault test a 3-broker cluster of its own to break, e.g.
# SEATRUSH_KAFKA_CLUSTER_NAME=faults SEATRUSH_KAFKA_CLUSTER_PORT=9592 (controllers at port + 100)
CLUSTER_NAME="${SEATRUSH_KAFKA_CLUSTER_NAME:-cluster}"
CLUSTER_PORT="${SEATRUSH_KAFKA_CLUSTER_PORT:-9192}"
CLUSTER_PORTS=("$CLUSTER_PORT" $((CLUSTER_PORT + 1)) $((CLUSTER_PORT + 2)))
CLUSTER_CONTROLLER_PORTS=($((CLUSTER_PORT + 100)) $((CLUSTER_PORT + 101)) $((CLUSTER_PORT + 102)))
# the shared cluster's nodes are node1-3 (as before); another cluster's are <name>-node1-3
cluster_node() { if [ "$CLUSTER_NAME" = cluster ]; then echo "node$1"; else echo "$CLUSTER_NAME-node$1"; fi; }
HEAP="${SEATRUSH_KAFKA_HEAP:-512m}"

ensure_runtime() {
  command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null 2>&1 || apt_install maven
  # Resolve again only when pom.xml changed: the stamp is the pom's checksum.
  local want have=""
  want="$(cksum < "$POM")"
  [ -f "$LIB_DIR/.stamp" ] && have="$(cat "$LIB_DIR/.stamp")"
  if [ "$want" != "$have" ] || ! ls "$LIB_DIR"/kafka_2.13-*.jar >/dev/null 2>&1; then
    log "resolving Apache Kafka from Maven Central ($(grep -o '<kafka.version>[^<]*' "$POM" | cut -d'>' -f2))"
    rm -rf "$LIB_DIR"
    mkdir -p "$LIB_DIR"
    mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB_DIR" >&2 ||
      die "mvn could not resolve Kafka (see above); Maven Central must be reachable"
    echo "$want" > "$LIB_DIR/.stamp"
  fi
}

kafka_java() { # MAIN ARGS... — runs a Kafka class on the resolved classpath, quietly
  java -Xmx256m -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2-quiet.properties" -cp "$LIB_DIR/*" "$@"
}

write_log_configs() {
  cat > "$KAFKA_DIR/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = info
logger.apache.name = org.apache.kafka
logger.apache.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
EOF
  cat > "$KAFKA_DIR/log4j2-quiet.properties" <<'EOF'
status = error
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m%n
rootLogger.level = error
rootLogger.appenderRef.err.ref = err
EOF
}

# node_dir NAME — a node's folder: config, data, log and pid file together.
node_dir() { echo "$KAFKA_DIR/$1"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# answers BOOTSTRAP — the broker serves metadata to a real client (kafka's own admin tool).
answers() { kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --list >/dev/null 2>&1; }

write_config() { # NAME NODE_ID CLIENT_PORT CONTROLLER_PORT VOTERS REPLICATION MIN_ISR
  local dir; dir="$(node_dir "$1")"
  mkdir -p "$dir/data"
  cat > "$dir/server.properties" <<EOF
# written by scripts/services/kafka.sh; edit the script, not this file
process.roles=broker,controller
node.id=$2
controller.quorum.voters=$5
listeners=PLAINTEXT://127.0.0.1:$3,CONTROLLER://127.0.0.1:$4
advertised.listeners=PLAINTEXT://127.0.0.1:$3
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=3
default.replication.factor=$6
min.insync.replicas=$7
offsets.topic.replication.factor=$6
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$6
transaction.state.log.min.isr=$7
share.coordinator.state.topic.replication.factor=$6
share.coordinator.state.topic.min.isr=$7
auto.create.topics.enable=true
# tests create many short-lived groups: no initial rebalance delay
group.initial.rebalance.delay.ms=0
log.retention.hours=6
log.segment.bytes=67108864
EOF
}

start_node() { # NAME CLIENT_PORT single|cluster
  local name="$1" port="$2" dir; dir="$(node_dir "$1")"
  if pid_alive "$dir/kafka.pid"; then return 0; fi
  # Another checkout (or CI) may have started it already: a broker on the port is reused.
  if port_open "$port"; then log "kafka $name already answers on 127.0.0.1:$port: reusing it"; return 0; fi
  # The storage is formatted once per data folder; the cluster id is shared by all nodes.
  if [ ! -f "$dir/data/meta.properties" ]; then
    [ -f "$KAFKA_DIR/cluster-id-$3" ] || kafka_java kafka.tools.StorageTool random-uuid > "$KAFKA_DIR/cluster-id-$3"
    kafka_java kafka.tools.StorageTool format --ignore-formatted -t "$(cat "$KAFKA_DIR/cluster-id-$3")" \
      -c "$dir/server.properties" >/dev/null || die "kafka storage format failed for $name"
  fi
  log "starting kafka $name on 127.0.0.1:$port"
  # setsid: the broker must outlive the shell (and CI step) that started it.
  setsid java -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -cp "$LIB_DIR/*" kafka.Kafka "$dir/server.properties" > "$dir/server.log" 2>&1 < /dev/null &
  echo $! > "$dir/kafka.pid"
}

wait_node() { # NAME CLIENT_PORT
  local dir; dir="$(node_dir "$1")"
  wait_until 90 "kafka $1 on 127.0.0.1:$2" "$dir/server.log" port_open "$2"
}

up_single() {
  ensure_runtime
  local bootstrap="127.0.0.1:$SINGLE_PORT"
  if ! pid_alive "$(node_dir "$SINGLE_NAME")/kafka.pid" && port_open "$SINGLE_PORT"; then
    answers "$bootstrap" || die "127.0.0.1:$SINGLE_PORT is taken by something that is not a Kafka broker"
    log "kafka already answers on $bootstrap: reusing it"
  else
    write_log_configs
    write_config "$SINGLE_NAME" 1 "$SINGLE_PORT" $((SINGLE_PORT + 1)) "1@127.0.0.1:$((SINGLE_PORT + 1))" 1 1
    start_node "$SINGLE_NAME" "$SINGLE_PORT" "$SINGLE_NAME"
    wait_node "$SINGLE_NAME" "$SINGLE_PORT"
    wait_until 60 "kafka metadata on $bootstrap" "$(node_dir "$SINGLE_NAME")/server.log" answers "$bootstrap"
  fi
  echo "KAFKA_BROKERS=$bootstrap"
}

cluster_voters() {
  local voters=() i
  for i in 0 1 2; do voters+=("$((i + 1))@127.0.0.1:${CLUSTER_CONTROLLER_PORTS[$i]}"); done
  local IFS=,
  echo "${voters[*]}"
}

cluster_bootstrap() {
  local IFS=,
  local nodes=()
  for port in "${CLUSTER_PORTS[@]}"; do nodes+=("127.0.0.1:$port"); done
  echo "${nodes[*]}"
}

# all three brokers registered: a topic with replication factor 3 can exist.
cluster_complete() {
  kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$(cluster_bootstrap)" --create \
    --if-not-exists --topic seatrush.services.probe --partitions 1 --replication-factor 3 >/dev/null 2>&1
}

configure_cluster_node() { # INDEX(0-2)
  write_config "$(cluster_node $(($1 + 1)))" $(($1 + 1)) "${CLUSTER_PORTS[$1]}" "${CLUSTER_CONTROLLER_PORTS[$1]}" \
    "$(cluster_voters)" 3 2
}

up_cluster() {
  ensure_runtime
  write_log_configs
  local i
  for i in 0 1 2; do
    configure_cluster_node "$i"
    start_node "$(cluster_node $((i + 1)))" "${CLUSTER_PORTS[$i]}" "$CLUSTER_NAME"
  done
  for i in 0 1 2; do wait_node "$(cluster_node $((i + 1)))" "${CLUSTER_PORTS[$i]}"; done
  wait_until 90 "the 3-broker kafka cluster" "$(node_dir "$(cluster_node 1)")/server.log" cluster_complete
  echo "KAFKA_CLUSTER_BROKERS=$(cluster_bootstrap)"
}

down() {
  if [ "${1:-single}" = single ]; then
    stop_pidfile "$(node_dir "$SINGLE_NAME")/kafka.pid" "kafka $SINGLE_NAME"
    rm -rf "$(node_dir "$SINGLE_NAME")" "$KAFKA_DIR/cluster-id-$SINGLE_NAME"
    return
  fi
  for i in 1 2 3; do stop_pidfile "$(node_dir "$(cluster_node "$i")")/kafka.pid" "kafka $(cluster_node "$i")"; done
  for i in 1 2 3; do rm -rf "$(node_dir "$(cluster_node "$i")")"; done
  rm -f "$KAFKA_DIR/cluster-id-$CLUSTER_NAME"
}

status() {
  if [ "${1:-single}" = single ]; then
    if port_open "$SINGLE_PORT"; then log "kafka 127.0.0.1:$SINGLE_PORT: up"; else log "kafka 127.0.0.1:$SINGLE_PORT: down"; return 1; fi
    return 0
  fi
  local ok=0
  for port in "${CLUSTER_PORTS[@]}"; do
    if port_open "$port"; then log "kafka cluster broker 127.0.0.1:$port: up"; else log "kafka cluster broker 127.0.0.1:$port: down"; ok=1; fi
  done
  return $ok
}

node_index() { # N (1-3) → 0-2
  [[ "${1:-}" =~ ^[123]$ ]] || die "cluster node must be 1, 2 or 3"
  echo $(($1 - 1))
}

case "${1:-status}" in
  up) if [ "${2:-single}" = cluster ]; then up_cluster; else up_single; fi ;;
  down) down "${2:-single}" ;;
  status) status "${2:-single}" ;;
  # Fault injection for the single broker: SIGKILL, as a crash would; `up` brings it back.
  kill)
    pidfile="$(node_dir "$SINGLE_NAME")/kafka.pid"
    pid_alive "$pidfile" && kill -9 "$(cat "$pidfile")" && rm -f "$pidfile"
    log "killed kafka $SINGLE_NAME"
    ;;
  # Fault injection for the cluster: SIGKILL, as a crash would; start-node brings it back.
  kill-node)
    i="$(node_index "${2:-}")"
    pidfile="$(node_dir "$(cluster_node $((i + 1)))")/kafka.pid"
    pid_alive "$pidfile" && kill -9 "$(cat "$pidfile")" && rm -f "$pidfile"
    log "killed kafka $(cluster_node $((i + 1)))"
    ;;
  start-node)
    i="$(node_index "${2:-}")"
    ensure_runtime
    start_node "$(cluster_node $((i + 1)))" "${CLUSTER_PORTS[$i]}" "$CLUSTER_NAME"
    wait_node "$(cluster_node $((i + 1)))" "${CLUSTER_PORTS[$i]}"
    ;;
  *) die "usage: kafka.sh up|down|status [single|cluster] | kill | kill-node N | start-node N" ;;
esac
