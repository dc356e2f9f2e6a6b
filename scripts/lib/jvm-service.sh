# Shared by scripts/cassandra.sh and scripts/kafka.sh: running one JVM daemon
# from jars that Maven resolves, with its pid file, lock and logs in a state
# directory. Sourced, not run. The sourcing script sets, before calling these:
#   SERVICE       name used in messages ("cassandra", "kafka")
#   DAEMON_CLASS  main class; identifies the process in /proc/PID/cmdline
#   STATE_DIR     the daemon's own directory (also in its command line)
#   PID_FILE      where the pid of the running daemon is kept
#   HOST          the address its ports listen on
#   DISPLAY_NAME  name in sentences ("Cassandra", "Kafka")
#   PROTOCOL      what readiness means ("CQL", "Kafka requests")
#   LIB_DIR POM MAIN_JAR_GLOB LOG_DIR MVN   for ensure_lib
#   WAIT_TIMEOUT STOP_TIMEOUT               seconds
#   JAVA_HOME_ENV   the variable that overrides the JDK (e.g. KAFKA_JAVA_HOME)
#   PORT_VARS     "key:VARIABLE:ENV_NAME" for each port; the first is the one
#                 clients use
#   PORTS_FILE    where the ports of the last start are kept
#   LOG_FILES     the daemon's logs, shown when it fails to start
#   READY_LOG READY_PATTERN   the log line that says it has started
#   WAIT_POLL     seconds between readiness checks
#   DATA_DIR      what "reset" deletes
# and defines service_probe, which prints a short description of the running
# daemon (its version or id) when it answers, or why not and fails.

log() { printf '%s: %s\n' "$SERVICE" "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# Prints the pid from the pid file if it is a live daemon of this state
# directory (guards against a stale pid file whose pid was reused).
running_pid() {
  local pid cmdline state
  [[ -f $PID_FILE ]] || return 1
  pid=$(<"$PID_FILE")
  is_uint "$pid" || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $state != Z ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  # "$STATE_DIR/" with the slash: /tmp/a must not match a daemon of /tmp/ab
  [[ $cmdline == *"$DAEMON_CLASS"* && $cmdline == *"$STATE_DIR/"* ]] || return 1
  printf '%s\n' "$pid"
}

# A zombie that nobody reaps counts as dead, but a JVM's main thread turns
# zombie while its other threads are still exiting and holding its sockets
# open: it is dead only once it has no thread left but the zombie one.
pid_alive() {
  local state tasks
  [[ -r /proc/$1/stat ]] || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state ]] || return 1
  [[ $state != Z ]] && return 0
  tasks=$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  ((tasks > 1))
}

tcp_open() {
  # Opening /dev/tcp in a subshell: the descriptor dies with it.
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# Serialises start/stop/reset/kill (e.g. two test files starting the daemon at
# once): the lock is held on fd 9 until the script exits.
take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/.lock"
  if ! flock -n 9; then
    log "waiting for another scripts/$SERVICE.sh start/stop to finish"
    flock -w "$((WAIT_TIMEOUT + STOP_TIMEOUT + 600))" 9 || die "could not take $STATE_DIR/.lock"
  fi
}

find_java_home() {
  local home=${!JAVA_HOME_ENV:-/usr/lib/jvm/java-17-openjdk-amd64}
  [[ -x $home/bin/java ]] ||
    die "no JDK at $home (set $JAVA_HOME_ENV to a JDK 17, e.g. apt-get install openjdk-17-jdk-headless)"
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

# Resolves the runtime jars of $POM into $LIB_DIR, once: a stamp holds the
# pom's hash, so editing the pom (a version bump) fetches again.
ensure_lib() {
  local java_home=$1 stamp="$LIB_DIR/.pom.sha256" want
  want=$(sha256sum "$POM" | cut -d ' ' -f 1)
  if [[ -f $stamp && $(<"$stamp") == "$want" ]] &&
    compgen -G "$LIB_DIR/$MAIN_JAR_GLOB" >/dev/null; then
    return 0
  fi
  command -v "$MVN" >/dev/null || die "'$MVN' not found: Maven is needed to fetch the $SERVICE jars (apt-get install maven)"
  log "fetching the $SERVICE jars with Maven into $LIB_DIR (cached in ~/.m2 afterwards)"
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

# The version in the main jar's name (cassandra-all-5.0.9.jar -> 5.0.9).
jar_version() {
  local jar prefix=${MAIN_JAR_GLOB%%\**}
  jar=$(compgen -G "$LIB_DIR/$MAIN_JAR_GLOB" | head -n 1) || return 1
  jar=${jar##*/"$prefix"}
  printf '%s\n' "${jar%.jar}"
}

# ------------------------------------------------------------------ ports ---
# The ports of the daemon that "start" launched are kept in PORTS_FILE so that
# wait/status/check reach it without repeating the variables.

main_port() {
  local _key var
  IFS=: read -r _key var _ <<<"${PORT_VARS[0]}"
  printf '%s\n' "${!var}"
}

save_ports() {
  local spec key var
  : >"$PORTS_FILE.tmp"
  for spec in "${PORT_VARS[@]}"; do
    IFS=: read -r key var _ <<<"$spec"
    printf '%s=%s\n' "$key" "${!var}" >>"$PORTS_FILE.tmp"
  done
  mv "$PORTS_FILE.tmp" "$PORTS_FILE"
}

# load_ports [force]: without "force", explicitly set variables win.
load_ports() {
  local key value force=${1:-} spec spec_key var env
  [[ -f $PORTS_FILE ]] || return 0
  while IFS='=' read -r key value; do
    for spec in "${PORT_VARS[@]}"; do
      IFS=: read -r spec_key var env <<<"$spec"
      if [[ $key == "$spec_key" && (-n $force || -z ${!env:-}) ]]; then
        printf -v "$var" '%s' "$value"
      fi
    done
  done <"$PORTS_FILE"
  return 0
}

# Keeps one previous copy of a log so that each start reads only its own lines.
rotate_log() {
  if [[ -f $1 ]]; then mv -f "$1" "$1.1"; fi
}

# The pid file is written as soon as the launching subshell forks, but until it
# has exec'd java its command line is still the script's, and running_pid would
# call the daemon dead. Wait (at most 30 s) until running_pid recognises it, or
# the child dies (the caller's wait then reports the death with the logs).
wait_for_exec() {
  local tries
  for ((tries = 0; tries < 300; tries++)); do
    if running_pid >/dev/null || ! pid_alive "$1"; then return 0; fi
    sleep 0.1
  done
}

# stop_daemon [KILL]: SIGTERM and wait up to STOP_TIMEOUT s, then SIGKILL; with
# KILL, SIGKILL at once (a crash, for fault tests). Removes the pid file.
stop_daemon() {
  local pid waited=0 signal=TERM
  [[ ${1:-} == KILL ]] && signal=KILL
  if ! pid=$(running_pid); then
    if [[ -f $PID_FILE ]]; then
      log "not running (removing stale pid file)"
      rm -f "$PID_FILE"
    else
      log "not running"
    fi
    return 0
  fi
  log "sending SIG$signal to $SERVICE (pid $pid)"
  kill "-$signal" "$pid" 2>/dev/null || true
  # tenths of a second: a SIGKILLed process is gone within a few
  while pid_alive "$pid"; do
    if ((waited >= STOP_TIMEOUT * 10)); then
      log "still alive after $STOP_TIMEOUT s: sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  pid_alive "$pid" && die "pid $pid survived SIGKILL"
  rm -f "$PID_FILE"
  log "stopped"
}

# --------------------------------------------------------------- commands ---

show_log_tail() {
  local file
  for file in "${LOG_FILES[@]}"; do
    if [[ -s $file ]]; then
      log "---- last lines of $file ----"
      tail -n "${1:-40}" "$file" >&2
    fi
  done
}

# Waits until the running daemon has logged READY_PATTERN and service_probe
# succeeds; fails at once if it dies, and after WAIT_TIMEOUT s.
cmd_wait() {
  local pid start out port
  start=$SECONDS
  port=$(main_port)
  if ! pid=$(running_pid); then
    if [[ -f $PID_FILE ]]; then
      show_log_tail 60
      rm -f "$PID_FILE"
      die "the $DISPLAY_NAME process (pid from $PID_FILE) is not running: it died (see $LOG_DIR)"
    fi
    die "$DISPLAY_NAME is not running (start it with: $0 start)"
  fi
  while :; do
    if ! pid_alive "$pid"; then
      show_log_tail 60
      rm -f "$PID_FILE"
      die "the $DISPLAY_NAME process (pid $pid) died during startup (see $LOG_DIR)"
    fi
    if [[ -f $READY_LOG ]] && grep -qE "$READY_PATTERN" "$READY_LOG" &&
      tcp_open "$port" && out=$(service_probe); then
      log "ready: $DISPLAY_NAME $out answers $PROTOCOL on $HOST:$port (pid $pid, waited $((SECONDS - start)) s)"
      return 0
    fi
    if ((SECONDS - start >= WAIT_TIMEOUT)); then
      show_log_tail 60
      die "$DISPLAY_NAME (pid $pid) did not answer $PROTOCOL on $HOST:$port within $WAIT_TIMEOUT s; it is left running ($0 stop)"
    fi
    sleep "$WAIT_POLL"
  done
}

# The beginning of "start": true (once it answers) if the daemon already runs,
# which is then reused; else false, after removing a stale pid file.
already_running() {
  local pid _key var env
  if ! pid=$(running_pid); then
    if [[ -f $PID_FILE ]]; then
      log "removing stale pid file ($(<"$PID_FILE") is not a running $DISPLAY_NAME of $STATE_DIR)"
      rm -f "$PID_FILE"
    fi
    return 1
  fi
  load_ports force
  IFS=: read -r _key var env <<<"${PORT_VARS[0]}"
  log "already running (pid $pid, port ${!var}); not starting a second $DISPLAY_NAME"
  if [[ -n ${!env:-} && ${!env} != "${!var}" ]]; then
    log "warning: $env=${!env} is ignored: stop the running $DISPLAY_NAME to change ports"
  fi
  cmd_wait
}

# require_free_ports PORT...: dies if another process listens on one of them
# ("off" is skipped).
require_free_ports() {
  local port spec envs=''
  for spec in "${PORT_VARS[@]}"; do envs+=" / ${spec##*:}"; done
  for port in "$@"; do
    if [[ $port != off ]] && tcp_open "$port"; then
      die "port $port on $HOST is already in use by another process (another $DISPLAY_NAME?); set ${envs# / }"
    fi
  done
}

cmd_status() {
  local pid port
  port=$(main_port)
  if pid=$(running_pid); then
    if tcp_open "$port"; then
      echo "running (pid $pid, $DISPLAY_NAME on $HOST:$port)"
    else
      echo "running (pid $pid, port $port not open yet)"
    fi
    return 0
  fi
  echo "stopped"
  return 3
}

cmd_check() {
  local out
  if out=$(service_probe); then
    echo "ok: $DISPLAY_NAME $out answers $PROTOCOL on $HOST:$(main_port)"
  else
    echo "failed: $out" >&2
    return 1
  fi
}

# Deletes the data (the daemon is stopped first); the jars stay.
cmd_reset() {
  stop_daemon
  rm -rf "$DATA_DIR"
  log "deleted $DATA_DIR"
}

# The commands both scripts have. A script's own (e.g. nodetool) go to its
# function extra_command, if it defines one.
run_command() {
  case ${1:-} in
    start | deps) ;;
    *) load_ports ;;
  esac
  validate_env
  case ${1:-} in
    start) take_lock; cmd_start ;;
    stop) take_lock; stop_daemon ;;
    kill) take_lock; stop_daemon KILL ;;
    status) cmd_status ;;
    wait) cmd_wait ;;
    check) cmd_check ;;
    reset) take_lock; cmd_reset ;;
    deps) mkdir -p "$LOG_DIR"; ensure_lib "$(find_java_home)"; log "jars in $LIB_DIR ($DISPLAY_NAME $(jar_version))" ;;
    logs) tail -n "${2:-100}" "$READY_LOG" ;;
    -h | --help | help) usage ;;
    *)
      if declare -F extra_command >/dev/null; then
        extra_command "$@"
      else
        usage >&2
        exit 2
      fi
      ;;
  esac
}

# The script's header comment, from line 2 to "set -euo".
usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

# ------------------------------------------------- binary protocols in bash ---

to_hex() { od -An -v -tx1 | tr -d ' \n'; }

hex_to_bytes() {
  local hex=$1 escaped='' i
  for ((i = 0; i < ${#hex}; i += 2)); do escaped+="\\x${hex:i:2}"; done
  printf '%b' "$escaped"
}

# read_bytes_hex N: reads exactly N bytes from fd 3 (10 s at most), prints hex.
read_bytes_hex() {
  local hex
  hex=$(timeout 10 dd bs=1 count="$1" status=none <&3 | to_hex) || return 1
  [[ ${#hex} -eq $(($1 * 2)) ]] || return 1
  printf '%s' "$hex"
}
