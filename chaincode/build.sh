#!/usr/bin/env bash
# Builds the medchain chaincode server the way it is deployed and prints the
# binary's path on stdout (cargo's output goes to stderr).
#
#   chaincode/build.sh [cargo build options, e.g. --locked]
#
# The build is cargo's `chaincode` profile (Cargo.toml: the release profile
# with fat LTO, one codegen unit, no debug info, symbols stripped) for the
# host's target triple, and on Linux with glibc statically linked
# (`-C target-feature=+crt-static`): a server that maps no shared library
# keeps a third of the Go reference server's resident memory
# (docs/benchmarks.md, "Rust vs Go chaincode"). Naming the target triple
# keeps the flag off build scripts and proc macros, and the profile and
# triple give the build its own directory, <target>/<triple>/chaincode/, so
# the workspace's other builds are not rebuilt by it.
# network/lib/chaincode.sh, tests/run-all.sh and chaincode/Dockerfile build
# the server with this script.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v cargo >/dev/null 2>&1 || {
  echo "cargo is not on PATH; install Rust (https://rustup.rs) to build medchain-chaincode." >&2
  exit 1
}
host=$(rustc -vV | sed -n 's/^host: //p')
[[ -n $host ]] || {
  echo "rustc -vV names no host triple; check the Rust installation (rustup show)." >&2
  exit 1
}
flags=${RUSTFLAGS:-}
case $host in
  *-linux-gnu*) flags="${flags:+$flags }-C target-feature=+crt-static" ;;
esac
RUSTFLAGS=$flags cargo build --manifest-path "$repo/Cargo.toml" --profile chaincode --target "$host" \
  -p medchain-chaincode "$@" >&2
echo "${CARGO_TARGET_DIR:-$repo/target}/$host/chaincode/medchain-chaincode"
