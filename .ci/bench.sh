#!/usr/bin/env bash
# Benchmarks that print figures (not tests): unlock with 10 000 stored messages, in
# headless Chromium, release build, inside a loopback-only network namespace.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash .ci/install.sh
export PATH="$HOME/.cargo/bin:$root/tests/node_modules/.bin:$PATH"
# Filling 10 000 records one transaction each takes a while: allow it.
export WASM_BINDGEN_TEST_TIMEOUT=600
unshare --net --pid --fork --kill-child -- bash -c 'ip link set lo up && cargo test --release --locked -p peerchat-vault --target wasm32-unknown-unknown --test bench_unlock -- --include-ignored --nocapture'
