#!/usr/bin/env bash
# Run a real single-node Apache Cassandra 5.0 on 127.0.0.1 without Docker, or
# one node of a small local cluster (other loopback addresses, see below).
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
#   kill     SIGKILL the node at once (a crash, for fault tests)
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
#   CASSANDRA_COMMITLOG_SYNC periodic (default: fast; a SIGKILL loses up to 10 s
#                           of acknowledged writes) or batch (every write is
#                           fsynced before it is acknowledged: what a single
#                           node that must survive SIGKILL needs)
#   CASSANDRA_WAIT_TIMEOUT  seconds "start"/"wait" wait for CQL (default 180)
#   CASSANDRA_STOP_TIMEOUT  seconds "stop" waits before SIGKILL (default 60)
#   CASSANDRA_JVM_OPTS      extra JVM flags, appended (word-split on spaces)
#   CASSANDRA_MVN           maven executable (default mvn)
#   CASSANDRA_MLOCK         1 lets Cassandra mlockall() its memory (default: it
#                           is prevented, so the heap is not all resident at once)
#   CASSANDRA_STATE_DIR     where the node keeps data, logs, conf and its pid file
#                           (default <repo>/.cassandra); another directory and
#                           other ports run a second, independent node
#
# A node of a cluster (each with its own CASSANDRA_STATE_DIR; all nodes share
# CASSANDRA_PORT and CASSANDRA_STORAGE_PORT, each on its own address, and need
# distinct CASSANDRA_JMX_PORTs, since JMX listens on 127.0.0.1 only):
#   CASSANDRA_LISTEN_ADDRESS   internode address (default 127.0.0.1), e.g. 127.0.0.2
#   CASSANDRA_RPC_ADDRESS      CQL address (default: the listen address)
#   CASSANDRA_SEEDS            comma-separated host:port (default: this node)
#   CASSANDRA_CLUSTER_NAME     default eventscore-dev; every node of a cluster the same
#   CASSANDRA_INITIAL_TOKEN    this node's one token (default 0); distinct per node
#   CASSANDRA_AUTO_BOOTSTRAP   true|false; false when every node starts empty
#                              (nothing to stream, no bootstrap wait)
#   CASSANDRA_HINTED_HANDOFF   true|false (default false): true keeps hints for a
#                              peer that is down and replays them when it returns
#   CASSANDRA_CDS              1: start faster from a class data archive (JDK
#                              AppCDS) in .cassandra/cds/, shared by every node
#                              of this JDK and these jars; the first node started
#                              without one writes it once it answers (jcmd)
set -euo pipefail

readonly SERVICE=cassandra
readonly DAEMON_CLASS=org.apache.cassandra.service.CassandraDaemon
readonly LISTEN_ADDRESS=${CASSANDRA_LISTEN_ADDRESS:-127.0.0.1}
# The address clients (and the probes below) use.
readonly HOST=${CASSANDRA_RPC_ADDRESS:-$LISTEN_ADDRESS}
# Local-only JMX always listens on the loopback address.
readonly JMX_HOST=127.0.0.1

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
readonly SCRIPT_DIR ROOT
readonly SRC_DIR="$ROOT/cassandra"
readonly POM="$SRC_DIR/pom.xml"
readonly MAIN_JAR_GLOB='cassandra-all-*.jar'
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
COMMITLOG_SYNC=${CASSANDRA_COMMITLOG_SYNC:-periodic}
CLUSTER_NAME=${CASSANDRA_CLUSTER_NAME:-eventscore-dev}
INITIAL_TOKEN=${CASSANDRA_INITIAL_TOKEN:-0}
AUTO_BOOTSTRAP=${CASSANDRA_AUTO_BOOTSTRAP:-}
HINTED_HANDOFF=${CASSANDRA_HINTED_HANDOFF:-false}
CDS=${CASSANDRA_CDS:-0}
readonly CLUSTER_NAME INITIAL_TOKEN AUTO_BOOTSTRAP HINTED_HANDOFF CDS
WAIT_TIMEOUT=${CASSANDRA_WAIT_TIMEOUT:-180}
STOP_TIMEOUT=${CASSANDRA_STOP_TIMEOUT:-60}
MVN=${CASSANDRA_MVN:-mvn}
readonly HEAP WAIT_TIMEOUT STOP_TIMEOUT MVN
readonly PORTS_FILE="$CONF_DIR/ports"
readonly DISPLAY_NAME=Cassandra PROTOCOL=CQL JAVA_HOME_ENV=CASSANDRA_JAVA_HOME
readonly PORT_VARS=(cql:CQL_PORT:CASSANDRA_PORT storage:STORAGE_PORT:CASSANDRA_STORAGE_PORT jmx:JMX_PORT:CASSANDRA_JMX_PORT)
readonly LOG_FILES=("$STDOUT_LOG" "$SYSTEM_LOG")
readonly READY_LOG=$SYSTEM_LOG READY_PATTERN='Starting listening for CQL clients|Startup complete' WAIT_POLL=1

# shellcheck source=lib/jvm-service.sh
source "$SCRIPT_DIR/lib/jvm-service.sh"

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
  [[ $COMMITLOG_SYNC == periodic || $COMMITLOG_SYNC == batch ]] ||
    die "CASSANDRA_COMMITLOG_SYNC must be periodic or batch, got '$COMMITLOG_SYNC'"
  for name in LISTEN_ADDRESS HOST; do
    value=${!name}
    [[ $value =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "CASSANDRA_${name/HOST/RPC_ADDRESS} must be an IPv4 address, got '$value'"
  done
  [[ -z ${CASSANDRA_SEEDS:-} || $CASSANDRA_SEEDS =~ ^[0-9.:,]+$ ]] ||
    die "CASSANDRA_SEEDS must be comma-separated address:port, got '$CASSANDRA_SEEDS'"
  [[ $CLUSTER_NAME =~ ^[A-Za-z0-9_.-]+$ ]] || die "CASSANDRA_CLUSTER_NAME: letters, digits, _ . - only, got '$CLUSTER_NAME'"
  [[ $INITIAL_TOKEN =~ ^-?[0-9]+$ ]] || die "CASSANDRA_INITIAL_TOKEN must be an integer, got '$INITIAL_TOKEN'"
  [[ -z $AUTO_BOOTSTRAP || $AUTO_BOOTSTRAP == true || $AUTO_BOOTSTRAP == false ]] ||
    die "CASSANDRA_AUTO_BOOTSTRAP must be true or false, got '$AUTO_BOOTSTRAP'"
  [[ $HINTED_HANDOFF == true || $HINTED_HANDOFF == false ]] ||
    die "CASSANDRA_HINTED_HANDOFF must be true or false, got '$HINTED_HANDOFF'"
  [[ $CDS == 0 || $CDS == 1 ]] || die "CASSANDRA_CDS must be 0 or 1, got '$CDS'"
}

# ---------------------------------------------------------------- process ---

# True if this shell holds CAP_IPC_LOCK (bit 14), e.g. when running as root.
has_ipc_lock_cap() {
  local caps
  caps=$(awk '/^CapEff:/ {print $2}' /proc/self/status 2>/dev/null) || return 1
  [[ -n $caps ]] && (((16#$caps >> 14) & 1))
}

# ------------------------------------------------------------------- java ---

# ------------------------------------------------------------------- jars ---

# ----------------------------------------------------------------- config ---

write_config() {
  local seeds=${CASSANDRA_SEEDS:-$LISTEN_ADDRESS:$STORAGE_PORT}
  mkdir -p "$CONF_DIR"
  # batch mode takes no sync period (Cassandra refuses to start with one).
  local sync=(-e "s/^commitlog_sync:.*/commitlog_sync: $COMMITLOG_SYNC/")
  [[ $COMMITLOG_SYNC == batch ]] && sync+=(-e "/^commitlog_sync_period:/d")
  sed -e "s/^native_transport_port:.*/native_transport_port: $CQL_PORT/" \
    -e "s/^storage_port:.*/storage_port: $STORAGE_PORT/" \
    "${sync[@]}" \
    -e "s/\( seeds: \)\"[^\"]*\"/\1\"$seeds\"/" \
    -e "s/^\(listen_address\|broadcast_address\):.*/\1: $LISTEN_ADDRESS/" \
    -e "s/^\(rpc_address\|broadcast_rpc_address\):.*/\1: $HOST/" \
    -e "s/^cluster_name:.*/cluster_name: '$CLUSTER_NAME'/" \
    -e "s/^initial_token:.*/initial_token: $INITIAL_TOKEN/" \
    -e "s/^hinted_handoff_enabled:.*/hinted_handoff_enabled: $HINTED_HANDOFF/" \
    "$SRC_DIR/conf/cassandra.yaml" >"$CONF_DIR/cassandra.yaml.tmp"
  if [[ -n $AUTO_BOOTSTRAP ]]; then printf 'auto_bootstrap: %s\n' "$AUTO_BOOTSTRAP" >>"$CONF_DIR/cassandra.yaml.tmp"; fi
  mv "$CONF_DIR/cassandra.yaml.tmp" "$CONF_DIR/cassandra.yaml"
  cp "$SRC_DIR/conf/logback.xml" "$CONF_DIR/logback.xml"
}

# -------------------------------------------------------- class data (CDS) ---
# Most of a node's start on a small machine is loading and verifying ~10,000
# classes. A dynamic AppCDS archive of them (taken from a running node with
# jcmd) is mapped by later JVMs instead (cassandra/README.md has the figures).
# The archive is tied to the JDK build and the jars, which its name says; a JVM
# that cannot use an archive warns and runs without it.

cds_archive() {
  local java_home=$1 version
  version=$(sed -n 's/^JAVA_RUNTIME_VERSION="\([^"]*\)".*/\1/p' "$java_home/release" 2>/dev/null || true)
  printf '%s/.cassandra/cds/jdk-%s-jars-%s.jsa\n' "$ROOT" "${version:-$(java_major "$java_home")}" \
    "$(cut -c1-12 "$LIB_DIR/.pom.sha256")"
}

# cds_dump JAVA_HOME PID ARCHIVE: writes the archive of the running node (a
# pause of a few seconds); a failure only costs the speed-up.
cds_dump() {
  local tmp="$3.$2.tmp"
  mkdir -p "$(dirname -- "$3")"
  if "$1/bin/jcmd" "$2" VM.cds dynamic_dump "$tmp" >"$LOG_DIR/cds.log" 2>&1 && [[ -s $tmp ]]; then
    mv -f "$tmp" "$3"
    log "wrote the class data archive $3 for later starts"
  else
    rm -f "$tmp"
    log "warning: no class data archive written (see $LOG_DIR/cds.log)"
  fi
}

# ---------------------------------------------------------- CQL over bash ---
# A minimal CQL native protocol v4 client (frames: 9-byte header + body),
# enough to prove the server answers queries.

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
  header=$(read_bytes_hex 9) || return 1
  FRAME_OPCODE=$((16#${header:8:2}))
  length=$((16#${header:10:8}))
  FRAME_BODY=
  if ((length > 0)); then
    FRAME_BODY=$(read_bytes_hex "$length") || return 1
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
service_probe() (
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

cmd_start() {
  local java_home major pid jamm port
  local -a jvm_opts=()
  if already_running; then return 0; fi

  java_home=$(find_java_home)
  major=$(java_major "$java_home")
  [[ $major == 17 || $major == 11 ]] ||
    die "Cassandra 5.0 runs on JDK 11 or 17 only; $java_home is JDK '$major' (set CASSANDRA_JAVA_HOME)"

  require_free_ports "$CQL_PORT" "$STORAGE_PORT"
  if [[ $JMX_PORT != off ]] && (exec 3<>"/dev/tcp/$JMX_HOST/$JMX_PORT") 2>/dev/null; then
    die "JMX port $JMX_PORT on $JMX_HOST is already in use (another node?); set CASSANDRA_JMX_PORT"
  fi

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
  local archive='' dump_archive=''
  if [[ $CDS == 1 ]]; then
    archive=$(cds_archive "$java_home")
    # jamm is a Java agent: archiving with one must be allowed explicitly.
    jvm_opts+=(-XX:+UnlockDiagnosticVMOptions -XX:+AllowArchivingWithJavaAgent)
    if [[ -s $archive ]]; then
      jvm_opts+=("-XX:SharedArchiveFile=$archive")
    elif [[ -x $java_home/bin/jcmd ]]; then
      jvm_opts+=(-XX:+RecordDynamicDumpInfo)
      dump_archive=$archive
    fi
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

  log "starting Cassandra $(jar_version) on $HOST:$CQL_PORT (JDK $major, heap $HEAP, logs in $LOG_DIR)"
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
  if [[ -n $dump_archive && ! -s $dump_archive ]]; then cds_dump "$java_home" "$pid" "$dump_archive"; fi
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
    -cp "$LIB_DIR/*" org.apache.cassandra.tools.NodeTool -h "$JMX_HOST" -p "$JMX_PORT" "$@"
}

extra_command() {
  case $1 in
    nodetool) shift; cmd_nodetool "$@" ;;
    *) usage >&2; exit 2 ;;
  esac
}

run_command "$@"
