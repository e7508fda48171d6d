# shellcheck shell=bash
# Helpers shared by the install script tests (install-fabric.sh,
# install-fabric-ca.sh): pass/fail counting and a fake file-based module
# proxy, running the script under test and checking a refusal. The caller
# sets tmp (a temp directory), passed=0 failed=0, script (the install script),
# home_var (its release directory variable) and tools (an array of its tools).

pass() {
  echo "ok   $1"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL $1 ($2)"
  failed=$((failed + 1))
}

# install NAME HOME [VAR=VALUE...] — runs $script with HOME as the release
# directory (the variable $home_var), temp Go caches and no network behind the
# mirror; the exit status goes to $status, stdout and stderr to the files
# $out and $err.
install() {
  local name=$1 home=$2
  shift 2
  status=0
  out="$tmp/$name.out"
  err="$tmp/$name.err"
  env -u MEDCHAIN_GO_MIRROR "$home_var=$home" GOMODCACHE="$tmp/go-$name/modcache" GOCACHE="$tmp/go-$name/cache" \
    GOPROXY=off "$@" "$BASH" "$script" >"$out" 2>"$err" || status=$?
}

# expect_refusal CASE HOME PATTERN — the last install exited non-zero with one
# line on stderr matching PATTERN and HOME/bin holds none of the tools named
# in the array $tools.
expect_refusal() {
  local name=$1 home=$2 pattern=$3 tool
  if ((status == 0)); then
    fail "$name" "exit status 0; stdout: $(cat "$out")"
  elif [[ $(wc -l <"$err") != 1 ]] || ! grep -q -- "$pattern" "$err"; then
    fail "$name" "want one line matching '$pattern' on stderr, got: $(cat "$err")"
  else
    for tool in "${tools[@]}"; do
      if [[ -e "$home/bin/$tool" ]]; then
        fail "$name" "$home/bin/$tool was installed"
        return
      fi
    done
    pass "$name"
  fi
}

# fake_module MIRROR MODULE VERSION GO — a file-based module proxy in MIRROR
# serving MODULE@VERSION as a zip whose go.mod is not the real one, so its h1
# hash differs from any pin. Exits 1 with one sentence when python3 is missing.
fake_module() {
  local mirror=$1 module=$2 version=$3 go=$4 at="$1/$2/@v"
  mkdir -p "$at"
  printf 'module %s\n\ngo %s\n\n// not the real module\n' "$module" "$go" >"$at/$version.mod"
  printf '{"Version":"%s","Time":"2026-06-18T07:48:16Z"}\n' "$version" >"$at/$version.info"
  echo "$version" >"$at/list"
  if ! python3 - "$at/$version.zip" "$module@$version/go.mod" "$at/$version.mod" <<'PY'; then
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.write(sys.argv[3], sys.argv[2])
PY
    echo "install tests: python3 is needed to build the fake module zip (Debian: apt-get install python3)" >&2
    exit 1
  fi
}

# failure_cases WHAT MODULE VERSION SUM MIN_GO — the failure paths every
# install script shares: a module whose hash is not SUM (nothing built after
# it), a module the proxy chain does not serve, a MEDCHAIN_GO_MIRROR that is
# not a directory and no Go on PATH. WHAT names the install in the case
# lines. Leaves $tmp/no-go-bin (a PATH with the ordinary commands but no go).
failure_cases() {
  local what=$1 module=$2 version=$3 sum=$4 min_go=$5 fake="$tmp/fake-mirror" cmd path
  fake_module "$fake" "$module" "$version" "$min_go"
  if command -v go >/dev/null 2>&1; then
    install wrong-hash "$tmp/home-wrong-hash" MEDCHAIN_GO_MIRROR="$fake"
    expect_refusal "$what: a module whose hash is not the pinned one is refused" "$tmp/home-wrong-hash" \
      "has hash h1:.*, not the pinned $sum"
    if grep -Eq '=== go (install|build)' "$tmp/home-wrong-hash/install.log" 2>/dev/null; then
      fail "$what: nothing is built after a hash mismatch" "install.log shows a go build"
    else
      pass "$what: nothing is built after a hash mismatch"
    fi

    mkdir -p "$tmp/empty-mirror"
    install not-served "$tmp/home-not-served" MEDCHAIN_GO_MIRROR="$tmp/empty-mirror"
    expect_refusal "$what: a module the proxy chain does not serve is refused" "$tmp/home-not-served" \
      "go mod download $module@$version failed (.*disabled by GOPROXY=off.*); set MEDCHAIN_GO_MIRROR"
  else
    fail "$what: a module whose hash is not the pinned one is refused" "these cases need Go on PATH"
  fi

  install missing-mirror "$tmp/home-missing-mirror" MEDCHAIN_GO_MIRROR="$tmp/no-such-dir"
  expect_refusal "$what: a MEDCHAIN_GO_MIRROR that is not a directory is refused" "$tmp/home-missing-mirror" \
    "MEDCHAIN_GO_MIRROR is $tmp/no-such-dir, which is not a directory"

  mkdir -p "$tmp/no-go-bin"
  for cmd in dirname mkdir mktemp rm cat sed grep awk sort head wc date flock env chmod mv cp; do
    if path=$(command -v "$cmd"); then ln -sf "$path" "$tmp/no-go-bin/$cmd"; fi
  done
  install no-go "$tmp/home-no-go" PATH="$tmp/no-go-bin"
  expect_refusal "$what: no Go toolchain on PATH is one sentence" "$tmp/home-no-go" \
    "the Go toolchain is not on PATH; install Go >= $min_go"
}
