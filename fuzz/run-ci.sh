#!/usr/bin/env bash
# CI: run every fuzz target for a short while (FUZZ_SECONDS each, default 20),
# as many at once as there are cores, and print each one's runs and runs/s.
# Fails when a target finds a crash, a hang (-timeout) or a leak; the input
# is kept in fuzz/artifacts/<target>/.
#
# cargo-fuzz needs nightly features (-Zsanitizer=address). With no nightly
# toolchain installed (or FUZZ_TOOLCHAIN=stable), the stable one runs them
# under RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")"

secs=${FUZZ_SECONDS:-20}
# Release, debug assertions and overflow checks (cargo-fuzz's defaults),
# without AddressSanitizer: the wire crate forbids unsafe code, so what the
# fuzzers look for is panics, which need no sanitizer; without it the
# targets build about twice as fast and run faster.
build_flags="--sanitizer none"
jobs=${FUZZ_JOBS:-$(nproc)}
started=$(date +%s)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run-ci.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
fi

if [[ -n ${FUZZ_TOOLCHAIN:-} ]]; then
    toolchain=+$FUZZ_TOOLCHAIN
elif rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=+nightly
else
    toolchain=+stable
fi
if [[ $toolchain != +nightly* ]]; then
    export RUSTC_BOOTSTRAP=1
fi
echo "fuzz/run-ci.sh: cargo $toolchain fuzz${RUSTC_BOOTSTRAP:+ (RUSTC_BOOTSTRAP=1)}, ${secs} s per target, ${jobs} at once"

cargo "$toolchain" fuzz build $build_flags
built=$(date +%s)

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
mapfile -t targets < <(cargo "$toolchain" fuzz list)

run_one() {
    local t=$1
    # -print_final_stats: runs and runs/s; -timeout: one input taking 10 s is a hang.
    if cargo "$toolchain" fuzz run $build_flags "$t" -- -max_total_time="$secs" -timeout=10 \
        -print_final_stats=1 >"$logs/$t.log" 2>&1; then
        echo ok >"$logs/$t.status"
    else
        echo FAILED >"$logs/$t.status"
    fi
}
export -f run_one
export toolchain secs logs build_flags
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}

failed=0
printf '%-26s %12s %10s  %s\n' target runs runs/s result
for t in "${targets[@]}"; do
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -1)
    status=$(cat "$logs/$t.status" 2>/dev/null || echo FAILED)
    printf '%-26s %12s %10s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "$status"
    if [[ $status != ok ]]; then
        failed=1
        echo "---- $t" >&2
        tail -40 "$logs/$t.log" >&2
    fi
done
echo "fuzz/run-ci.sh: build $((built - started)) s, runs $(($(date +%s) - built)) s"
exit "$failed"
