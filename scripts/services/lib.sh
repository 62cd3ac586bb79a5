# Shared helpers for the service scripts (sourced). Logs go to stderr; stdout carries only the
# KEY=value lines callers evaluate.
SEATRUSH_ROOT="${SEATRUSH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SERVICES_DIR="$SEATRUSH_ROOT/.services"
mkdir -p "$SERVICES_DIR"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

# apt_install PKG... — installs Debian packages once, only when a command is missing.
apt_updated=""
apt_install() {
  [ "$(id -u)" = 0 ] || die "need root to install $* (apt-get); install them and run again"
  command -v apt-get >/dev/null 2>&1 || die "no apt-get: install $* yourself and run again"
  if [ -z "$apt_updated" ]; then apt-get update -qq >&2 || die "apt-get update failed"; apt_updated=1; fi
  log "installing $* (Debian packages)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
}

# wait_until SECONDS DESCRIPTION LOGFILE CMD... — polls CMD until it succeeds; on timeout prints the
# log's tail and fails, so a server that never comes up says why.
wait_until() {
  local seconds="$1" what="$2" logfile="$3"; shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "$what did not answer within ${seconds}s"
      if [ -n "$logfile" ] && [ -f "$logfile" ]; then log "last lines of $logfile:"; tail -n 30 "$logfile" >&2; fi
      exit 1
    fi
    sleep 0.5
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pidfile PIDFILE NAME — SIGTERM, wait up to 20 s, then SIGKILL; only for what we started.
stop_pidfile() {
  local pidfile="$1" name="$2"
  if ! pid_alive "$pidfile"; then rm -f "$pidfile"; return 0; fi
  local pid; pid="$(cat "$pidfile")"
  log "stopping $name (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}
