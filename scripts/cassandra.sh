#!/usr/bin/env bash
# Run a real single-node Apache Cassandra 5.0 on 127.0.0.1 without Docker.
#
# The runtime jars come from Maven Central (cassandra/pom.xml); configuration
# lives in cassandra/conf/; everything the node writes (jars, data, logs, pid
# file, temp files) goes to <repo>/.cassandra/.
#
# Usage: scripts/cassandra.sh COMMAND
#   start    fetch the jars if needed, start the node in the background and
#            wait until it answers CQL (idempotent: a running node is reused)
#   stop     stop the node this script started (SIGTERM, then SIGKILL)
#   status   print running/stopped; exit 0 if running, 3 if stopped
#   wait     wait until the running node answers CQL (exit 1 on timeout/death)
#   check    one CQL round trip (OPTIONS, STARTUP, SELECT release_version)
#            spoken over bash's /dev/tcp: no cqlsh, no driver
#   reset    stop the node and delete its data (.cassandra/data)
#   deps     only fetch the jars into .cassandra/lib
#   logs [N] print the last N (default 100) lines of the node's system.log
#   nodetool ARGS...  run Cassandra's nodetool against the node (local JMX)
#
# Environment:
#   CASSANDRA_JAVA_HOME     JDK to run Cassandra (default: JDK 17 at
#                           /usr/lib/jvm/java-17-openjdk-amd64); must be 11 or 17
#   CASSANDRA_PORT          CQL native port (default 9042)
#   CASSANDRA_STORAGE_PORT  internode port (default 7000)
#   CASSANDRA_JMX_PORT      local-only JMX port (default 7199; "off" disables)
#                           (the ports are read by "start"; the other commands
#                           use those of the last start, kept in
#                           .cassandra/conf/ports, unless set explicitly)
#   CASSANDRA_HEAP          heap size for -Xms/-Xmx (default 1g)
#   CASSANDRA_WAIT_TIMEOUT  seconds "start"/"wait" wait for CQL (default 180)
#   CASSANDRA_STOP_TIMEOUT  seconds "stop" waits before SIGKILL (default 60)
#   CASSANDRA_JVM_OPTS      extra JVM flags, appended (word-split on spaces)
#   CASSANDRA_MVN           maven executable (default mvn)
#   CASSANDRA_MLOCK         1 lets Cassandra mlockall() its memory (default: it
#                           is prevented, so the heap is not all resident at once)
#   CASSANDRA_STATE_DIR     where the node keeps data, logs, conf and its pid file
#                           (default <repo>/.cassandra); another directory and
#                           other ports run a second, independent node
set -euo pipefail

readonly DAEMON_CLASS=org.apache.cassandra.service.CassandraDaemon
readonly HOST=127.0.0.1

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
readonly SCRIPT_DIR ROOT
readonly SRC_DIR="$ROOT/cassandra"
readonly POM="$SRC_DIR/pom.xml"
readonly STATE_DIR="${CASSANDRA_STATE_DIR:-$ROOT/.cassandra}"
# The jars stay shared: a second node (own CASSANDRA_STATE_DIR) needs no second download.
readonly LIB_DIR="$ROOT/.cassandra/lib"
readonly CONF_DIR="$STATE_DIR/conf"
readonly DATA_DIR="$STATE_DIR/data"
readonly LOG_DIR="$STATE_DIR/logs"
readonly TMP_DIR="$STATE_DIR/tmp"
readonly PID_FILE="$STATE_DIR/cassandra.pid"
readonly SYSTEM_LOG="$LOG_DIR/system.log"
readonly STDOUT_LOG="$LOG_DIR/stdout.log"

CQL_PORT=${CASSANDRA_PORT:-9042}
STORAGE_PORT=${CASSANDRA_STORAGE_PORT:-7000}
JMX_PORT=${CASSANDRA_JMX_PORT:-7199}
HEAP=${CASSANDRA_HEAP:-1g}
WAIT_TIMEOUT=${CASSANDRA_WAIT_TIMEOUT:-180}
STOP_TIMEOUT=${CASSANDRA_STOP_TIMEOUT:-60}
MVN=${CASSANDRA_MVN:-mvn}
readonly HEAP WAIT_TIMEOUT STOP_TIMEOUT MVN
readonly PORTS_FILE="$CONF_DIR/ports"

log() { printf 'cassandra: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

validate_env() {
  local name value
  for name in CQL_PORT STORAGE_PORT WAIT_TIMEOUT STOP_TIMEOUT; do
    value=${!name}
    is_uint "$value" || die "$name must be a number, got '$value'"
  done
  if [[ $JMX_PORT != off ]] && ! is_uint "$JMX_PORT"; then
    die "CASSANDRA_JMX_PORT must be a number or 'off', got '$JMX_PORT'"
  fi
  [[ $HEAP =~ ^[0-9]+[kKmMgG]$ ]] || die "CASSANDRA_HEAP must look like 1g or 768m, got '$HEAP'"
}

# ---------------------------------------------------------------- process ---

# Prints the pid from the pid file if it is a live Cassandra started from this
# repository (guards against a stale pid file whose pid was reused).
running_pid() {
  local pid cmdline state
  [[ -f $PID_FILE ]] || return 1
  pid=$(<"$PID_FILE")
  is_uint "$pid" || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $state != Z ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$DAEMON_CLASS"* && $cmdline == *"$STATE_DIR"* ]] || return 1
  printf '%s\n' "$pid"
}

pid_alive() {
  local state
  [[ -r /proc/$1/stat ]] || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# True if this shell holds CAP_IPC_LOCK (bit 14), e.g. when running as root.
has_ipc_lock_cap() {
  local caps
  caps=$(awk '/^CapEff:/ {print $2}' /proc/self/status 2>/dev/null) || return 1
  [[ -n $caps ]] && (((16#$caps >> 14) & 1))
}

tcp_open() {
  # Opening /dev/tcp in a subshell: the descriptor dies with it.
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# The ports of the node that "start" launched are kept in .cassandra/conf/ports
# so that wait/status/check/nodetool reach it without repeating the variables.
save_ports() {
  printf 'cql=%s\nstorage=%s\njmx=%s\n' "$CQL_PORT" "$STORAGE_PORT" "$JMX_PORT" >"$PORTS_FILE"
}

# load_ports [force]: without "force", explicitly set variables win.
load_ports() {
  local key value force=${1:-}
  [[ -f $PORTS_FILE ]] || return 0
  while IFS='=' read -r key value; do
    case $key in
      cql) if [[ -n $force || -z ${CASSANDRA_PORT:-} ]]; then CQL_PORT=$value; fi ;;
      storage) if [[ -n $force || -z ${CASSANDRA_STORAGE_PORT:-} ]]; then STORAGE_PORT=$value; fi ;;
      jmx) if [[ -n $force || -z ${CASSANDRA_JMX_PORT:-} ]]; then JMX_PORT=$value; fi ;;
      *) ;;
    esac
  done <"$PORTS_FILE"
  return 0
}

# Serialises start/stop/reset (e.g. two test files starting the node at once):
# the lock is held on fd 9 until this script exits.
take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/.lock"
  if ! flock -n 9; then
    log "waiting for another scripts/cassandra.sh start/stop to finish"
    flock -w "$((WAIT_TIMEOUT + STOP_TIMEOUT + 600))" 9 || die "could not take $STATE_DIR/.lock"
  fi
}

# ------------------------------------------------------------------- java ---

find_java_home() {
  local home=${CASSANDRA_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
  [[ -x $home/bin/java ]] ||
    die "no JDK at $home (set CASSANDRA_JAVA_HOME to a JDK 17, e.g. apt-get install openjdk-17-jdk-headless)"
  printf '%s\n' "$home"
}

java_major() {
  local home=$1 version
  if [[ -f $home/release ]]; then
    version=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release")
  fi
  if [[ -z ${version:-} ]]; then
    version=$("$home/bin/java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
  fi
  version=${version#1.}
  printf '%s\n' "${version%%[.+-]*}"
}

# ------------------------------------------------------------------- jars ---

ensure_lib() {
  local java_home=$1 stamp="$LIB_DIR/.pom.sha256" want
  want=$(sha256sum "$POM" | cut -d ' ' -f 1)
  if [[ -f $stamp && $(<"$stamp") == "$want" ]] &&
    compgen -G "$LIB_DIR/cassandra-all-*.jar" >/dev/null; then
    return 0
  fi
  command -v "$MVN" >/dev/null || die "'$MVN' not found: Maven is needed to fetch Cassandra's jars (apt-get install maven)"
  log "fetching Cassandra jars with Maven into $LIB_DIR (cached in ~/.m2 afterwards)"
  rm -rf "$LIB_DIR.partial"
  mkdir -p "$LOG_DIR"
  if ! JAVA_HOME=$java_home MAVEN_OPTS="${MAVEN_OPTS:-} -XX:+PerfDisableSharedMem" "$MVN" -B -q -f "$POM" dependency:copy-dependencies \
    -DoutputDirectory="$LIB_DIR.partial" -DincludeScope=runtime >"$LOG_DIR/mvn.log" 2>&1; then
    rm -rf "$LIB_DIR.partial"
    tail -n 40 "$LOG_DIR/mvn.log" >&2
    die "Maven could not resolve $POM (full output: $LOG_DIR/mvn.log)"
  fi
  rm -rf "$LIB_DIR"
  mv "$LIB_DIR.partial" "$LIB_DIR"
  printf '%s\n' "$want" >"$stamp"
}

cassandra_version() {
  local jar
  jar=$(compgen -G "$LIB_DIR/cassandra-all-*.jar" | head -n 1) || return 1
  jar=${jar##*/cassandra-all-}
  printf '%s\n' "${jar%.jar}"
}

# ----------------------------------------------------------------- config ---

write_config() {
  mkdir -p "$CONF_DIR"
  sed -e "s/^native_transport_port:.*/native_transport_port: $CQL_PORT/" \
    -e "s/^storage_port:.*/storage_port: $STORAGE_PORT/" \
    -e "s/\( seeds: \"127\.0\.0\.1\):[0-9]*\"/\1:$STORAGE_PORT\"/" \
    "$SRC_DIR/conf/cassandra.yaml" >"$CONF_DIR/cassandra.yaml.tmp"
  mv "$CONF_DIR/cassandra.yaml.tmp" "$CONF_DIR/cassandra.yaml"
  cp "$SRC_DIR/conf/logback.xml" "$CONF_DIR/logback.xml"
}

# Keeps one previous copy of a log so that each start reads only its own lines.
rotate_log() {
  if [[ -f $1 ]]; then mv -f "$1" "$1.1"; fi
}

# ---------------------------------------------------------- CQL over bash ---
# A minimal CQL native protocol v4 client (frames: 9-byte header + body),
# enough to prove the server answers queries.

to_hex() { od -An -v -tx1 | tr -d ' \n'; }

hex_to_bytes() {
  local hex=$1 escaped='' i
  for ((i = 0; i < ${#hex}; i += 2)); do escaped+="\\x${hex:i:2}"; done
  printf '%b' "$escaped"
}

cql_string_hex() { printf '%04x' "${#1}"; printf '%s' "$1" | to_hex; }
cql_long_string_hex() { printf '%08x' "${#1}"; printf '%s' "$1" | to_hex; }

# cql_send STREAM OPCODE BODY_HEX: writes one request frame to fd 3.
cql_send() {
  local body=$3
  hex_to_bytes "$(printf '0400%04x%02x%08x' "$1" "$2" $((${#body} / 2)))$body" >&3
}

# Reads one frame from fd 3 into FRAME_OPCODE (number) and FRAME_BODY (hex).
FRAME_OPCODE=-1
FRAME_BODY=
cql_read() {
  local header length
  header=$(timeout 10 dd bs=1 count=9 status=none <&3 | to_hex) || return 1
  [[ ${#header} -eq 18 ]] || return 1
  FRAME_OPCODE=$((16#${header:8:2}))
  length=$((16#${header:10:8}))
  FRAME_BODY=
  if ((length > 0)); then
    FRAME_BODY=$(timeout 10 dd bs=1 count="$length" status=none <&3 | to_hex) || return 1
    [[ ${#FRAME_BODY} -eq $((length * 2)) ]] || return 1
  fi
}

# Readers of FRAME_BODY at hex offset P (they advance P; read_int sets INT).
P=0
INT=0
read_int() { INT=$((16#${FRAME_BODY:P:8})); P=$((P + 8)); }
skip_string() { P=$((P + 4 + 2 * 16#${FRAME_BODY:P:4})); }

cql_error_message() {
  local code len
  code=$(printf '0x%s' "${FRAME_BODY:0:8}")
  len=$((16#${FRAME_BODY:8:4}))
  printf 'server error %s: %s' "$code" "$(hex_to_bytes "${FRAME_BODY:12:len*2}")"
}

# Prints the text value of the first column of the first row of a RESULT frame.
cql_first_text_cell() {
  local flags columns i type len
  P=0
  read_int
  ((INT == 2)) || return 1 # kind: Rows
  read_int
  flags=$INT
  read_int
  columns=$INT
  if ((flags & 2)); then # has_more_pages: <paging_state> [bytes]
    read_int
    P=$((P + 2 * INT))
  fi
  if ((!(flags & 4))); then # metadata present
    if ((flags & 1)); then skip_string; skip_string; fi
    for ((i = 0; i < columns; i++)); do
      if ((!(flags & 1))); then skip_string; skip_string; fi
      skip_string
      type=$((16#${FRAME_BODY:P:4}))
      P=$((P + 4))
      # only simple types are expected here (release_version is varchar)
      ((type != 0 && type < 0x20)) || return 1
    done
  fi
  read_int
  ((INT >= 1)) || return 1 # row count
  read_int
  len=$INT
  ((len < 256)) || return 1
  hex_to_bytes "${FRAME_BODY:P:len*2}"
}

# One CQL round trip; prints the server's release_version. Runs in a subshell
# so that fd 3 is closed whatever happens.
cql_probe() (
  local query='SELECT release_version FROM system.local' version
  exec 3<>"/dev/tcp/$HOST/$CQL_PORT" 2>/dev/null || {
    echo "CQL port $CQL_PORT is closed"
    return 1
  }
  # OPTIONS -> SUPPORTED
  cql_send 0 5 ''
  cql_read || { echo "no answer to OPTIONS"; return 1; }
  ((FRAME_OPCODE == 6)) || { echo "unexpected answer to OPTIONS (opcode $FRAME_OPCODE)"; return 1; }
  # STARTUP {CQL_VERSION: 3.0.0} -> READY (or AUTHENTICATE)
  cql_send 1 1 "0001$(cql_string_hex CQL_VERSION)$(cql_string_hex 3.0.0)"
  cql_read || { echo "no answer to STARTUP"; return 1; }
  case $FRAME_OPCODE in
    2) ;;
    3) echo "server asks for authentication (expected AllowAllAuthenticator)"; return 1 ;;
    0) cql_error_message; echo; return 1 ;;
    *) echo "unexpected answer to STARTUP (opcode $FRAME_OPCODE)"; return 1 ;;
  esac
  # QUERY at consistency ONE, no flags -> RESULT Rows
  cql_send 2 7 "$(cql_long_string_hex "$query")000100"
  cql_read || { echo "no answer to QUERY"; return 1; }
  if ((FRAME_OPCODE == 0)); then cql_error_message; echo; return 1; fi
  ((FRAME_OPCODE == 8)) || { echo "unexpected answer to QUERY (opcode $FRAME_OPCODE)"; return 1; }
  version=$(cql_first_text_cell) || { echo "could not parse the query result"; return 1; }
  printf '%s\n' "$version"
)

# --------------------------------------------------------------- commands ---

show_log_tail() {
  local file
  for file in "$STDOUT_LOG" "$SYSTEM_LOG"; do
    if [[ -s $file ]]; then
      log "---- last lines of $file ----"
      tail -n "${1:-40}" "$file" >&2
    fi
  done
}

cmd_wait() {
  local pid start now out
  start=$SECONDS
  if ! pid=$(running_pid); then
    if [[ -f $PID_FILE ]]; then
      show_log_tail 60
      rm -f "$PID_FILE"
      die "the Cassandra process (pid from $PID_FILE) is not running: it died (see $LOG_DIR)"
    fi
    die "Cassandra is not running (start it with: $0 start)"
  fi
  while :; do
    if ! pid_alive "$pid"; then
      show_log_tail 60
      rm -f "$PID_FILE"
      die "the Cassandra process (pid $pid) died during startup (see $LOG_DIR)"
    fi
    if [[ -f $SYSTEM_LOG ]] &&
      grep -qE 'Starting listening for CQL clients|Startup complete' "$SYSTEM_LOG" &&
      tcp_open "$CQL_PORT" && out=$(cql_probe); then
      now=$SECONDS
      log "ready: Cassandra $out answers CQL on $HOST:$CQL_PORT (pid $pid, waited $((now - start)) s)"
      return 0
    fi
    if ((SECONDS - start >= WAIT_TIMEOUT)); then
      show_log_tail 60
      die "Cassandra (pid $pid) did not answer CQL on $HOST:$CQL_PORT within $WAIT_TIMEOUT s; it is left running (scripts/cassandra.sh stop)"
    fi
    sleep 1
  done
}

cmd_start() {
  local java_home major pid jamm port
  local -a jvm_opts=()
  if pid=$(running_pid); then
    load_ports force
    log "already running (pid $pid, CQL port $CQL_PORT); not starting a second node"
    if [[ -n ${CASSANDRA_PORT:-} && $CASSANDRA_PORT != "$CQL_PORT" ]]; then
      log "warning: CASSANDRA_PORT=$CASSANDRA_PORT is ignored: stop the running node to change ports"
    fi
    cmd_wait
    return 0
  fi
  if [[ -f $PID_FILE ]]; then
    log "removing stale pid file ($(<"$PID_FILE") is not a running Cassandra of this repository)"
    rm -f "$PID_FILE"
  fi

  java_home=$(find_java_home)
  major=$(java_major "$java_home")
  [[ $major == 17 || $major == 11 ]] ||
    die "Cassandra 5.0 runs on JDK 11 or 17 only; $java_home is JDK '$major' (set CASSANDRA_JAVA_HOME)"

  for port in "$CQL_PORT" "$STORAGE_PORT" "$JMX_PORT"; do
    if [[ $port != off ]] && tcp_open "$port"; then
      die "port $port on $HOST is already in use by another process (another Cassandra?); set CASSANDRA_PORT / CASSANDRA_STORAGE_PORT / CASSANDRA_JMX_PORT"
    fi
  done

  ensure_lib "$java_home"
  write_config
  save_ports
  mkdir -p "$DATA_DIR" "$LOG_DIR" "$TMP_DIR" "$STATE_DIR/triggers"
  rm -rf "$TMP_DIR" # native libraries unpacked by the previous run
  mkdir -p "$TMP_DIR"
  rotate_log "$SYSTEM_LOG"
  rotate_log "$STDOUT_LOG"

  # Flags from cassandra/conf/jvm17.options (comments and blank lines dropped).
  mapfile -t jvm_opts < <(sed -e 's/[[:space:]]*$//' -e '/^[[:space:]]*#/d' -e '/^$/d' "$SRC_DIR/conf/jvm17.options")
  jvm_opts+=(
    "-Xms$HEAP" "-Xmx$HEAP"
    "-XX:ErrorFile=$LOG_DIR/hs_err_pid%p.log"
    "-Djava.io.tmpdir=$TMP_DIR"
    "-Djna.tmpdir=$TMP_DIR"
    "-Dio.netty.native.workdir=$TMP_DIR"
    "-Dcassandra.config=file://$CONF_DIR/cassandra.yaml"
    "-Dcassandra.storagedir=$DATA_DIR"
    "-Dcassandra.logdir=$LOG_DIR"
    "-Dcassandra.triggers_dir=$STATE_DIR/triggers"
    "-Dlogback.configurationFile=file://$CONF_DIR/logback.xml"
    "-Dcassandra-foreground=yes"
    "-Dcassandra.skip_wait_for_gossip_to_settle=0"
    "-Dcassandra.ring_delay_ms=1000"
    "-Dcassandra.superuser_setup_delay_ms=0"
  )
  if [[ $JMX_PORT != off ]]; then
    # local-only JMX (nodetool); RMI on the same port instead of a random one
    jvm_opts+=("-Dcassandra.jmx.local.port=$JMX_PORT" "-Dcom.sun.management.jmxremote.rmi.port=$JMX_PORT")
  fi
  if jamm=$(compgen -G "$LIB_DIR/jamm-*.jar" | head -n 1); then
    jvm_opts+=("-javaagent:$jamm")
  fi
  if [[ -n ${CASSANDRA_JVM_OPTS:-} ]]; then
    local -a extra
    read -r -a extra <<<"$CASSANDRA_JVM_OPTS"
    jvm_opts+=("${extra[@]}")
  fi

  # Cassandra calls mlockall() at startup: when that succeeds (root, or an
  # unlimited RLIMIT_MEMLOCK) the whole committed heap becomes resident at once,
  # like -XX:+AlwaysPreTouch. Make it fail (Cassandra then only logs a warning):
  # a small memlock limit, and no CAP_IPC_LOCK when running as root.
  local -a launcher=()
  if [[ ${CASSANDRA_MLOCK:-0} != 1 ]] && has_ipc_lock_cap && command -v setpriv >/dev/null &&
    setpriv --bounding-set=-ipc_lock true 2>/dev/null; then
    launcher=(setpriv --bounding-set=-ipc_lock)
  fi

  log "starting Cassandra $(cassandra_version) on $HOST:$CQL_PORT (JDK $major, heap $HEAP, logs in $LOG_DIR)"
  # setsid: the node outlives the shell (and the process group) that started
  # it; in a non-interactive shell setsid execs in place, so $! is java's pid.
  (
    cd "$STATE_DIR"
    if [[ ${CASSANDRA_MLOCK:-0} != 1 ]]; then ulimit -S -l 64 2>/dev/null || true; fi
    exec "${launcher[@]}" setsid nohup "$java_home/bin/java" "${jvm_opts[@]}" \
      -cp "$LIB_DIR/*" "$DAEMON_CLASS" </dev/null >"$STDOUT_LOG" 2>&1 9>&-
  ) &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  wait_for_exec "$pid"
  cmd_wait
}

# The pid file is written as soon as the launching subshell forks, but until it
# has exec'd java its command line is still this script's, and running_pid would
# call the node dead. Wait (at most 30 s) until running_pid recognises the node,
# or the child dies (cmd_wait then reports the death with the logs).
wait_for_exec() {
  local tries
  for ((tries = 0; tries < 300; tries++)); do
    if running_pid >/dev/null || ! pid_alive "$1"; then return 0; fi
    sleep 0.1
  done
}

cmd_stop() {
  local pid waited=0
  if ! pid=$(running_pid); then
    if [[ -f $PID_FILE ]]; then
      log "not running (removing stale pid file)"
      rm -f "$PID_FILE"
    else
      log "not running"
    fi
    return 0
  fi
  log "stopping Cassandra (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid"; do
    if ((waited >= STOP_TIMEOUT)); then
      log "still alive after $STOP_TIMEOUT s: sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 1
    waited=$((waited + 1))
  done
  pid_alive "$pid" && die "pid $pid survived SIGKILL"
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    if tcp_open "$CQL_PORT"; then
      echo "running (pid $pid, CQL on $HOST:$CQL_PORT)"
    else
      echo "running (pid $pid, CQL port $CQL_PORT not open yet)"
    fi
    return 0
  fi
  echo "stopped"
  return 3
}

cmd_check() {
  local out
  if out=$(cql_probe); then
    echo "ok: Cassandra $out answers CQL on $HOST:$CQL_PORT"
  else
    echo "failed: $out" >&2
    return 1
  fi
}

cmd_nodetool() {
  local java_home
  local -a opts=()
  [[ $JMX_PORT != off ]] || die "nodetool needs JMX, but CASSANDRA_JMX_PORT=off"
  compgen -G "$LIB_DIR/cassandra-all-*.jar" >/dev/null || die "no jars in $LIB_DIR yet (run: $0 start)"
  java_home=$(find_java_home)
  # The module flags from jvm17.options; nodetool's history file goes to
  # <user.home>/.cassandra, so user.home points into .cassandra/tmp.
  mapfile -t opts < <(grep -E '^(--add-|-Djdk\.)' "$SRC_DIR/conf/jvm17.options")
  mkdir -p "$TMP_DIR"
  "$java_home/bin/java" -Xmx256m -XX:+UseSerialGC -XX:+PerfDisableSharedMem "${opts[@]}" \
    "-Duser.home=$TMP_DIR" "-Djava.io.tmpdir=$TMP_DIR" \
    "-Dlogback.configurationFile=file://$SRC_DIR/conf/logback-tools.xml" \
    -cp "$LIB_DIR/*" org.apache.cassandra.tools.NodeTool -h "$HOST" -p "$JMX_PORT" "$@"
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA_DIR"
  log "deleted $DATA_DIR"
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

main() {
  case ${1:-} in
    start | deps) ;;
    *) load_ports ;;
  esac
  validate_env
  case ${1:-} in
    start) take_lock; cmd_start ;;
    stop) take_lock; cmd_stop ;;
    status) cmd_status ;;
    wait) cmd_wait ;;
    check) cmd_check ;;
    reset) take_lock; cmd_reset ;;
    deps) ensure_lib "$(find_java_home)"; log "jars in $LIB_DIR (Cassandra $(cassandra_version))" ;;
    logs) tail -n "${2:-100}" "$SYSTEM_LOG" ;;
    nodetool) shift; cmd_nodetool "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
