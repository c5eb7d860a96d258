#!/usr/bin/env bash
# Native local stack: Kafka (KRaft, from Maven Central), ClickHouse (Debian package) and Redis.
# Usage: stack.sh up | down | status
#
# Idempotent: `up` starts only what does not already answer at its address; `down` stops only
# what this script started (tracked by pid files). Data and logs live under $STACK_DIR
# (default <repo>/.local, gitignored). No Docker engine is needed or used.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="$REPO_DIR/deploy/local"
STACK_DIR="${STACK_DIR:-$REPO_DIR/.local}"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
CLICKHOUSE_HTTP_PORT="${CLICKHOUSE_HTTP_PORT:-8123}"
CLICKHOUSE_TCP_PORT="${CLICKHOUSE_TCP_PORT:-9000}"
REDIS_PORT="${REDIS_PORT:-6379}"
KAFKA_HEAP="${KAFKA_HEAP:--Xms512m -Xmx1g}"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name, seconds, command...
  local name=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 4))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  die "$name did not become ready within ${secs}s (logs under $STACK_DIR/$name/log)"
}

# The pid file names a live process that is still the one we started (not a pid reused since a
# reboot): its command line must mention the program.
pid_alive() { # pidfile, [program]
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null || return 1
  [ -z "${2:-}" ] || tr '\0' ' ' 2>/dev/null < "/proc/$(cat "$1")/cmdline" | grep -q -- "$2"
}

# GET /ping over bash's /dev/tcp: curl is not on every minimal Debian machine.
clickhouse_ping() {
  (exec 3<>"/dev/tcp/127.0.0.1/$CLICKHOUSE_HTTP_PORT" && printf 'GET /ping HTTP/1.0\r\n\r\n' >&3 && head -n1 <&3 | grep -q ' 200 ') 2>/dev/null
}

PROGRAM_kafka=kafka.Kafka
PROGRAM_clickhouse=clickhouse-server
PROGRAM_redis=redis-server
program_of() { local v="PROGRAM_$1"; printf '%s' "${!v}"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

apt_install() { # packages...
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your package manager, or run 'docker compose up -d kafka clickhouse redis' where Docker is available"
  log "installing $* with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 || {
    as_root apt-get update -qq >/dev/null 2>&1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  } || die "could not install $* with apt-get"
}

# Debian's clickhouse-server and redis-server packages start their own service on install where an
# init system runs, on the ports this stack uses and with other settings (no UTC server zone, data
# under /var/lib): the stack would then find it answering and use it. Stop it and keep it off.
stop_distro_service() { # service
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    as_root systemctl disable --now "$1" >/dev/null 2>&1 || true
  elif command -v service >/dev/null; then
    as_root service "$1" stop >/dev/null 2>&1 || true
  fi
}

# ---------- Kafka ----------
kafka_jars() {
  local jars="$STACK_DIR/kafka/jars"
  if [ ! -f "$jars/.complete" ]; then
    command -v java >/dev/null || die "java not found: install a JDK 17 (apt-get install openjdk-17-jre-headless)"
    command -v mvn >/dev/null || apt_install maven
    log "fetching the Kafka broker from Maven Central (cached in ~/.m2 after the first run)"
    rm -rf "$jars"; mkdir -p "$jars"
    mvn -q -f "$LOCAL_DIR/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$jars" >&2
    touch "$jars/.complete"
  fi
  printf '%s' "$jars"
}

kafka_up() {
  if port_open "$KAFKA_PORT"; then log "kafka already answers on 127.0.0.1:$KAFKA_PORT"; return; fi
  local dir="$STACK_DIR/kafka" jars
  # Started by an earlier run that was interrupted while it waited: wait again, never start a second.
  if pid_alive "$dir/pid" kafka.Kafka; then log "kafka is still starting (pid $(cat "$dir/pid"))"; wait_for kafka 90 port_open "$KAFKA_PORT"; return; fi
  jars=$(kafka_jars)
  mkdir -p "$dir/log" "$dir/data"
  sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
    "$LOCAL_DIR/kafka/server.properties" > "$dir/server.properties"
  if [ ! -f "$dir/data/meta.properties" ]; then
    java -cp "$jars/*" kafka.tools.StorageTool format -t "$(java -cp "$jars/*" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
      -c "$dir/server.properties" >"$dir/log/format.log" 2>&1 || die "kafka storage format failed: $dir/log/format.log"
  fi
  log "starting kafka on 127.0.0.1:$KAFKA_PORT"
  # setsid: the broker must outlive the shell (and the Ctrl-C of `npm start`) that started it.
  KAFKA_LOG4J_OPTS="-Dlog4j.configuration=file:$LOCAL_DIR/kafka/log4j.properties" \
  setsid nohup java $KAFKA_HEAP -XX:+UseG1GC -Dkafka.logs.dir="$dir/log" \
    -Dlog4j.configuration="file:$LOCAL_DIR/kafka/log4j.properties" \
    -cp "$jars/*" kafka.Kafka "$dir/server.properties" >"$dir/log/stdout.log" 2>&1 < /dev/null &
  echo $! > "$dir/pid"
  wait_for kafka 90 port_open "$KAFKA_PORT"
}

# ---------- ClickHouse ----------
clickhouse_up() {
  if clickhouse_ping; then
    log "clickhouse already answers on 127.0.0.1:$CLICKHOUSE_HTTP_PORT"; return
  fi
  local dir="$STACK_DIR/clickhouse"
  if pid_alive "$dir/pid" clickhouse-server; then log "clickhouse is still starting (pid $(cat "$dir/pid"))"; wait_for clickhouse 60 clickhouse_ping; return; fi
  command -v clickhouse-server >/dev/null || { apt_install clickhouse-server; stop_distro_service clickhouse-server; }
  mkdir -p "$dir/log" "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
  sed -e "s#@DIR@#$dir#g" -e "s#@HTTP_PORT@#$CLICKHOUSE_HTTP_PORT#g" -e "s#@TCP_PORT@#$CLICKHOUSE_TCP_PORT#g" \
    "$LOCAL_DIR/clickhouse/config.xml" > "$dir/config.xml"
  sed -e "s#@MAX_THREADS@#$(nproc)#g" "$LOCAL_DIR/clickhouse/users.xml" > "$dir/users.xml"
  log "starting clickhouse on 127.0.0.1:$CLICKHOUSE_HTTP_PORT"
  setsid nohup clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 < /dev/null &
  echo $! > "$dir/pid"
  wait_for clickhouse 60 clickhouse_ping
}

# ---------- Redis ----------
redis_up() {
  if port_open "$REDIS_PORT"; then log "redis already answers on 127.0.0.1:$REDIS_PORT"; return; fi
  command -v redis-server >/dev/null || { apt_install redis-server; stop_distro_service redis-server; }
  local dir="$STACK_DIR/redis"
  mkdir -p "$dir"
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/pid" >/dev/null
  wait_for redis 20 port_open "$REDIS_PORT"
}

stop_one() { # name
  local pidfile="$STACK_DIR/$1/pid"
  if pid_alive "$pidfile" "$(program_of "$1")"; then
    local pid; pid=$(cat "$pidfile")
    log "stopping $1 (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

status_one() { # name, port
  local owner="external"
  pid_alive "$STACK_DIR/$1/pid" "$(program_of "$1")" && owner="started by stack.sh, pid $(cat "$STACK_DIR/$1/pid")"
  if port_open "$2"; then printf '%-11s up    127.0.0.1:%s (%s)\n' "$1" "$2" "$owner"
  else printf '%-11s down  127.0.0.1:%s\n' "$1" "$2"; fi
}

case "${1:-status}" in
  up)
    mkdir -p "$STACK_DIR"
    redis_up
    clickhouse_up
    kafka_up
    ;;
  down)
    stop_one kafka
    stop_one clickhouse
    stop_one redis
    ;;
  status)
    status_one kafka "$KAFKA_PORT"
    status_one clickhouse "$CLICKHOUSE_HTTP_PORT"
    status_one redis "$REDIS_PORT"
    ;;
  # Used by fault tests that run a broker of their own: prints the folder of Kafka jars.
  kafka-jars) mkdir -p "$STACK_DIR"; kafka_jars ;;
  *) die "usage: stack.sh up|down|status" ;;
esac
