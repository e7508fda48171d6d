# shellcheck shell=bash
# The steps every `go install` based tool install shares (install-fabric.sh,
# install-fabric-ca.sh): the module proxy chain, the checks for Go and flock,
# one install at a time per release directory, a staging directory moved into
# place at the end, the pinned module hash check and one line of progress per
# tool. Sourced by those scripts; the caller sets, before calling anything
# here, GI_SCRIPT (its name, the prefix of every failure sentence), GI_LABEL
# (what it installs, e.g. "Fabric v3.1.5") and GI_HOME_VAR (the variable that
# moves the release directory, e.g. MEDCHAIN_FABRIC_HOME).

# Prints "$GI_SCRIPT: MESSAGE" on stderr and exits 1.
gi_fail() {
  echo "$GI_SCRIPT: $*" >&2
  exit 1
}

# gi_mirror REPO — sets gi_mirror to the file-based Go module proxy put in
# front of GOPROXY: MEDCHAIN_GO_MIRROR (which must be a directory), else
# REPO/../shared/goproxy when it exists, else empty. Called before any
# "already installed" check, so a wrong setting is never ignored.
gi_mirror() {
  local repo=$1
  if [[ -n "${MEDCHAIN_GO_MIRROR:-}" ]]; then
    [[ -d "$MEDCHAIN_GO_MIRROR" ]] ||
      gi_fail "MEDCHAIN_GO_MIRROR is $MEDCHAIN_GO_MIRROR, which is not a directory; point it at a file-based Go module proxy (such as ../shared/goproxy next to the repository) or unset it."
    gi_mirror=$(cd "$MEDCHAIN_GO_MIRROR" && pwd)
  elif [[ -d "$repo/../shared/goproxy" ]]; then
    gi_mirror=$(cd "$repo/../shared/goproxy" && pwd)
  else
    gi_mirror=
  fi
}

# gi_begin HOME MIN_GO FINISH — checks that go and flock are on PATH, creates
# HOME (printed back in gi_home, absolute), takes HOME/.install.lock (waiting
# for another install), runs the command FINISH again once the lock is held
# (it exits when a concurrent install completed the directory), then makes a
# staging directory gi_stage (removed on exit) with bin/ and go/, empties
# gi_log, checks that Go is at least MIN_GO and sets gi_go_version.
gi_begin() {
  local home=$1 min_go=$2 finish=$3
  command -v go >/dev/null 2>&1 ||
    gi_fail "the Go toolchain is not on PATH; install Go >= $min_go (https://go.dev/dl/) and run this again."
  command -v flock >/dev/null 2>&1 ||
    gi_fail "flock is not on PATH; install it (Debian: apt-get install util-linux) and run this again."
  mkdir -p "$home" 2>/dev/null || gi_fail "cannot create $home; set $GI_HOME_VAR to a writable directory and run this again."
  gi_home=$(cd "$home" && pwd)

  # One install at a time per release directory; whoever waited finds it done.
  { exec 9>"$gi_home/.install.lock"; } 2>/dev/null ||
    gi_fail "cannot write to $gi_home; set $GI_HOME_VAR to a writable directory and run this again."
  if ! flock -n 9; then
    echo "Waiting for another $GI_SCRIPT to finish in $gi_home"
    flock -w 3600 9 || gi_fail "another $GI_SCRIPT has held $gi_home/.install.lock for an hour; stop it and run this again."
  fi
  "$finish"

  rm -rf "$gi_home"/.staging.* # left by an install that was killed
  gi_stage=$(mktemp -d "$gi_home/.staging.XXXXXX")
  # shellcheck disable=SC2064 # the path is fixed now
  trap "rm -rf '$gi_stage'" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir "$gi_stage/bin" "$gi_stage/go"
  gi_log="$gi_home/install.log"
  : >"$gi_log"

  # Every go command runs in an empty directory (no go.mod, no go.work around
  # it) with these settings; nothing is exported to the caller's environment.
  gi_go_env=(GOTOOLCHAIN=local GO111MODULE=on GOWORK=off GOBIN="$gi_stage/bin")
  gi_go_version=$(gi_go env GOVERSION 2>>"$gi_log") || gi_fail "\`go env\` failed (see $gi_log); repair the Go installation and run this again."
  if [[ "$(printf '%s\n%s\n' "go$min_go" "$gi_go_version" | sort -V | head -1)" != "go$min_go" ]]; then
    gi_fail "$GI_LABEL needs Go >= $min_go but $gi_go_version is installed; install a newer Go (https://go.dev/dl/) and run this again."
  fi
}

# gi_go ARGS... — runs go in the staging directory's empty go/ with gi_go_env.
gi_go() { (cd "$gi_stage/go" && env "${gi_go_env[@]}" go "$@"); }

# gi_proxy MODULE VERSION — puts the mirror in front of GOPROXY and leaves
# MODULE out of the checksum database (the pinned hash is checked instead);
# sets gi_proxy. For a tagged VERSION, in front of everything goes a one-file
# proxy in the staging directory whose version list of MODULE is just
# VERSION: `go install MODULE/cmd/x@VERSION` reads that list to look for a
# deprecation notice, and proxies that serve the version but refuse the list
# (403) would stop the build; every other request falls through to the rest
# of the chain.
gi_proxy() {
  local module=$1 version=$2 nosumdb pin="$gi_stage/pin-proxy"
  gi_proxy=$(gi_go env GOPROXY)
  nosumdb=$(gi_go env GONOSUMDB)
  [[ -n "$gi_mirror" ]] && gi_proxy="file://$gi_mirror,$gi_proxy"
  # A pseudo-version is never "latest", so a list holding only it would make
  # the deprecation look-up fail ("no matching versions for query latest");
  # such a module (Fabric, from the mirror) keeps the chain as it is.
  if [[ ! "$version" =~ [-.][0-9]{14}-[0-9a-f]{12}$ ]]; then
    mkdir -p "$pin/$(sed 's/[A-Z]/!\L&/g' <<<"$module")/@v"
    echo "$version" >"$pin/$(sed 's/[A-Z]/!\L&/g' <<<"$module")/@v/list"
    gi_proxy="file://$pin,$gi_proxy"
  fi
  gi_go_env+=(GOPROXY="$gi_proxy" GONOSUMDB="${nosumdb:+$nosumdb,}$module")
}

# Prints the value of a string field of `go mod download -json` output.
gi_json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p"; }

# gi_download MODULE VERSION SUM — downloads MODULE@VERSION through the proxy
# chain and refuses it unless its h1 hash is SUM; sets gi_module_dir.
gi_download() {
  local module="$1@$2" sum=$3 json got
  if ! json=$(gi_go mod download -json "$module" 2>>"$gi_log"); then
    echo "$json" >>"$gi_log"
    gi_fail "go mod download $module failed ($(gi_json_field Error <<<"$json" | head -1)); set MEDCHAIN_GO_MIRROR to a file-based Go module proxy that holds it (such as ../shared/goproxy) and run this again."
  fi
  echo "$json" >>"$gi_log"
  got=$(gi_json_field Sum <<<"$json")
  if [[ "$got" != "$sum" ]]; then
    gi_fail "$module has hash ${got:-(none)}, not the pinned $sum, so the mirror, the proxy or the Go module cache holds a different module; replace it (go clean -modcache clears the cache) and run this again."
  fi
  echo "  module hash $got matches the pin"
  gi_module_dir=$(gi_json_field Dir <<<"$json")
}

# gi_build MODULE VERSION LDFLAGS TOOLS... — `go install -trimpath` of
# MODULE/cmd/TOOL@VERSION for each tool into the staging bin/, one line of
# progress per tool.
gi_build() {
  local module=$1 version=$2 ldflags=$3 tool n=0 status tool_start
  shift 3
  for tool in "$@"; do
    n=$((n + 1))
    tool_start=$(date +%s)
    printf '  [%d/%d] %-16s ' "$n" "$#" "$tool"
    echo "=== go install -trimpath $module/cmd/$tool@$version" >>"$gi_log"
    status=0
    gi_go install -trimpath -ldflags "$ldflags" "$module/cmd/$tool@$version" >"$gi_stage/go.log" 2>&1 || status=$?
    gi_built install "$tool" "$status" "$tool_start"
  done
}

# gi_built VERB TOOL STATUS START — ends the progress line of a `go VERB` of
# TOOL that exited with STATUS (its output in the staging go.log, appended to
# gi_log): a failure is one sentence naming the first line that is not a
# download, success prints the seconds since START.
gi_built() {
  local verb=$1 tool=$2 status=$3 start=$4
  cat "$gi_stage/go.log" >>"$gi_log"
  if ((status != 0)); then
    echo "failed"
    gi_fail "go $verb of $tool failed ($(grep -v -m1 '^go: downloading' "$gi_stage/go.log")); see $gi_log, make the module proxy serve the module's dependencies (or fix what the log names) and run this again."
  fi
  [[ -x "$gi_stage/bin/$tool" ]] || gi_fail "go $verb of $tool finished but wrote no $tool; see $gi_log."
  echo "built in $(($(date +%s) - start))s"
}

# gi_commit SUBDIRS... — moves each staged subdirectory into the release
# directory in that order (the last one is what marks it installed).
gi_commit() {
  local sub
  for sub in "$@"; do
    if [[ -e "$gi_home/$sub" ]]; then
      mv "$gi_home/$sub" "$gi_stage/old-$sub" # an incomplete earlier install
    fi
    mv "$gi_stage/$sub" "$gi_home/$sub"
  done
}

# gi_build_main MODULE_DIR TOOL [EDIT...] — builds MODULE_DIR/cmd/TOOL as
# the main module (`go build -trimpath` in a writable copy) into the staging
# bin/. Without edits every dependency is checked against the module's own
# go.sum (-mod=readonly); with them, `go mod edit EDIT...` runs first and
# the build may add go.sum lines for the versions the edits bring, each
# checked against the Go checksum database (-mod=mod). For modules whose
# go.mod has replace directives, which `go install MODULE/cmd/TOOL@VERSION`
# refuses.
gi_build_main() {
  local dir=$1 tool=$2 status tool_start src="$gi_stage/src" mode=readonly
  shift 2
  (($# > 0)) && mode=mod
  tool_start=$(date +%s)
  printf '  [1/1] %-16s ' "$tool"
  cp -r "$dir" "$src" && chmod -R u+w "$src"
  if (($# > 0)); then
    echo "=== go mod edit $*" >>"$gi_log"
    (cd "$src" && env "${gi_go_env[@]}" go mod edit "$@") >>"$gi_log" 2>&1 ||
      gi_fail "go mod edit $* failed in the copy of $dir; see $gi_log."
  fi
  echo "=== go build -trimpath -mod=$mode ./cmd/$tool (in a copy of $dir)" >>"$gi_log"
  status=0
  (cd "$src" && env "${gi_go_env[@]}" go build -trimpath -mod=$mode -o "$gi_stage/bin/$tool" "./cmd/$tool") >"$gi_stage/go.log" 2>&1 || status=$?
  gi_built build "$tool" "$status" "$tool_start"
}
