#!/usr/bin/env bash
# Runs every medchain test: formatting, lints, unit and integration tests,
# a 20 s cargo-fuzz smoke per fuzz target (tests/fuzz/run.sh, nightly),
# then the end-to-end tests against a real Fabric network brought up for the
# run (network/up.sh) and taken down afterwards. This is the README's test
# command; .ci/run runs exactly this script.
#
# A missing prerequisite (cargo, Go, the Fabric binaries) fails the run with
# a message saying what to install. Nothing is skipped.
#
# The end-to-end suite runs twice: on a network whose peers both run the Rust
# chaincode, then on a mixed-language consortium (its own work directory and
# port block, MEDCHAIN_NETWORK_PORT_BASE + 20) where Org1's peer runs the Rust
# server and Org2's the Go reference contract (chaincode/go), so every
# transaction commits only if both implementations endorse it byte for byte.
#
# Env:
#   MEDCHAIN_KEEP_NETWORK=1   leave the test networks running afterwards
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

run_start=$(date +%s)
phase_start=0
timings=()
phase() {
    phase_name=$1
    phase_start=$(date +%s)
    printf '\n==> %s\n' "$phase_name"
}
phase_done() {
    local took=$(($(date +%s) - phase_start))
    timings+=("$(printf '%-44s %5ss' "$phase_name" "$took")")
    printf '<== %s took %ss\n' "$phase_name" "$took"
}

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo is not installed; install the Rust toolchain (https://rustup.rs) and run this again" >&2
    exit 1
fi

# The end-to-end network gets its own work directory and port block, so a
# developer's own network (network/.work, ports 7050-7065) is left alone.
export MEDCHAIN_NETWORK_DIR="$repo/target/e2e-network"
export MEDCHAIN_NETWORK_PORT_BASE=${MEDCHAIN_NETWORK_PORT_BASE:-17050}
export MEDCHAIN_PROFILE="$MEDCHAIN_NETWORK_DIR/profile.json"
# The end-to-end suite uses fast, insecure Argon2id parameters (64 KiB,
# t = 1); its networks lower the consortium's KDF floor to exactly those,
# explicitly, at initialization (a real consortium keeps the default).
export MEDCHAIN_ROLE_POLICY="Org1MSP=doctor Org2MSP=pharmacist,insurer,lawyer-expert kdf-floor=64,1"
export MEDCHAIN_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/medchain"
# Where fabric-ca-client's integration tests find the Fabric CA binaries.
# shellcheck source=../network/lib/fabric-ca.sh
source network/lib/fabric-ca.sh
export MEDCHAIN_FABRIC_CA_BIN="$FABRIC_CA_BIN"
# Where ipfs-blocks' integration tests find Kubo (they start private nodes
# with network/kubo-init.sh).
# shellcheck source=../network/lib/kubo.sh
source network/lib/kubo.sh
export MEDCHAIN_KUBO_BIN="$KUBO_BIN"
export MEDCHAIN_CHAINCODE_GO_BIN="${CARGO_TARGET_DIR:-$repo/target}/go/medchain-chaincode-go"
mixed_dir="$repo/target/e2e-network-mixed"
mixed_base=$((MEDCHAIN_NETWORK_PORT_BASE + 20))
network_started=0
mixed_started=0
cleanup() {
    if [[ ${MEDCHAIN_KEEP_NETWORK:-0} != 1 ]]; then
        if [[ $network_started == 1 ]]; then
            printf '\n==> network down\n'
            bash network/down.sh --purge || true
        fi
        if [[ $mixed_started == 1 ]]; then
            printf '\n==> mixed network down\n'
            MEDCHAIN_NETWORK_DIR=$mixed_dir bash network/down.sh --purge || true
        fi
    fi
}
trap cleanup EXIT

phase "format check (cargo fmt --check)"
cargo fmt --all -- --check
phase_done

phase "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
phase_done

phase "build (workspace, medchain CLI, chaincode server: chaincode/build.sh)"
cargo build --workspace --all-targets --all-features --locked
# The chaincode server as deployed (cargo profile `chaincode`, statically
# linked); both networks run this binary.
MEDCHAIN_CHAINCODE_BIN=$(chaincode/build.sh --locked)
export MEDCHAIN_CHAINCODE_BIN
phase_done

phase "Go reference contract (gofmt, go vet, go test, generated code check, build) and the bench drivers"
if ! command -v go >/dev/null 2>&1; then
    echo "error: go is not installed; install Go (>= 1.25) to build and test chaincode/go and the Go conformance client" >&2
    exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is not installed; install Node.js (>= 18) with npm for the Node conformance client (tests/conformance/node)" >&2
    exit 1
fi
unformatted=$(cd chaincode/go && gofmt -l .)
if [[ -n $unformatted ]]; then
    echo "error: gofmt would change: $unformatted" >&2
    exit 1
fi
(cd chaincode/go && go vet -mod=readonly ./... && go test -mod=readonly -count=1 ./...)
bash chaincode/go/gen-proto.sh --check
(cd chaincode/go && go build -mod=readonly -trimpath -o "$MEDCHAIN_CHAINCODE_GO_BIN" ./cmd/medchain-chaincode-go)
# The official-client bench drivers (run by medchain-bench client-compare,
# not here): they must stay formatted and build.
unformatted=$(cd bench/clients/go && gofmt -l .)
if [[ -n $unformatted ]]; then
    echo "error: gofmt would change: $unformatted" >&2
    exit 1
fi
(cd bench/clients/go && go vet -mod=readonly ./...)
node --check bench/clients/node/bench.mjs
phase_done

phase "network scripts (Fabric, Fabric CA and Kubo install failures, publish-crl.sh and up.sh option refusals, external builder, docker-compose.yaml)"
bash network/tests/install-fabric.sh
bash network/tests/install-fabric-ca.sh
bash network/tests/install-kubo.sh
bash network/tests/publish-crl.sh
bash network/tests/up-options.sh
bash network/tests/ccaas-builder.sh
bash network/tests/compose.sh
phase_done

# Before the Rust tests: fabric-ca-client's integration tests run the real
# fabric-ca-server and fabric-ca-client, ipfs-blocks' a real Kubo node.
phase "Fabric, Fabric CA and Kubo install (network/install-fabric.sh, install-fabric-ca.sh, install-kubo.sh)"
bash network/install-fabric.sh
bash network/install-fabric-ca.sh
bash network/install-kubo.sh
phase_done

phase "unit and integration tests (cargo test)"
cargo test --workspace --all-features --locked --exclude medchain-e2e
phase_done

phase "fuzz smoke (tests/fuzz/run.sh --smoke: 20 s per cargo-fuzz target)"
bash tests/fuzz/run.sh --smoke
phase_done

phase "network up (network/up.sh, fresh)"
network_started=1
bash network/down.sh --purge >/dev/null 2>&1 || true
bash network/up.sh
phase_done

# The official clients first, on the fresh network: they register the lawyer
# and doctor (Go) and the insurer and pharmacist (Node), whose events their
# checkpoint tests expect next; the e2e suite finds them registered.
conformance() {
    (cd tests/conformance/go && go test -mod=readonly -count=1 -v ./...)
    (cd tests/conformance/node && npm ci --no-audit --no-fund && npm test)
}

phase "official clients conformance (fabric-gateway Go v1.12.0, Node 1.12.1)"
conformance
phase_done

phase "end-to-end tests against Fabric"
cargo test --locked -p medchain-e2e -- --test-threads=1
phase_done

if [[ ${MEDCHAIN_KEEP_NETWORK:-0} != 1 ]]; then
    phase "network down (before the mixed-language network)"
    bash network/down.sh --purge
    network_started=0
    phase_done
fi

# The Rust network's profile names both organizations as endorsers (up.sh's
# default); the mixed one lets the gateway choose, so both paths run end to end.
phase "mixed network up (Org1 Rust, Org2 Go chaincode, the gateway choosing endorsers; port base $mixed_base)"
mixed_started=1
MEDCHAIN_NETWORK_DIR=$mixed_dir bash network/down.sh --purge >/dev/null 2>&1 || true
MEDCHAIN_NETWORK_DIR=$mixed_dir MEDCHAIN_NETWORK_PORT_BASE=$mixed_base MEDCHAIN_CHAINCODE_ORG1=rust \
    MEDCHAIN_CHAINCODE_ORG2=go MEDCHAIN_ENDORSERS=gateway bash network/up.sh
phase_done

phase "official clients conformance against the mixed-language consortium"
MEDCHAIN_PROFILE="$mixed_dir/profile.json" conformance
phase_done

phase "end-to-end tests against the mixed-language consortium"
MEDCHAIN_NETWORK_DIR=$mixed_dir MEDCHAIN_NETWORK_PORT_BASE=$mixed_base MEDCHAIN_PROFILE="$mixed_dir/profile.json" \
    cargo test --locked -p medchain-e2e -- --test-threads=1
phase_done

printf '\nphase timings:\n'
printf '  %s\n' "${timings[@]}"
printf '  %-44s %5ss\n' "total" "$(($(date +%s) - run_start))"
