#!/usr/bin/env bash
# Runs every cargo-fuzz target of tests/fuzz, one at a time.
#
#   bash tests/fuzz/run.sh --smoke            20 s per target (the test run's phase)
#   bash tests/fuzz/run.sh --long             until 10^7 executions per target
#   bash tests/fuzz/run.sh --seconds N        N seconds per target
#   bash tests/fuzz/run.sh ... TARGET...      only these targets
#
# Env: MEDCHAIN_FUZZ_RUNS (executions for --long, default 10000000),
#      MEDCHAIN_FUZZ_MAX_SECONDS (time cap per target for --long, default
#      none), MEDCHAIN_FUZZ_LOG_DIR (keep each target's libFuzzer log there).
#
# cargo-fuzz is installed on first use with `cargo install --locked` at a
# pinned version into ~/.cache/medchain/cargo-fuzz-<version>; cargo checks
# every crate it downloads against the crates.io index checksums (and
# --locked uses cargo-fuzz's own Cargo.lock). Fuzzing needs the nightly
# toolchain (`rustup toolchain install nightly`).
#
# New inputs go to target/fuzz-corpus/<target> (the committed seeds in
# tests/fuzz/corpus/<target> are only read). A crash fails the run with one
# sentence naming the reproducer under tests/fuzz/artifacts/<target>/;
# replay it with `cargo +nightly fuzz run --fuzz-dir tests/fuzz <target> <file>`.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

CARGO_FUZZ_VERSION=0.13.2
TARGETS=(contract_input shim_frame shim_session shim_identity ca_response siff_parsers
    gateway_response sdk_records wallet_files)

mode=smoke
seconds=20
selected=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --smoke) mode=time seconds=20 ;;
    --long) mode=long ;;
    --seconds)
        mode=time
        seconds=${2:?--seconds takes a number}
        shift
        ;;
    -h | --help)
        sed -n '2,23p' "$0"
        exit 0
        ;;
    -*)
        echo "error: unknown option $1 (use --smoke, --long or --seconds N)" >&2
        exit 2
        ;;
    *) selected+=("$1") ;;
    esac
    shift
done
[[ ${#selected[@]} -gt 0 ]] || selected=("${TARGETS[@]}")
for t in "${selected[@]}"; do
    if [[ ! -f tests/fuzz/fuzz_targets/$t.rs ]]; then
        echo "error: no fuzz target $t (targets: ${TARGETS[*]})" >&2
        exit 2
    fi
done

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "error: fuzzing needs the nightly Rust toolchain; install it with 'rustup toolchain install nightly'" >&2
    exit 1
fi
fuzz_root="$HOME/.cache/medchain/cargo-fuzz-$CARGO_FUZZ_VERSION"
export PATH="$fuzz_root/bin:$PATH"
if ! cargo-fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION into $fuzz_root"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$fuzz_root"
fi

echo "building the fuzz targets (cargo +nightly fuzz build)"
cargo +nightly fuzz build --fuzz-dir tests/fuzz

log_dir=${MEDCHAIN_FUZZ_LOG_DIR:-$repo/target/fuzz-logs}
mkdir -p "$log_dir"
runs=${MEDCHAIN_FUZZ_RUNS:-10000000}
printf '%-18s %12s %10s %8s %7s\n' target executions exec/s corpus seconds
for t in "${selected[@]}"; do
    work="$repo/target/fuzz-corpus/$t"
    mkdir -p "$work" "tests/fuzz/artifacts/$t"
    # One fuzzing process (what -jobs=1 asks for, without its log redirection).
    flags=(-max_len=65536 -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=20
        -print_final_stats=1)
    if [[ $mode == long ]]; then
        flags+=(-runs="$runs")
        [[ -n ${MEDCHAIN_FUZZ_MAX_SECONDS:-} ]] && flags+=(-max_total_time="$MEDCHAIN_FUZZ_MAX_SECONDS")
    else
        flags+=(-max_total_time="$seconds")
    fi
    log="$log_dir/$t.log"
    start=$(date +%s)
    status=0
    cargo +nightly fuzz run --fuzz-dir tests/fuzz "$t" "$work" "tests/fuzz/corpus/$t" -- "${flags[@]}" \
        >"$log" 2>&1 || status=$?
    took=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    corpus=$(find "$work" -type f | wc -l)
    printf '%-18s %12s %10s %8s %7s\n' "$t" "${execs:-?}" "${speed:-?}" "$corpus" "$took"
    if [[ $status -ne 0 ]]; then
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        tail -n 40 "$log" >&2
        if [[ -n $artifact ]]; then
            echo "error: fuzz target $t crashed; the reproducer is $artifact (replay: cargo +nightly fuzz run --fuzz-dir tests/fuzz $t $artifact; log: $log)" >&2
        else
            echo "error: fuzz target $t failed with exit code $status without a reproducer; see $log" >&2
        fi
        exit 1
    fi
done
echo "fuzzing passed: ${#selected[@]} targets, no crash"
