# shellcheck shell=bash
# Background processes of the network, tracked by pid files in $RUN_DIR.
# Only processes started by these scripts are ever signalled.

pid_file() { echo "$RUN_DIR/$1.pid"; }

# True while PID exists and has not exited. An exited process whose parent
# (here usually init, once up.sh has returned) has not reaped it yet is a
# zombie: gone for our purposes.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" != Z ]]
}

# Prints the pid of process NAME if its pid file names a live process that is
# still the executable it started (guards against a recycled pid).
running_pid() {
  local name=$1 file pid exe actual
  file=$(pid_file "$name")
  [[ -f "$file" ]] || return 1
  read -r pid exe <"$file" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  actual=$(readlink -f "/proc/$pid/exe" 2>/dev/null) || return 1
  # A binary rebuilt while it runs shows as "<path> (deleted)": still ours.
  [[ "$actual" == "$exe" || "$actual" == "$exe (deleted)" ]] || return 1
  echo "$pid"
}

is_running() { running_pid "$1" >/dev/null; }

# start_process NAME ENV_ARRAY_NAME EXECUTABLE [ARGS...]
# Starts EXECUTABLE with only the variables in the named array (plus PATH and
# HOME) in its environment, output to $LOG_DIR/NAME.log, in its own session.
start_process() {
  local name=$1 env_name=$2 exe=$3
  shift 3
  local -n env_ref=$env_name
  local log="$LOG_DIR/$name.log" pid
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  exe=$(readlink -f "$exe")
  {
    echo "=== $(date -u +%FT%TZ) starting $name: $exe $*"
  } >>"$log"
  setsid env -i PATH="$PATH" HOME="$HOME" "${env_ref[@]}" "$exe" "$@" >>"$log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid $exe" >"$(pid_file "$name")"
}

# Stops process NAME (SIGTERM, then SIGKILL after 15s) and removes its pid file.
stop_process() {
  local name=$1 pid
  if pid=$(running_pid "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 150; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      echo "$name (pid $pid) did not stop within 15s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stopped $name (pid $pid)"
  fi
  rm -f "$(pid_file "$name")"
}

# Names of all processes that have a pid file.
tracked_processes() {
  local f
  [[ -d "$RUN_DIR" ]] || return 0
  for f in "$RUN_DIR"/*.pid; do
    [[ -e "$f" ]] && basename "$f" .pid
  done
  return 0
}

# wait_ready NAME TIMEOUT_SECONDS COMMAND [ARGS...]
# Polls COMMAND every 0.2s until it succeeds. Fails after the timeout, or at
# once (with the log tail) when process NAME exits.
wait_ready() {
  local name=$1 timeout=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    require_running "$name" || return 1
    if ((SECONDS >= deadline)); then
      echo "Timed out after ${timeout}s waiting for $name to be ready; see $LOG_DIR/$name.log." >&2
      return 1
    fi
    sleep 0.2
  done
}

# Fails with the tail of the log when process NAME is not running.
require_running() {
  local name=$1 pid status
  if ! is_running "$name"; then
    status=""
    if read -r pid _ <"$(pid_file "$name")" 2>/dev/null; then
      # Our own child: its exit status is still available to wait.
      local rc=0
      wait "$pid" 2>/dev/null || rc=$?
      ((rc == 127)) || status=" with status $rc"
    fi
    echo "$name exited$status; last lines of $LOG_DIR/$name.log:" >&2
    tail -n 20 "$LOG_DIR/$name.log" >&2 || true
    return 1
  fi
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when the operations endpoint on PORT (TLS, CA file CA) reports healthy.
healthy() { curl -fsS --max-time 2 --cacert "$2" "https://127.0.0.1:$1/healthz" >/dev/null; }

# Fails unless PORT on 127.0.0.1 is free.
require_port_free() {
  if port_open "$1"; then
    echo "Port 127.0.0.1:$1 ($2) is already in use by another program; stop it or choose another block with MEDCHAIN_NETWORK_PORT_BASE." >&2
    return 1
  fi
}
