#!/usr/bin/env bash
# PostgreSQL for SeatRush's tests: `postgres.sh up|down|status`.
# Reuses a server already answering on 127.0.0.1:5432 as user postgres (creating database `test`
# if missing); otherwise creates a project-local cluster in .services/postgres (trust auth,
# loopback only), installing Debian's postgresql if needed. Prints DATABASE_URL=...
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT="${SEATRUSH_PG_PORT:-5432}"
DATA="$SERVICES_DIR/postgres/data"
LOGFILE="$SERVICES_DIR/postgres/postgres.log"

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
can_query() { psql -h 127.0.0.1 -p "$PORT" -U postgres -d "$1" -Atqc 'select 1' >/dev/null 2>&1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

ensure_binaries() {
  if [ -z "$(pg_bindir)" ] || ! command -v psql >/dev/null 2>&1; then apt_install postgresql postgresql-client; fi
}

start_own_cluster() {
  local bin; bin="$(pg_bindir)"
  mkdir -p "$SERVICES_DIR/postgres"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    log "initialising a project-local PostgreSQL cluster in $DATA"
    mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$SERVICES_DIR/postgres"
    as_postgres "$bin/initdb" -D "$DATA" -U postgres -A trust -E UTF8 >&2
  fi
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$SERVICES_DIR/postgres"
  log "starting PostgreSQL on 127.0.0.1:$PORT"
  as_postgres "$bin/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$SERVICES_DIR/postgres -c max_connections=300" start >&2 \
    || { tail -n 30 "$LOGFILE" >&2; die "PostgreSQL did not start"; }
  wait_until 60 "PostgreSQL on 127.0.0.1:$PORT" "$LOGFILE" can_query postgres
}

up() {
  ensure_binaries
  if can_query postgres || can_query test; then
    log "PostgreSQL already answers on 127.0.0.1:$PORT: reusing it"
  else
    start_own_cluster
  fi
  if ! can_query test; then
    log "creating database test"
    psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc 'create database test' >&2
  fi
  echo "DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/test"
}

down() {
  if [ -f "$DATA/postmaster.pid" ]; then
    log "stopping the project-local PostgreSQL"
    as_postgres "$(pg_bindir)/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
  fi
}

status() {
  if can_query test; then log "postgres 127.0.0.1:$PORT (database test): up"; else log "postgres 127.0.0.1:$PORT: down"; return 1; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: postgres.sh up|down|status" ;;
esac
