#!/usr/bin/env bash
# Regenerates chaincode/go/medchainpb/medchain.pb.go from
# protos/medchain/medchain.proto, or with --check verifies that the committed
# file is what the pinned generator makes of the current .proto (run by
# tests/run-all.sh, so CI fails when the two drift apart).
#
# Needs protoc (Debian package protobuf-compiler). protoc-gen-go is built by
# `go install` at the exact version of google.golang.org/protobuf in go.mod
# (checked against go.sum by the Go toolchain) into ~/.cache/medchain/.
#
#   bash chaincode/go/gen-proto.sh          # rewrite the generated file
#   bash chaincode/go/gen-proto.sh --check  # exit 1 if it is stale
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="$here/medchainpb/medchain.pb.go"

command -v protoc >/dev/null 2>&1 || {
  echo "protoc is not installed; install it (Debian: apt-get install protobuf-compiler) to generate or check $out" >&2
  exit 1
}
command -v go >/dev/null 2>&1 || {
  echo "go is not installed; install Go >= 1.24 to build protoc-gen-go" >&2
  exit 1
}
version=$(cd "$here" && go list -m -f '{{.Version}}' google.golang.org/protobuf)
bin="${XDG_CACHE_HOME:-$HOME/.cache}/medchain/protoc-gen-go-$version"
if [[ ! -x "$bin/protoc-gen-go" ]]; then
  mkdir -p "$bin"
  (cd "$here" && GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go")
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PATH="$bin:$PATH" protoc -I "$repo/protos/medchain" \
  --go_out="$tmp" --go_opt=paths=source_relative \
  --go_opt=Mmedchain.proto=medchain/chaincode/go/medchainpb \
  medchain.proto
# The header names the protoc release ("// \tprotoc vX.Y.Z"); a distribution's
# protoc update must not make the check fail, so that one line is not compared.
strip() { grep -v '^// 	protoc ' "$1"; }
if [[ "${1:-}" == --check ]]; then
  if ! diff -u <(strip "$out") <(strip "$tmp/medchain.pb.go"); then
    echo "$out is stale: run bash chaincode/go/gen-proto.sh and commit the result" >&2
    exit 1
  fi
  echo "medchain.pb.go matches protos/medchain/medchain.proto (protoc-gen-go $version)"
else
  cp "$tmp/medchain.pb.go" "$out"
  echo "wrote $out (protoc-gen-go $version, $(protoc --version))"
fi
