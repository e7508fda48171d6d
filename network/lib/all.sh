# shellcheck shell=bash
# Loads every network library.
lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for lib in config process nodes ca ipfs cli crypto channel chaincode discovery profile status; do
  # shellcheck source=/dev/null
  source "$lib_dir/$lib.sh"
done
unset lib lib_dir

# Fails with one message naming every missing command.
require_commands() {
  local missing=() cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  if ((${#missing[@]})); then
    echo "Missing commands: ${missing[*]}; install them (Debian: apt-get install jq curl openssl gettext-base tar gzip util-linux) and run this again." >&2
    return 1
  fi
}

# Marks and checks the work directory so nothing else is ever deleted.
WORK_MARK=.medchain-network
work_dir_ours() { [[ -f "$WORK/$WORK_MARK" ]]; }
work_dir_empty() { [[ ! -e "$WORK" ]] || [[ -z "$(ls -A "$WORK")" ]]; }

# Removes the work directory after checking it is one of ours.
remove_work_dir() {
  if work_dir_empty; then
    rm -rf "$WORK"
  elif work_dir_ours; then
    rm -rf "${WORK:?}"
  else
    echo "$WORK is not a medchain network work directory (no $WORK_MARK); not deleting it." >&2
    return 1
  fi
}

# Takes an exclusive lock for the rest of the script (one up/down at a time).
lock_network() {
  local lock="${WORK%/}.lock"
  mkdir -p "$(dirname "$lock")"
  exec 9>"$lock"
  flock -w 300 9 || {
    echo "Another network/up.sh or down.sh holds $lock for more than 300s." >&2
    return 1
  }
}
