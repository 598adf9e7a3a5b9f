#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need,
# builds, starts the lab of real RDP servers, runs every test (the lab tests
# are #[ignore]d in plain `cargo test`), and stops the lab whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
bash lab/install.sh

# Build first, so a compile error is not mistaken for a lab problem and the
# lab is up only while tests run.
cargo build --workspace --all-targets --locked
# The Windows .exe, which tests/lab_wine.rs runs under Wine beside the Linux
# binary (mingw-w64, OpenSSL cached in /var/cache/rdpdoctor; prints its time).
bash build/windows.sh
# Clippy for that target: the cfg(windows) code (the live registry, EvtExportLog,
# the console code page) compiles nowhere else. Reuses the cached OpenSSL.
bash build/windows.sh clippy

trap 'bash lab/down.sh >/dev/null 2>&1 || true' EXIT
bash lab/up.sh

# --no-fail-fast: one run shows every failing test binary, not just the first.
# install.sh installed chromium: here tests/browser.rs must run, not skip.
export RDPDOCTOR_REQUIRE_BROWSER=1
cargo test --workspace --locked --no-fail-fast -- --include-ignored

echo "lab/test.sh: all tests passed in $(( $(date +%s) - started )) s"
