#!/usr/bin/env bash
# Runs every medchain test: formatting, lints, unit and integration tests.
# This is the README's test command; .ci/run runs exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

phase_start=0
phase() {
    phase_start=$(date +%s)
    printf '\n==> %s\n' "$1"
}
phase_done() {
    printf '<== %s took %ss\n' "$1" "$(( $(date +%s) - phase_start ))"
}

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo is not installed; install the Rust toolchain (https://rustup.rs) and run this again" >&2
    exit 1
fi

phase "format check (cargo fmt --check)"
cargo fmt --all -- --check
phase_done "format check"

phase "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
phase_done "lints"

phase "unit and integration tests (cargo test)"
cargo test --workspace --all-features --locked
phase_done "unit and integration tests"
