#!/usr/bin/env bash
# Run a real single-node Apache Kafka 4.x (KRaft: one process is broker and
# controller) on 127.0.0.1 without Docker.
#
# The runtime jars come from Maven Central (kafka/pom.xml); configuration lives
# in kafka/conf/; everything the broker writes (jars, data, logs, pid file)
# goes to <repo>/.kafka/.
#
# Usage: scripts/kafka.sh COMMAND
#   start    fetch the jars if needed, format the log directory on the first
#            start only, start the broker in the background and wait until it
#            answers (idempotent: a running broker is reused)
#   stop     stop the broker (SIGTERM: a clean shutdown; SIGKILL after
#            KAFKA_STOP_TIMEOUT)
#   kill     SIGKILL the broker at once (a crash, for fault tests); the next
#            start recovers its log
#   status   print running/stopped; exit 0 if running, 3 if stopped
#   wait     wait until the running broker answers (exit 1 on timeout/death)
#   check    one ApiVersions and one Metadata round trip, spoken over bash's
#            /dev/tcp (no client library, no JVM): prints the broker id
#   reset    stop the broker and delete its data (.kafka/data)
#   deps     only fetch the jars into .kafka/lib
#   logs [N] print the last N (default 100) lines of the broker's server.log
#
# Environment:
#   KAFKA_JAVA_HOME        JDK to run the broker (default: JDK 17 at
#                          /usr/lib/jvm/java-17-openjdk-amd64); 17 or newer
#   KAFKA_PORT             PLAINTEXT (client) port (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default 9093)
#                          (the ports are read by "start"; the other commands
#                          use those of the last start, kept in
#                          .kafka/conf/ports, unless set explicitly)
#   KAFKA_HEAP             heap size for -Xms/-Xmx (default 512m)
#   KAFKA_WAIT_TIMEOUT     seconds "start"/"wait" wait for an answer (default 120)
#   KAFKA_STOP_TIMEOUT     seconds "stop" waits before SIGKILL (default 30)
#   KAFKA_JVM_OPTS         extra JVM flags, appended (word-split on spaces)
#   KAFKA_MVN              maven executable (default mvn)
#   KAFKA_STATE_DIR        where the broker keeps data, logs, conf and its pid
#                          file (default <repo>/.kafka); another directory and
#                          other ports run a second, independent broker
set -euo pipefail

readonly SERVICE=kafka
readonly DAEMON_CLASS=kafka.Kafka
readonly HOST=127.0.0.1

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
readonly SCRIPT_DIR ROOT
readonly SRC_DIR="$ROOT/kafka"
readonly POM="$SRC_DIR/pom.xml"
readonly MAIN_JAR_GLOB='kafka_2.13-*.jar'
STATE_DIR="${KAFKA_STATE_DIR:-$ROOT/.kafka}"
mkdir -p "$STATE_DIR"
STATE_DIR=$(cd -- "$STATE_DIR" && pwd -P)
readonly STATE_DIR
# The jars stay shared: a second broker (own KAFKA_STATE_DIR) needs no second download.
readonly LIB_DIR="$ROOT/.kafka/lib"
readonly CONF_DIR="$STATE_DIR/conf"
readonly DATA_DIR="$STATE_DIR/data"
readonly LOG_DIR="$STATE_DIR/logs"
readonly TMP_DIR="$STATE_DIR/tmp"
readonly PID_FILE="$STATE_DIR/kafka.pid"
readonly SERVER_LOG="$LOG_DIR/server.log"
readonly STDOUT_LOG="$LOG_DIR/stdout.log"
readonly PORTS_FILE="$CONF_DIR/ports"

PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
HEAP=${KAFKA_HEAP:-512m}
WAIT_TIMEOUT=${KAFKA_WAIT_TIMEOUT:-120}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
MVN=${KAFKA_MVN:-mvn}
readonly HEAP WAIT_TIMEOUT STOP_TIMEOUT MVN
readonly DISPLAY_NAME=Kafka PROTOCOL="Kafka requests" JAVA_HOME_ENV=KAFKA_JAVA_HOME
readonly PORT_VARS=(port:PORT:KAFKA_PORT controller:CONTROLLER_PORT:KAFKA_CONTROLLER_PORT)
readonly LOG_FILES=("$STDOUT_LOG" "$SERVER_LOG")
readonly READY_LOG=$SERVER_LOG READY_PATTERN='Kafka Server started' WAIT_POLL=0.25

# shellcheck source=lib/jvm-service.sh
source "$SCRIPT_DIR/lib/jvm-service.sh"

validate_env() {
  local name value
  for name in PORT CONTROLLER_PORT WAIT_TIMEOUT STOP_TIMEOUT; do
    value=${!name}
    is_uint "$value" || die "KAFKA_$name must be a number, got '$value'"
  done
  [[ $PORT != "$CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ (both $PORT)"
  [[ $HEAP =~ ^[0-9]+[kKmMgG]$ ]] || die "KAFKA_HEAP must look like 512m or 1g, got '$HEAP'"
}

# ----------------------------------------------------------------- config ---

write_config() {
  mkdir -p "$CONF_DIR"
  sed -e "s/@PLAINTEXT_PORT@/$PORT/g" -e "s/@CONTROLLER_PORT@/$CONTROLLER_PORT/g" \
    -e "s#@DATA_DIR@#$DATA_DIR#g" "$SRC_DIR/conf/server.properties" >"$CONF_DIR/server.properties.tmp"
  mv "$CONF_DIR/server.properties.tmp" "$CONF_DIR/server.properties"
}

# Kafka's own tools (StorageTool) with the broker's classpath; their log4j
# output (WARN and above only) goes to stderr.
kafka_tool() {
  local java_home=$1
  shift
  "$java_home/bin/java" -Xmx256m -XX:+UseSerialGC -XX:+PerfDisableSharedMem \
    "-Dlog4j2.configurationFile=$SRC_DIR/conf/log4j2-tools.xml" "-Djava.io.tmpdir=$TMP_DIR" \
    -cp "$LIB_DIR/*" "$@"
}

# KRaft needs a formatted log directory (meta.properties with a cluster id and
# the bootstrap metadata). Formatting again would refuse (or, forced, wipe the
# cluster), so it happens once: a restart keeps topics, offsets and groups.
ensure_formatted() {
  local java_home=$1 cluster_id
  [[ -f $DATA_DIR/meta.properties ]] && return 0
  mkdir -p "$DATA_DIR"
  cluster_id=$(kafka_tool "$java_home" kafka.tools.StorageTool random-uuid) ||
    die "StorageTool random-uuid failed"
  log "formatting $DATA_DIR (cluster id $cluster_id)"
  kafka_tool "$java_home" kafka.tools.StorageTool format --ignore-formatted \
    -t "$cluster_id" -c "$CONF_DIR/server.properties" >"$LOG_DIR/format.log" 2>&1 || {
    cat "$LOG_DIR/format.log" >&2
    die "could not format $DATA_DIR"
  }
}

# ------------------------------------------------------ Kafka over bash ---
# Just enough of the Kafka protocol (size-prefixed frames, request header v1)
# to prove that the broker serves requests: ApiVersions v0 and Metadata v1.

readonly PROBE_CLIENT_ID=kafka.sh

# kafka_send API_KEY API_VERSION CORRELATION_ID BODY_HEX: one request to fd 3.
kafka_send() {
  local header body=$4
  header=$(printf '%04x%04x%08x%04x' "$1" "$2" "$3" "${#PROBE_CLIENT_ID}")
  header+=$(printf '%s' "$PROBE_CLIENT_ID" | to_hex)
  hex_to_bytes "$(printf '%08x' $(((${#header} + ${#body}) / 2)))$header$body" >&3
}

# Reads one response from fd 3 into RESPONSE (hex, after the correlation id)
# and checks that the correlation id is $1.
RESPONSE=
kafka_read() {
  local size frame
  size=$(read_bytes_hex 4) || return 1
  size=$((16#$size))
  ((size >= 4 && size < 1048576)) || return 1
  frame=$(read_bytes_hex "$size") || return 1
  (($((16#${frame:0:8})) == $1)) || return 1
  RESPONSE=${frame:8}
}

# Prints "broker N" (the first broker the Metadata response lists).
service_probe() (
  local error brokers
  exec 3<>"/dev/tcp/$HOST/$PORT" 2>/dev/null || {
    echo "port $PORT is closed"
    return 1
  }
  kafka_send 18 0 1 ''
  kafka_read 1 || { echo "no answer to ApiVersions"; return 1; }
  error=$((16#${RESPONSE:0:4}))
  ((error == 0)) || { echo "ApiVersions error code $error"; return 1; }
  # Metadata v1 with an empty topic list: only the brokers and the controller.
  kafka_send 3 1 2 '00000000'
  kafka_read 2 || { echo "no answer to Metadata"; return 1; }
  brokers=$((16#${RESPONSE:0:8}))
  ((brokers >= 1)) || { echo "the broker lists no registered broker yet"; return 1; }
  printf 'broker %s\n' "$((16#${RESPONSE:8:8}))"
)

# --------------------------------------------------------------- commands ---

cmd_start() {
  local java_home major pid port
  local -a jvm_opts=()
  if already_running; then return 0; fi

  java_home=$(find_java_home)
  major=$(java_major "$java_home")
  is_uint "$major" && ((major >= 17)) ||
    die "Kafka 4 brokers need JDK 17 or newer; $java_home is JDK '$major' (set KAFKA_JAVA_HOME)"

  require_free_ports "$PORT" "$CONTROLLER_PORT"

  mkdir -p "$LOG_DIR" "$TMP_DIR"
  ensure_lib "$java_home"
  write_config
  save_ports
  ensure_formatted "$java_home"
  rotate_log "$SERVER_LOG"
  rotate_log "$STDOUT_LOG"

  # The JVM flags of Kafka's own bin/kafka-run-class.sh, with a small heap.
  jvm_opts=(
    "-Xms$HEAP" "-Xmx$HEAP"
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -XX:+PerfDisableSharedMem
    "-XX:ErrorFile=$LOG_DIR/hs_err_pid%p.log"
    -Djava.awt.headless=true
    "-Djava.io.tmpdir=$TMP_DIR"
    "-Dkafka.logs.dir=$LOG_DIR"
    "-Dlog4j2.configurationFile=$SRC_DIR/conf/log4j2.xml"
  )
  if [[ -n ${KAFKA_JVM_OPTS:-} ]]; then
    local -a extra
    read -r -a extra <<<"$KAFKA_JVM_OPTS"
    jvm_opts+=("${extra[@]}")
  fi

  log "starting Kafka $(jar_version) on $HOST:$PORT, controller $CONTROLLER_PORT (JDK $major, heap $HEAP, logs in $LOG_DIR)"
  # setsid: the broker outlives the shell (and the process group) that started
  # it; in a non-interactive shell setsid execs in place, so $! is java's pid.
  (
    cd "$STATE_DIR"
    exec setsid nohup "$java_home/bin/java" "${jvm_opts[@]}" -cp "$LIB_DIR/*" \
      "$DAEMON_CLASS" "$CONF_DIR/server.properties" </dev/null >"$STDOUT_LOG" 2>&1 9>&-
  ) &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  wait_for_exec "$pid"
  cmd_wait
}

run_command "$@"
