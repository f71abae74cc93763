#!/usr/bin/env bash
# CI smoke run of the fuzz targets: build every target, then fuzz each for FUZZ_SECONDS (default 10)
# starting from its committed seeds (fuzz/seeds/T) and any corpus kept from earlier runs
# (fuzz/corpus/T). Fails on the first crash, leaving the input in fuzz/artifacts/T/.
# See docs/fuzzing.md. Needs cargo-fuzz (installed here when missing) and a C++ compiler.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${FUZZ_SECONDS:-10}
target_dir=${FUZZ_TARGET_DIR:-target}
# FUZZ_PROFILE=dev builds the targets without optimisation: several times quicker to build, slower
# to run; right for a short smoke run in CI, wrong for a long run.
profile=()
if [ "${FUZZ_PROFILE:-release}" = dev ]; then
    profile=(--dev)
fi
# cargo-fuzz passes unstable flags to rustc; the stable toolchain accepts them this way.
export RUSTC_BOOTSTRAP=1

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo fuzz build "${profile[@]}" --sanitizer none --target-dir "$target_dir"

targets=$(cargo fuzz list)
count=0
for target in $targets; do
    mkdir -p "corpus/$target" "artifacts/$target"
    log=$(mktemp)
    if ! cargo fuzz run "${profile[@]}" --sanitizer none --target-dir "$target_dir" "$target" \
        "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz: $target crashed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz: $target ok ($runs executions in ${seconds}s)"
    rm -f "$log"
    count=$((count + 1))
done
echo "fuzz: $count targets, no crash"
